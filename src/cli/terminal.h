// The terminal for a full-screen view (vtrace top), with plain ANSI escape
// codes and termios: the few it needs (alternate screen, cursor, home,
// erase) are VT100's, which every terminal a dom0 is reached from speaks,
// so ncurses would add a library and its own terminal and signal state for
// nothing vtrace uses.
//
// Contract
//  * enter() switches stdout to the alternate screen with the cursor
//    hidden and, when stdin is a terminal, puts stdin in raw mode: no echo,
//    no line editing, and no signals from keys (Ctrl-C and Ctrl-Z arrive as
//    bytes: the view quits on Ctrl-C and ignores Ctrl-Z, so the terminal is
//    never left raw under a stopped process).
//  * Everything enter() changed is put back by restore(), by the
//    destructor, at exit(), and on a fatal signal (SIGSEGV, SIGBUS,
//    SIGFPE, SIGILL, SIGABRT: restored, then the signal's own action). The
//    caller turns SIGINT, SIGTERM and SIGHUP into a stop and returns through
//    restore(). Restoring twice is harmless. One Terminal at a time.
//  * draw() replaces the screen with the lines (each already cut to the
//    width) in one write.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace vt {

class Terminal {
 public:
  Terminal() = default;
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;
  ~Terminal() { restore(); }

  // kIoError when stdin's settings cannot be read or changed.
  Status enter();
  void restore();
  // stdin is a terminal in raw mode: keys can be read.
  bool keys() const { return keys_; }
  // The screen's size (24 x 80 when stdout cannot say).
  static void size(size_t* rows, size_t* cols);
  // What was typed within timeout_ms ("" for nothing, or without keys()).
  std::string read_keys(int timeout_ms);
  void draw(const std::vector<std::string>& lines);

 private:
  bool entered_ = false;
  bool keys_ = false;
};

}  // namespace vt
