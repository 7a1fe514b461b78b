// The sorting primitives' kernels: argsort (the permutation that sorts each line of a tensor
// along an axis) and take_along_axis (the elements an index tensor selects along an axis),
// registered under ops::Primitive::argsort / take_along_axis for each dtype. tf::sort and
// tf::math::top_k are composites of the two.
#pragma once

#include <cstdint>

#include "ops/op_info.h"

namespace tf::rt {

// Contiguous tensors viewed as (outer, n, inner): out[o, j, i] is the index along the axis of
// the j-th smallest (largest when descending) of x[o, :, i]. Stable: equal elements keep their
// order. NaN sorts above every number (last ascending, first descending), as NumPy's.
struct ArgsortPlan {
  int64_t outer, n, inner;
  bool descending;
};
using ArgsortKernel = void (*)(const void* x, int32_t* out, const ArgsortPlan& plan);

// out[o, j, i] = x[o, indices[o, j, i], i], x viewed as (outer, n, inner) and indices and out as
// (outer, m, inner). Indices are in [0, n) (the op function checks them).
struct TakeAlongAxisPlan {
  int64_t outer, n, m, inner;
};
using TakeAlongAxisKernel = void (*)(const void* x, const int32_t* indices, void* out,
                                     const TakeAlongAxisPlan& plan);

}  // namespace tf::rt
