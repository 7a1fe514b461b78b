// Typed errors, named after TensorFlow's (tf.errors.*). Every op failure raises one of these,
// with a message that names the op and the offending shapes, dtypes or values.
#pragma once

#include <stdexcept>
#include <string>

#include "tfjit/export.h"

TFJIT_API_BEGIN
namespace tf {

enum class ErrorCode {
  kInvalidArgument,
  kUnimplemented,
  kResourceExhausted,
  kFailedPrecondition,
  kOutOfRange,
  kInternal,
  kUnavailable,  // a peer (another rank, a device) cannot be reached or stopped answering
  kAborted       // another rank failed, so this collective was abandoned
};

namespace detail {
// `message`, followed by user code's call site when tf::debugging's call sites are on.
std::string with_call_site(const std::string& message);
}  // namespace detail

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(detail::with_call_site(message)), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

#define TFJIT_DEFINE_ERROR(Name, Code)                                             \
  class Name : public Error {                                                      \
   public:                                                                         \
    explicit Name(const std::string& message) : Error(ErrorCode::Code, message) {} \
  };
TFJIT_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
TFJIT_DEFINE_ERROR(UnimplementedError, kUnimplemented)
TFJIT_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
TFJIT_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
TFJIT_DEFINE_ERROR(OutOfRangeError, kOutOfRange)
TFJIT_DEFINE_ERROR(InternalError, kInternal)
TFJIT_DEFINE_ERROR(UnavailableError, kUnavailable)
TFJIT_DEFINE_ERROR(AbortedError, kAborted)
#undef TFJIT_DEFINE_ERROR

namespace debugging {
// Opt-in (as tf.debugging's switches): every tf::Error's message ends with where user code called
// into tfjit, the file, line and function of the nearest frames outside tfjit, read from debug
// info (build with -g), so an error deep in a model says where. Also on when the environment
// sets TFJIT_ERROR_CALL_SITES=1. Off, it costs one flag test per error raised, nothing else.
void enable_error_call_sites();
void disable_error_call_sites();
bool error_call_sites_enabled();
}  // namespace debugging

}  // namespace tf
TFJIT_API_END
