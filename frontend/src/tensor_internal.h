#pragma once

#include "frontend/src/tensor_impl.h"
#include "tfjit/tensor.h"

namespace tf::detail {
// An uninitialised tensor on `device`; validates the shape (non-negative, size fits int64).
Tensor empty(DType dtype, TensorShape shape, const rt::Device& device = {});
// Elements start[d] + step[d] * i for i < size[d] in each dimension d (arguments already
// validated: in range, step != 0). The primitive behind slice, reverse, unstack and indexing.
Tensor strided_slice(const Tensor& x, const std::vector<int64_t>& start,
                     const std::vector<int64_t>& size, std::vector<int64_t> step);
// Its gradient: g scattered into zeros of `shape` at those elements (differentiable again). Where
// `shape` has unknown dims (while tracing), `x` (a tensor of that shape) lends their sizes.
Tensor strided_slice_grad(Tensor g, const TensorShape& shape, const std::vector<int64_t>& start,
                          const std::vector<int64_t>& size, const std::vector<int64_t>& step,
                          const Tensor& x = {});
// tf::print's text for a tensor's values ("[1 2 3]", NumPy style; frontend/src/print.cpp), and
// the writer of one printed line (the stream set by tf::set_print_output). Compiled code's
// prints reach both through runtime/print.h's handler, so eager and compiled print alike.
std::string print_values(const Tensor& t);
void write_print_line(const std::string& line);
}  // namespace tf::detail
