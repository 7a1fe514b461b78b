// Tensor indexing with TensorFlow's strided-slice semantics (those of NumPy basic indexing):
// normalise each entry against its dimension, take one strided slice, then reshape away integer
// indices and insert new axes.
#include <algorithm>
#include <limits>

#include "frontend/src/op_helpers.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/ops.h"

namespace tf::detail {

namespace {
// Index i applied to dim d of x, whose size is known only at the call: the picked elements,
// in order, along d (1 for an integer index). Positions from the end (negative) become
// positions from the start of x reversed along d (element k of the reverse is -1 - k), so each
// piece is a slice from a known start; the bounds are checked at the call, where a position past
// either end, or a stop before the start (x[1:-1] of one element), raises instead of clamping
// as NumPy does.
Tensor pick_from_unknown_dim(Tensor x, int64_t d, const Index& i) {
  auto refuse = [&] {
    require_known_dim("index", x, d);
    return x;
  };
  auto take = [&](const Tensor& from, int64_t first, int64_t n, int64_t stride) {
    std::vector<int64_t> begin(static_cast<size_t>(from.ndim()), 0), size = from.shape().dims(),
                                                                     step(begin.size(), 1);
    begin[static_cast<size_t>(d)] = first, size[static_cast<size_t>(d)] = n;
    step[static_cast<size_t>(d)] = stride;
    return strided_slice(from, begin, size, step);
  };
  auto flip = [&](const Tensor& v) { return reverse(v, {d}); };
  // The number of positions b, b + s, ... before e (all from the same end), or -1 if huge.
  auto count = [](int64_t b, int64_t e, int64_t s) -> int64_t {
    const __int128 span = static_cast<__int128>(e) - b;
    if (span <= 0) return 0;
    const __int128 n = (span - 1) / s + 1;
    return n > (int64_t{1} << 62) ? -1 : static_cast<int64_t>(n);
  };
  if (i.kind == Index::Kind::kInteger) {
    if (i.start >= 0) return take(x, i.start, 1, 1);
    return take(flip(x), -(i.start + 1), 1, 1);
  }
  if (i.step == 0)
    throw InvalidArgumentError("index: slice step cannot be zero (dimension " + std::to_string(d) +
                               ")");
  // A negative step walks x reversed forwards: position p of x is -1 - p of the reverse.
  bool has_b = i.has_start, has_e = i.has_stop;
  int64_t b = i.start, e = i.stop, s = i.step;
  if (s < 0) {  // (-1 - p never overflows; a step of -2^63 is taken as -(2^63 - 1))
    x = flip(x),
    s = s == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -s;
    b = -1 - b, e = -1 - e;
  }
  if (!has_b) b = 0;
  if (b >= 0 && !has_e) return take(x, b, -1, s);  // x[b::s]
  if (b >= 0 && e >= 0) {                          // x[b:e:s]
    const int64_t n = count(b, e, s);
    return n < 0 ? refuse() : take(x, n > 0 ? b : 0, n, n > 1 ? s : 1);
  }
  if (b < 0 && (!has_e || e < 0)) {  // x[-k:] or x[-k:-j]: a known count from the end
    const int64_t n = count(b, has_e ? e : 0, s);
    if (n <= 0) return n == 0 ? take(x, 0, 0, 1) : refuse();
    // Reversed, the positions are -1 - b - j * s for j < n: taken from the lowest, then flipped.
    const __int128 first = -(static_cast<__int128>(b) + 1) - static_cast<__int128>(n - 1) * s;
    if (first < 0 || first > (int64_t{1} << 62)) return refuse();
    Tensor picked = take(flip(x), static_cast<int64_t>(first), n, n > 1 ? s : 1);
    return n > 1 ? flip(picked) : picked;
  }
  if (b >= 0 && e < 0 && s == 1 && e != std::numeric_limits<int64_t>::min()) {  // x[b:-j]
    if (b > 0) x = take(x, b, -1, 1);  // the rest from b, less j at the end
    return flip(take(flip(x), -e, -1, 1));
  }
  return refuse();  // from the end to a position from the start
}
}  // namespace

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
  Tensor source = t;  // t with its unknown dims' elements picked
  int64_t d = 0;
  for (const Index& i : full) {
    if (i.kind == Index::Kind::kNewAxis) {
      out_dims.push_back(1);
      continue;
    }
    int64_t dim = t.shape()[d];
    if (dim == kUnknownDim) {  // while tracing: pick the elements first, checked at the call
      source = pick_from_unknown_dim(source, d, i);
      const int64_t n = source.shape()[d];
      start.push_back(0), size.push_back(n), step.push_back(1);
      if (i.kind != Index::Kind::kInteger) out_dims.push_back(n);
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
  return reshape(strided_slice(source, start, size, step), out_dims);
}

}  // namespace tf::detail
