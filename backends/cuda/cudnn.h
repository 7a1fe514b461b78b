// cuDNN, loaded at run time like the driver and cuBLAS ($TFJIT_CUDNN names the library, and
// then only it is tried; else libcudnn.so.9), for convolutions on the GPU through its legacy
// convolution API. The algorithm of each configuration is chosen once (cudnnFind*Ex timing the
// candidates that cudnnGet*_v7 proposes, or the heuristics alone with
// TF_CUDNN_USE_AUTOTUNE=0, as in TensorFlow) and cached with the configuration's descriptors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backends/cuda/driver.h"
#include "runtime/primitives/conv.h"
#include "tfjit/dtype.h"

namespace tf::cuda {

// Whether cuDNN loads with the convolution API (convolutions then run on it), and why not.
bool cudnn_available();
const std::string& cudnn_unavailable_reason();

// A convolution in cuDNN's terms. Activations are channels last (batch, spatial..., channels)
// and the filter is (out channels, spatial..., in channels / groups), cuDNN's NHWC filter
// format; padding is the same on both sides of each spatial dim (cuDNN's legacy API has no
// other). Operands in rt::ConvKind's order: (x, w) -> y, (w, dy) -> dx, (x, dy) -> dw.
struct CudnnConv {
  rt::ConvKind kind = rt::ConvKind::kForward;
  DType dtype = DType::float32;
  std::vector<int64_t> input, filter, output;
  std::vector<int64_t> strides, dilations, padding;
  int64_t groups = 1;
};

// A forward convolution's epilogue: out = relu(conv + bias + residual), each part optional.
// With ReLU it is one cudnnConvolutionBiasActivationForward (the legacy API fuses no other
// activation with every algorithm; its ReLU does not propagate NaN, as in TensorFlow's fused GPU
// convolutions). Without ReLU, or where cuDNN refuses the fused call, it is the convolution
// accumulating onto the residual, then cudnnAddTensor and cudnnActivationForward.
struct CudnnEpilogue {
  bool relu = false;
  const void* bias = nullptr;      // one value per output channel, or null
  const void* residual = nullptr;  // the output's shape, or null
};

// Enqueues `conv` (with `epilogue`, forward only, if not null) on GPU `ordinal`'s stream with the
// workspace from its allocator. False when cuDNN does not support the configuration (a dtype or
// layout it refuses, sizes past int32, an empty convolution with an epilogue): nothing that
// matters was enqueued and the caller computes it another way. A failure of cuDNN raises a typed
// error naming `op` (InternalError; ResourceExhaustedError when memory runs out; UnavailableError
// when cuDNN cannot initialise on this GPU).
bool cudnn_convolution(int ordinal, const CudnnConv& conv, const void* a, const void* b, void* out,
                       std::string_view op, const CudnnEpilogue* epilogue = nullptr);

// A handle for `stream` (a CUDA Graph's capture stream), created now: cudnnCreate allocates, so
// it must not run while the graph records. release_cudnn_stream destroys it, before the stream
// itself is destroyed; its work must be finished.
void prepare_cudnn_stream(int ordinal, CUstream stream);
void release_cudnn_stream(CUstream stream);

// Configurations whose algorithm was chosen so far in this process (for tests and the GPU
// check: a second call of the same configuration must not choose again).
int64_t cudnn_algorithm_searches();
// Configurations whose fused call (CudnnEpilogue with ReLU) cuDNN refused, so far in this process:
// they run the separate calls (for tests and the benchmark, which says so).
int64_t cudnn_fused_refusals();

}  // namespace tf::cuda
