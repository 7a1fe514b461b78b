// Linear algebra: matmul (the primitive, with transposes and batch broadcasting around it),
// tensordot and einsum (composites: transpose, reshape, matmul, reduce_sum).
#include <algorithm>
#include <map>

#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  checked(a, "matmul", "a");
  checked(b, "matmul", "b");
  check_same_dtype("matmul", a, b);
  check_dtype("matmul", a.dtype(), core::kNumeric);
  if (a.ndim() < 2 || b.ndim() < 2)
    throw InvalidArgumentError("matmul: operands need rank >= 2, got shapes " +
                               a.shape().to_string() + " and " + b.shape().to_string());
  auto inner_dims_differ = [&] {
    return InvalidArgumentError("matmul: inner dimensions differ: " + a.shape().to_string() +
                                " x " + b.shape().to_string() +
                                (transpose_a || transpose_b ? " (after transposes)" : ""));
  };
  // A batch of matrices times one matrix: the batch's rows are one product (as tf.tensordot
  // computes it), so b is not copied per batch, and its gradient is one product rather than a
  // sum over the copies. (Unknown dims keep the general path: its checks at the call name the
  // caller's shapes.)
  if (a.ndim() > 2 && b.ndim() == 2 && !transpose_a && a.shape().is_fully_defined() &&
      b.shape().is_fully_defined()) {
    const int64_t k = a.shape()[a.ndim() - 1];
    if (k != b.shape()[transpose_b ? 1 : 0]) throw inner_dims_differ();
    std::vector<int64_t> dims = a.shape().dims();
    int64_t rows = 1;
    for (size_t i = 0; i + 1 < dims.size(); ++i) rows *= dims[i];
    dims.back() = b.shape()[transpose_b ? 0 : 1];
    return reshape(matmul(reshape(a, {rows, k}), b, false, transpose_b), dims);
  }
  auto swap_last = [](const Tensor& t) {
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < t.ndim(); ++i) perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return transpose(t, perm);
  };
  // Eagerly the GEMM kernel takes the transposes as flags (no copy); the graph primitive has no
  // transpose flags yet, so traced transposes are explicit ops.
  bool eager = TraceContext::current() == nullptr;
  bool ta = eager && transpose_a, tb = eager && transpose_b;
  Tensor x = transpose_a && !eager ? swap_last(a) : a, y = transpose_b && !eager ? swap_last(b) : b;
  int64_t rx = x.shape()[x.ndim() - 2], cx = x.shape()[x.ndim() - 1];
  int64_t ry = y.shape()[y.ndim() - 2], cy = y.shape()[y.ndim() - 1];
  int64_t m = ta ? cx : rx, k = ta ? rx : cx, k2 = tb ? cy : ry, n = tb ? ry : cy;
  if (k != k2 && k != kUnknownDim && k2 != kUnknownDim)  // unknown: checked at the call
    throw inner_dims_differ();
  // Batch dimensions broadcast; the primitive sees rank 2, or rank 3 with one equal batch.
  TensorShape batch_x(x.shape().begin(), x.shape().end() - 2),
      batch_y(y.shape().begin(), y.shape().end() - 2);
  auto batch = core::broadcast_shapes(batch_x, batch_y);
  if (!batch.ok()) throw InvalidArgumentError("matmul: batch " + batch.error);
  int64_t count = batch.shape.is_fully_defined() ? batch.shape.num_elements() : -1;
  std::vector<int64_t> out_dims = batch.shape.dims();
  out_dims.push_back(m);
  out_dims.push_back(n);
  if (batch.shape.rank() > 0) {
    const std::vector<Tensor> operands = {x, y};  // where unknown batch dims take their sizes
    auto full = [&](const Tensor& t, int64_t rows, int64_t cols) {
      std::vector<int64_t> dims = batch.shape.dims();
      dims.push_back(rows);
      dims.push_back(cols);
      return reshape(detail::broadcast_to(t, TensorShape(dims), operands), {count, rows, cols});
    };
    x = full(x, rx, cx);
    y = full(y, ry, cy);
  }
  Tensor out;
  if (auto* trace = TraceContext::current()) {
    auto shape = core::matmul_shape(x.shape(), y.shape());
    if (!shape.ok()) throw InvalidArgumentError("matmul: " + shape.error);
    out = trace->emit("matmul", {x, y}, {}, x.dtype(), shape.shape);
  } else {
    auto [device, kernel] = place<rt::MatmulKernel>("matmul", ops::Primitive::matmul, x.dtype());
    std::vector<int64_t> dims;
    if (x.ndim() == 3) dims.push_back(x.shape()[0]);
    dims.insert(dims.end(), {m, n});
    out = detail::empty(x.dtype(), TensorShape(dims), device);
    Tensor a = to_device(x, device), b = to_device(y, device);
    // An empty result has nothing to compute, however many (2^57) empty batches it holds.
    if (out.num_elements() > 0)
      kernel(raw(a), raw(b), raw_mut(out), x.ndim() == 3 ? x.shape()[0] : 1, m, k, n, ta, tb);
  }
  // With X = op(A), Y = op(B): dX = G Y^T and dY = X^T G, transposed back where A or B was.
  if (should_record({&x, &y}))
    record({x, y}, out, [x, y, ta, tb](const Tensor& g) {
      Tensor da, db;
      if (gradient_needed(0)) da = ta ? matmul(y, g, tb, true) : matmul(g, y, false, !tb);
      if (gradient_needed(1)) db = tb ? matmul(g, x, true, ta) : matmul(x, g, !ta, false);
      return std::vector<Tensor>{da, db};
    });
  return out.shape() == TensorShape(out_dims) ? out : reshape(out, out_dims);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t axes) {
  checked(a, "tensordot", "a");
  checked(b, "tensordot", "b");
  if (axes < 0 || axes > a.ndim() || axes > b.ndim())
    throw InvalidArgumentError("tensordot: axes " + std::to_string(axes) +
                               " is out of range for shapes " + a.shape().to_string() + " and " +
                               b.shape().to_string());
  std::vector<int64_t> xa, xb;
  for (int64_t i = 0; i < axes; ++i) {
    xa.push_back(a.ndim() - axes + i);
    xb.push_back(i);
  }
  return tensordot(a, b, xa, xb);
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& axes_a,
                 const std::vector<int64_t>& axes_b) {
  checked(a, "tensordot", "a");
  checked(b, "tensordot", "b");
  if (axes_a.size() != axes_b.size())
    throw InvalidArgumentError("tensordot: " + std::to_string(axes_a.size()) + " axes of a but " +
                               std::to_string(axes_b.size()) + " of b");
  auto na = core::normalize_axes(axes_a, a.ndim()), nb = core::normalize_axes(axes_b, b.ndim());
  if (!na.error.empty() || !nb.error.empty())
    throw InvalidArgumentError("tensordot: " + na.error + nb.error);
  if (na.axes.size() != axes_a.size() || nb.axes.size() != axes_b.size())
    throw InvalidArgumentError("tensordot: repeated axes");
  // Contracted axes in the caller's order; free axes in order.
  auto wrap = [](int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; };
  std::vector<int64_t> ca, cb, fa, fb;
  int64_t k = 1;
  for (size_t i = 0; i < axes_a.size(); ++i) {
    ca.push_back(wrap(axes_a[i], a.ndim()));
    cb.push_back(wrap(axes_b[i], b.ndim()));
    if (a.shape()[ca.back()] != b.shape()[cb.back()])
      throw InvalidArgumentError(
          "tensordot: contracted dimensions differ: " + a.shape().to_string() + " axis " +
          std::to_string(ca.back()) + " vs " + b.shape().to_string() + " axis " +
          std::to_string(cb.back()));
    k *= a.shape()[ca.back()];
  }
  std::vector<int64_t> out_dims;
  int64_t m = 1, n = 1;
  for (int64_t i = 0; i < a.ndim(); ++i)
    if (std::find(ca.begin(), ca.end(), i) == ca.end())
      fa.push_back(i), out_dims.push_back(a.shape()[i]), m *= a.shape()[i];
  for (int64_t i = 0; i < b.ndim(); ++i)
    if (std::find(cb.begin(), cb.end(), i) == cb.end())
      fb.push_back(i), out_dims.push_back(b.shape()[i]), n *= b.shape()[i];
  std::vector<int64_t> pa = fa, pb = cb;
  pa.insert(pa.end(), ca.begin(), ca.end());
  pb.insert(pb.end(), fb.begin(), fb.end());
  Tensor x = reshape(transpose(a, pa), {m, k}), y = reshape(transpose(b, pb), {k, n});
  return reshape(matmul(x, y), out_dims);
}

