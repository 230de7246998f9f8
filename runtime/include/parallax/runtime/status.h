// Status: how every runtime function reports failure. No exceptions cross the runtime API.
//
// A Status is cheap when ok (no allocation); the message is only built on the error path.
//   Status s = executor.run();
//   if (!s.is_ok()) fprintf(stderr, "%s\n", s.message().c_str());
#pragma once

#include <string>
#include <utility>

namespace parallax::rt {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // the model or an input is wrong (bad shape, bad attribute, ...)
  kUnsupported = 2,      // valid ONNX that this runtime does not implement
  kOutOfRange = 3,       // a run-time shape exceeds the planned bound, an index is out of range
  kInternal = 4,         // a broken invariant: a bug in Parallax
};

class Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status invalid(std::string msg) { return Status(StatusCode::kInvalidArgument, std::move(msg)); }
  static Status unsupported(std::string msg) { return Status(StatusCode::kUnsupported, std::move(msg)); }
  static Status out_of_range(std::string msg) { return Status(StatusCode::kOutOfRange, std::move(msg)); }
  static Status internal(std::string msg) { return Status(StatusCode::kInternal, "internal error: " + std::move(msg)); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message starts with `context` ("node 'conv1' (Conv): ...").
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace parallax::rt

// Propagates a non-ok Status to the caller.
#define PARALLAX_RETURN_IF_ERROR(expr)                 \
  do {                                                 \
    ::parallax::rt::Status parallax_status_ = (expr);  \
    if (!parallax_status_.is_ok()) return parallax_status_; \
  } while (0)
