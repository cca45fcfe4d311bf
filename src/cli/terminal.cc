#include "src/cli/terminal.h"

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/ioctl.h>

namespace vt {
namespace {

constexpr char kEnterScreen[] = "\x1b[?1049h\x1b[?25l";  // alternate screen, cursor hidden
constexpr char kLeaveScreen[] = "\x1b[?25h\x1b[?1049l";

// What restore_now() undoes: plain globals, since a signal handler reads them.
struct termios g_saved;
volatile sig_atomic_t g_raw = 0;
volatile sig_atomic_t g_screen = 0;

void write_all(const char* s, size_t n) {
  while (n > 0) {
    const ssize_t w = write(STDOUT_FILENO, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w, n -= size_t(w);
  }
}

// Async-signal-safe: write() and tcsetattr() only.
void restore_now() {
  if (g_screen) {
    g_screen = 0;
    write_all(kLeaveScreen, sizeof kLeaveScreen - 1);
  }
  if (g_raw) {
    g_raw = 0;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
  }
}

// SA_RESETHAND: once the handler returns, the re-raised signal takes its
// own action (a core dump, say) on a terminal as it was.
void on_fatal(int sig) {
  restore_now();
  raise(sig);
}

void catch_fatal_signals() {
  static bool done = false;
  if (done) return;
  done = true;
  std::atexit(restore_now);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(s, &sa, nullptr);
}

}  // namespace

Status Terminal::enter() {
  if (entered_) return Status::Ok();
  catch_fatal_signals();
  if (isatty(STDIN_FILENO)) {
    if (tcgetattr(STDIN_FILENO, &g_saved) != 0)
      return Status::IoError(std::string("stdin: cannot read the terminal's settings: ") +
                             std::strerror(errno));
    struct termios raw = g_saved;
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_iflag &= ~tcflag_t(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    g_raw = 1;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
      g_raw = 0;
      return Status::IoError(std::string("stdin: cannot set the terminal's settings: ") +
                             std::strerror(errno));
    }
    keys_ = true;
  }
  g_screen = 1;
  write_all(kEnterScreen, sizeof kEnterScreen - 1);
  entered_ = true;
  return Status::Ok();
}

void Terminal::restore() {
  if (!entered_) return;
  entered_ = false;
  keys_ = false;
  restore_now();
}

void Terminal::size(size_t* rows, size_t* cols) {
  struct winsize ws;
  std::memset(&ws, 0, sizeof ws);
  const bool ok = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0;
  *rows = ok ? ws.ws_row : 24;
  *cols = ok ? ws.ws_col : 80;
}

std::string Terminal::read_keys(int timeout_ms) {
  if (!keys_) {
    poll(nullptr, 0, timeout_ms);
    return "";
  }
  struct pollfd p = {STDIN_FILENO, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return "";
  char buf[64];
  const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  return n > 0 ? std::string(buf, size_t(n)) : "";
}

void Terminal::draw(const std::vector<std::string>& lines) {
  // Home; each line erases what it does not cover (output processing is
  // left on: the terminal turns \n into \r\n); no newline after the last,
  // which may be the screen's last line.
  std::string s = "\x1b[H";
  for (size_t i = 0; i < lines.size(); ++i) s += lines[i] + "\x1b[K" + (i + 1 < lines.size() ? "\n" : "");
  s += "\x1b[J";  // and below the last
  write_all(s.data(), s.size());
}

}  // namespace vt
