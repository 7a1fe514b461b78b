// Compile-time check of cudnn_abi.h against cuDNN's own <cudnn.h> (built only where it is
// installed): tfjit declares the entry points it loads itself, and this keeps those declarations
// honest. cuDNN 9 marks the legacy convolution API deprecated; it is what tfjit uses.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <cudnn.h>

#include <cstddef>
#include <type_traits>

#include "backends/cuda/cudnn_abi.h"

namespace tf::cuda::dnn {
namespace {

static_assert(CUDNN_MAJOR == 9, "cudnn_abi.h declares cuDNN 9's API");

// Two parameter types are passed alike: the same type, integers or enums of one size, or two
// pointers to the same type or to structs (opaque handles; AlgoPerf is checked field by field
// below).
template <class A, class B>
constexpr bool same_abi() {
  using a = std::remove_cv_t<A>;
  using b = std::remove_cv_t<B>;
  if constexpr (std::is_same_v<a, b>) {
    return true;
  } else if constexpr ((std::is_integral_v<a> || std::is_enum_v<a>)&&(std::is_integral_v<b> ||
                                                                      std::is_enum_v<b>)) {
    return sizeof(a) == sizeof(b);
  } else if constexpr (std::is_pointer_v<a> && std::is_pointer_v<b>) {
    using pa = std::remove_pointer_t<a>;
    using pb = std::remove_pointer_t<b>;
    return std::is_const_v<pa> == std::is_const_v<pb> &&
           (std::is_same_v<std::remove_cv_t<pa>, std::remove_cv_t<pb>> ||
            (std::is_class_v<pa> && std::is_class_v<pb>));
  } else {
    return false;
  }
}

template <class F, class G>
struct SameFunction : std::false_type {};
template <class R, class... A, class S, class... B>
struct SameFunction<R (*)(A...), S (*)(B...)> {
  static constexpr bool value =
      sizeof...(A) == sizeof...(B) && same_abi<R, S>() && (same_abi<A, B>() && ...);
};

#define TFJIT_CHECK_ENTRY(member, symbol, type)                        \
  static_assert(SameFunction<type, decltype(&::cudnn##member)>::value, \
                symbol " is declared otherwise in <cudnn.h>");
TFJIT_CUDNN_ENTRY_POINTS(TFJIT_CHECK_ENTRY)
#undef TFJIT_CHECK_ENTRY

static_assert(kSuccess == CUDNN_STATUS_SUCCESS && kNotInitialized == CUDNN_STATUS_NOT_INITIALIZED &&
              kBadParam == CUDNN_STATUS_BAD_PARAM && kNotSupported == CUDNN_STATUS_NOT_SUPPORTED &&
              kInternalError == CUDNN_STATUS_INTERNAL_ERROR &&
              kHostAllocationFailed == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED &&
              kDeviceAllocationFailed == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED &&
              kExecutionFailed == CUDNN_STATUS_EXECUTION_FAILED);
static_assert(kDataFloat == CUDNN_DATA_FLOAT && kDataDouble == CUDNN_DATA_DOUBLE &&
              kDataHalf == CUDNN_DATA_HALF && kDataBfloat16 == CUDNN_DATA_BFLOAT16);
static_assert(kTensorNhwc == CUDNN_TENSOR_NHWC && kCrossCorrelation == CUDNN_CROSS_CORRELATION);
static_assert(kDefaultMath == CUDNN_DEFAULT_MATH && kTensorOpMath == CUDNN_TENSOR_OP_MATH &&
              kFmaMath == CUDNN_FMA_MATH);
static_assert(kActivationRelu == CUDNN_ACTIVATION_RELU &&
              kActivationIdentity == CUDNN_ACTIVATION_IDENTITY &&
              kNotPropagateNan == CUDNN_NOT_PROPAGATE_NAN);

// The three perf structs, one layout.
#define TFJIT_SAME_FIELD(type, field, theirs)                          \
  static_assert(offsetof(AlgoPerf, field) == offsetof(type, theirs) && \
                sizeof(AlgoPerf::field) == sizeof(type::theirs));
#define TFJIT_SAME_PERF(type)                      \
  TFJIT_SAME_FIELD(type, algo, algo)               \
  TFJIT_SAME_FIELD(type, status, status)           \
  TFJIT_SAME_FIELD(type, time, time)               \
  TFJIT_SAME_FIELD(type, memory, memory)           \
  TFJIT_SAME_FIELD(type, determinism, determinism) \
  TFJIT_SAME_FIELD(type, math_type, mathType)      \
  static_assert(sizeof(AlgoPerf) == sizeof(type));
TFJIT_SAME_PERF(cudnnConvolutionFwdAlgoPerf_t)
TFJIT_SAME_PERF(cudnnConvolutionBwdDataAlgoPerf_t)
TFJIT_SAME_PERF(cudnnConvolutionBwdFilterAlgoPerf_t)
#undef TFJIT_SAME_PERF
#undef TFJIT_SAME_FIELD

}  // namespace
}  // namespace tf::cuda::dnn
