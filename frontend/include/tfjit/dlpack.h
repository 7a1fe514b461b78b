// DLPack exchange (https://dmlc.github.io/dlpack/), so PyTorch, JAX, NumPy and tfjit can share
// tensors without copying. Include this header explicitly; it needs <dlpack/dlpack.h>
// (Debian: libdlpack-dev).
#pragma once

#include <dlpack/dlpack.h>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {

// A DLManagedTensor over t's buffer (no copy); the consumer calls its deleter when done, which
// releases tfjit's reference.
DLManagedTensor* to_dlpack(const Tensor& t);
// Takes ownership of `managed`. Row-major contiguous CPU data is wrapped without a copy (the
// deleter runs when the last tensor referring to it goes); strided data is copied and the
// deleter runs at once. Unsupported devices or dtypes raise InvalidArgumentError, after which the
// caller still owns `managed`.
Tensor from_dlpack(DLManagedTensor* managed);

}  // namespace tf
TFJIT_API_END
