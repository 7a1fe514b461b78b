#pragma once

#include "runtime/tensor_impl.h"
#include "tfjit/tensor.h"

namespace tf::detail {
// An uninitialised CPU tensor; validates the shape (non-negative, size fits int64).
Tensor empty(DType dtype, TensorShape shape);
// Elements start[d] + step[d] * i for i < size[d] in each dimension d (arguments already
// validated: in range, step != 0). The primitive behind slice, reverse, unstack and indexing.
Tensor strided_slice(const Tensor& x, const std::vector<int64_t>& start,
                     const std::vector<int64_t>& size, const std::vector<int64_t>& step);
}  // namespace tf::detail
