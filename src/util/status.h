// Status: the outcome of an operation that can fail, as a value with a code.
//
// Contract
//  * Status() is ok. A failure has a code and a one-line message that names
//    what was at fault (a file and byte offset, a field, a value); it never
//    names a command-line flag: the command line adds that (with_context).
//  * Codes say what kind of failure it is, which is what a caller decides
//    on: kInvalidArgument (a value given by the caller or the user is not
//    acceptable), kCorruption (input data is malformed), kIoError (the
//    system refused a read, write or mapping), kUnavailable (what is asked
//    for does not exist here: no Xen, no buffers, a CPU that is not ours).
//  * Cheap when ok (an empty string and a byte); copyable; plain value.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace vt {

class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t { kOk, kInvalidArgument, kCorruption, kIoError, kUnavailable };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }

  // "context: message", same code; ok stays ok.
  Status with_context(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + msg_);
  }

 private:
  Status(Code c, std::string msg) : code_(c), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

}  // namespace vt