namespace {

bool has(const std::string& s, char c) { return s.find(c) != std::string::npos; }

Tensor permute_to(const Tensor& x, const std::string& from, const std::string& to) {
  std::vector<int64_t> perm;
  for (char c : to) perm.push_back(static_cast<int64_t>(from.find(c)));
  return transpose(x, perm);
}

// One or two operands into `out` (indices checked, none repeated within an operand): indices in
// one operand only are summed first; then batch (in both and out), contracted (in both, not out)
// and free indices make one batched matmul.
Tensor contract(std::vector<Tensor> t, std::vector<std::string> ins, const std::string& out,
                std::map<char, int64_t>& sizes) {
  for (size_t i = 0; i < ins.size(); ++i) {
    std::vector<int64_t> axes;
    std::string kept;
    for (size_t d = 0; d < ins[i].size(); ++d) {
      char c = ins[i][d];
      if (has(out, c) || (ins.size() == 2 && has(ins[1 - i], c)))
        kept += c;
      else
        axes.push_back(static_cast<int64_t>(d));
    }
    if (!axes.empty()) t[i] = reduce_sum(t[i], axes);
    ins[i] = kept;
  }
  if (ins.size() == 1) return permute_to(t[0], ins[0], out);
  std::string batch, contracted, free_a, free_b;
  for (char c : ins[0]) {
    if (has(ins[1], c))
      (has(out, c) ? batch : contracted) += c;
    else
      free_a += c;
  }
  for (char c : ins[1])
    if (!has(ins[0], c)) free_b += c;
  // Group sizes; a group holding a dim unknown while tracing is -1 for reshape, and a reshape
  // can infer only one.
  auto product = [&](const std::string& idx) {
    int64_t p = 1;
    for (char c : idx) {
      if (sizes[c] == kUnknownDim) return int64_t{-1};
      p *= sizes[c];
    }
    return p;
  };
  auto inferable = [&](std::vector<int64_t> dims) {
    if (std::count(dims.begin(), dims.end(), int64_t{-1}) > 1)
      throw UnimplementedError("einsum: '" + ins[0] + "," + ins[1] + "->" + out +
                               "' needs the sizes of more than one index group, unknown while "
                               "tracing; give them static sizes in the input_signature");
    return dims;
  };
  int64_t nb = product(batch), m = product(free_a), k = product(contracted), n = product(free_b);
  Tensor x = reshape(permute_to(t[0], ins[0], batch + free_a + contracted), inferable({nb, m, k}));
  Tensor y = reshape(permute_to(t[1], ins[1], batch + contracted + free_b), inferable({nb, k, n}));
  std::string result = batch + free_a + free_b;
  std::vector<int64_t> dims;
  for (char c : result) dims.push_back(sizes[c] == kUnknownDim ? -1 : sizes[c]);
  return permute_to(reshape(matmul(x, y), inferable(dims)), result, out);
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  auto fail = [&](const std::string& why) -> Tensor {
    throw InvalidArgumentError("einsum: '" + equation + "': " + why);
  };
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow), out;
  std::vector<std::string> ins;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    ins.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (ins.size() != operands.size())
    fail("has " + std::to_string(ins.size()) + " operand subscripts but " +
         std::to_string(operands.size()) + " operands");
  std::map<char, int64_t> sizes;
  std::map<char, int> uses;
  for (size_t i = 0; i < ins.size(); ++i) {
    checked(operands[i], "einsum", "operands");
    if (static_cast<int64_t>(ins[i].size()) != operands[i].ndim())
      fail("operand " + std::to_string(i) + " has shape " + operands[i].shape().to_string() +
           " but subscripts '" + ins[i] + "'");
    for (size_t d = 0; d < ins[i].size(); ++d) {
      char c = ins[i][d];
      if (!std::isalpha(static_cast<unsigned char>(c)))
        fail("subscripts must be letters (no '...')");
      if (std::count(ins[i].begin(), ins[i].end(), c) > 1)
        fail("repeated index '" + std::string(1, c) + "' (diagonals are not supported)");
      int64_t dim = operands[i].shape()[static_cast<int64_t>(d)];
      auto [it, fresh] = sizes.emplace(c, dim);
      if (!fresh && it->second == kUnknownDim) it->second = dim;  // known beats unknown
      if (!fresh && it->second != dim && dim != kUnknownDim)
        fail("index '" + std::string(1, c) + "' has sizes " + std::to_string(it->second) + " and " +
             std::to_string(dim));
      ++uses[c];
    }
  }
  if (arrow == std::string::npos) {  // implicit: the indices used once, in alphabetical order
    for (auto [c, n] : uses)
      if (n == 1) out += c;
  } else {
    out = eq.substr(arrow + 2);
  }
  for (char c : out)
    if (!sizes.count(c) || std::count(out.begin(), out.end(), c) > 1)
      fail("bad output index '" + std::string(1, c) + "'");
  // More than two operands: contract the pair whose result is smallest (opt_einsum's greedy
  // order), keeping the indices still needed by the output or another operand, until two remain.
  std::vector<Tensor> t = operands;
  while (ins.size() > 2) {
    size_t best_i = 0, best_j = 1;
    std::string best_keep;
    double best_size = INFINITY;
    for (size_t i = 0; i < ins.size(); ++i)
      for (size_t j = i + 1; j < ins.size(); ++j) {
        std::string keep;
        for (const std::string& side : {ins[i], ins[j]})
          for (char c : side) {
            bool needed = has(out, c);
            for (size_t o = 0; o < ins.size(); ++o) needed |= o != i && o != j && has(ins[o], c);
            if (needed && !has(keep, c)) keep += c;
          }
        double size = 1;
        for (char c : keep) size *= static_cast<double>(sizes[c]);
        if (size < best_size) best_size = size, best_i = i, best_j = j, best_keep = keep;
      }
    Tensor pair = contract({t[best_i], t[best_j]}, {ins[best_i], ins[best_j]}, best_keep, sizes);
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(best_j));
    ins.erase(ins.begin() + static_cast<std::ptrdiff_t>(best_j));
    t[best_i] = pair;
    ins[best_i] = best_keep;
  }
  return contract(t, ins, out, sizes);
}

}  // namespace tf
