// tile and pad, built on broadcast_to and concat: with unknown dims they inherit concat's
// run-time sizes (its gradient cuts at them, tfjit.unconcat).
#include <algorithm>

#include "frontend/src/op_helpers.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

Tensor tile(const Tensor& x, const std::vector<int64_t>& multiples) {
  checked(x, "tile", "x");
  if (static_cast<int64_t>(multiples.size()) != x.ndim())
    throw InvalidArgumentError("tile: " + std::to_string(multiples.size()) +
                               " multiples for shape " + x.shape().to_string());
  int64_t unknown = 0;
  bool repeats_unknown = false;
  std::vector<int64_t> result;  // the tiled dims (unknown where x's are)
  for (int64_t d = 0; d < x.ndim(); ++d) {
    const int64_t m = multiples[static_cast<size_t>(d)], n = x.shape()[d];
    if (m < 0) throw InvalidArgumentError("tile: multiple " + std::to_string(m) + " is negative");
    int64_t r = kUnknownDim;
    if (n != kUnknownDim && __builtin_mul_overflow(m, n, &r))
      throw InvalidArgumentError("tile: multiple " + std::to_string(m) + " of dimension " +
                                 std::to_string(d) + " of " + x.shape().to_string() +
                                 " overflows int64");
    result.push_back(r);
    unknown += n == kUnknownDim;
    repeats_unknown = repeats_unknown || (m != 1 && n == kUnknownDim);
  }
  // The reshape below infers one unknown dim at most, and repeats none: otherwise each dim is
  // repeated by concatenating copies, doubling (log2 m concats).
  if (repeats_unknown || (unknown > 1 && std::any_of(multiples.begin(), multiples.end(),
                                                     [](int64_t m) { return m != 1; }))) {
    Tensor out = x;
    for (int64_t d = 0; d < x.ndim(); ++d) {
      int64_t m = multiples[static_cast<size_t>(d)];
      if (m == 1) continue;
      if (m == 0) {
        std::vector<int64_t> begin(static_cast<size_t>(out.ndim()), 0), size(begin.size(), -1);
        size[static_cast<size_t>(d)] = 0;
        out = slice(out, begin, size);
        continue;
      }
      std::vector<Tensor> parts;
      for (Tensor copies = out; m > 0; m >>= 1) {
        if (m & 1) parts.push_back(copies);
        if (m > 1) copies = concat({copies, copies}, d);
      }
      out = concat(parts, d);
    }
    return out;
  }
  // (d0, d1) -> (1, d0, 1, d1) -> broadcast (m0, d0, m1, d1) -> (m0 * d0, m1 * d1)
  std::vector<int64_t> interleaved, broadcast;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    interleaved.insert(interleaved.end(), {1, x.shape()[d]});
    broadcast.insert(broadcast.end(), {multiples[static_cast<size_t>(d)], x.shape()[d]});
  }
  if (std::string e = core::validate_shape(TensorShape(broadcast), true); !e.empty())
    throw InvalidArgumentError("tile: " + e);
  Tensor spread = reshape(x, interleaved);
  return reshape(detail::broadcast_to(spread, TensorShape(broadcast), {spread}), result);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings,
           double value) {
  checked(x, "pad", "x");
  if (static_cast<int64_t>(paddings.size()) != x.ndim())
    throw InvalidArgumentError("pad: " + std::to_string(paddings.size()) + " paddings for shape " +
                               x.shape().to_string());
  Tensor out = x;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    auto [before, after] = paddings[static_cast<size_t>(d)];
    if (before < 0 || after < 0)
      throw InvalidArgumentError("pad: paddings must be non-negative, got (" +
                                 std::to_string(before) + ", " + std::to_string(after) +
                                 ") for dimension " + std::to_string(d));
    if (before == 0 && after == 0) continue;
    std::vector<Tensor> parts;
    auto block = [&](int64_t n) {  // unknown dims take their sizes from `out`
      std::vector<int64_t> dims = out.shape().dims();
      dims[static_cast<size_t>(d)] = n;
      return detail::broadcast_to(fill({}, value, x.dtype()), TensorShape(dims), {out});
    };
    if (before) parts.push_back(block(before));
    parts.push_back(out);
    if (after) parts.push_back(block(after));
    out = concat(parts, d);
  }
  return out;
}

}  // namespace tf
