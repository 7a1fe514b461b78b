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
  kInternal
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
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
#undef TFJIT_DEFINE_ERROR

}  // namespace tf
TFJIT_API_END
