// Tensor indexing with TensorFlow's strided-slice semantics (those of NumPy basic indexing):
// normalise each entry against its dimension, take one strided slice, then reshape away integer
// indices and insert new axes.
#include <algorithm>

#include "frontend/src/op_helpers.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/ops.h"

namespace tf::detail {

Tensor index(const Tensor& t, const std::vector<Index>& indices) {
  checked(t, "index", "tensor");
  int64_t rank = t.ndim(), consuming = 0, ellipses = 0;
  for (const Index& i : indices) {
    if (i.kind == Index::Kind::kEllipsis)
      ++ellipses;
    else if (i.kind != Index::Kind::kNewAxis)
      ++consuming;
  }
  if (ellipses > 1) throw InvalidArgumentError("index: at most one tf::ellipsis is allowed");
  if (consuming > rank)
    throw InvalidArgumentError("index: " + std::to_string(consuming) +
                               " indices for a tensor of shape " + t.shape().to_string());
  // Expand the ellipsis (or pad at the end) with full slices.
  std::vector<Index> full;
  for (const Index& i : indices) {
    if (i.kind == Index::Kind::kEllipsis)
      full.insert(full.end(), static_cast<size_t>(rank - consuming), Index(all));
    else
      full.push_back(i);
  }
  if (!ellipses) full.insert(full.end(), static_cast<size_t>(rank - consuming), Index(all));

  std::vector<int64_t> start, size, step, out_dims;
  int64_t d = 0;
  for (const Index& i : full) {
    if (i.kind == Index::Kind::kNewAxis) {
      out_dims.push_back(1);
      continue;
    }
    int64_t dim = t.shape()[d];
    if (dim ==
        kUnknownDim) {  // while tracing: x[k], x[k:] (k >= 0) and x[::-1], checked at the call
      if (i.kind == Index::Kind::kInteger && i.start >= 0) {
        start.push_back(i.start), size.push_back(1), step.push_back(1);
      } else if (i.kind == Index::Kind::kSlice && i.step == 1 && !i.has_stop &&
                 (!i.has_start || i.start >= 0)) {
        start.push_back(i.has_start ? i.start : 0), size.push_back(-1), step.push_back(1);
        out_dims.push_back(kUnknownDim);
      } else if (i.kind == Index::Kind::kSlice && i.step == -1 && !i.has_start && !i.has_stop) {
        start.push_back(-1), size.push_back(-1), step.push_back(-1);  // x[::-1], the whole dim
        out_dims.push_back(kUnknownDim);
      } else {
        require_known_dim("index", t, d);
      }
      ++d;
      continue;
    }
    if (i.kind == Index::Kind::kInteger) {
      int64_t k = i.start < 0 ? i.start + dim : i.start;
      if (k < 0 || k >= dim)
        throw InvalidArgumentError("index: index " + std::to_string(i.start) +
                                   " is out of bounds for dimension " + std::to_string(d) +
                                   " of shape " + t.shape().to_string());
      start.push_back(k), size.push_back(1), step.push_back(1);
    } else {
      if (i.step == 0)
        throw InvalidArgumentError("index: slice step cannot be zero (dimension " +
                                   std::to_string(d) + ")");
      auto bound = [&](int64_t v, bool given, int64_t fallback) {
        if (!given) return fallback;
        if (v < 0) v += dim;
        return i.step > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
      };
      int64_t b = bound(i.start, i.has_start, i.step > 0 ? 0 : dim - 1);
      int64_t e = bound(i.stop, i.has_stop, i.step > 0 ? dim : -1);
      // ceil(span / |step|) in unsigned arithmetic: a step near +-2^63 must not overflow.
      const int64_t span = i.step > 0 ? e - b : b - e;
      const uint64_t stride =
          i.step > 0 ? static_cast<uint64_t>(i.step) : uint64_t{0} - static_cast<uint64_t>(i.step);
      const int64_t n =
          span <= 0 ? 0 : static_cast<int64_t>(1 + (static_cast<uint64_t>(span) - 1) / stride);
      start.push_back(n > 0 ? b : 0), size.push_back(n), step.push_back(i.step);
      out_dims.push_back(n);
    }
    ++d;
  }
  return reshape(strided_slice(t, start, size, step), out_dims);
}

}  // namespace tf::detail
