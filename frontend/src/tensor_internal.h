#pragma once

#include "runtime/tensor_impl.h"
#include "tfjit/tensor.h"

namespace tf::detail {
// An uninitialised CPU tensor; validates the shape (non-negative, size fits int64).
Tensor empty(DType dtype, TensorShape shape);
}  // namespace tf::detail
