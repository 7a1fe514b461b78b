// tfjit-fuzz: calls public ops with adversarial arguments in seven modes, each case in its own
// process, and classifies what happens. A seeded random driver (the same seed gives the same
// cases), so every finding is reproducible with `--seed S --case N`.
//
// Modes: eager; tf::function with static shapes; with every dim unknown in input_signature;
// an eager gradient; a gradient inside tf::function. Outcomes: ok, typed (a tf::Error), std (any
// other exception: a defect), signal (a crash), hang (past --case-timeout), mismatch (eager
// and compiled results differ). Exit code: 0 when no defect was found, 1 when one was, 2 on
// usage errors.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "tfjit/tfjit.h"
#include "tools/fuzz_driver.h"

namespace {

using namespace tfjit_tools;
using Rng = std::mt19937_64;

// --- Adversarial arguments ------------------------------------------------------------------

const tf::DType kDTypes[] = {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32,
                             tf::int64,   tf::int8,    tf::int16,   tf::uint8,    tf::bool_};

int64_t pick(Rng& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
bool chance(Rng& rng, double p) { return std::bernoulli_distribution(p)(rng); }

// An integer parameter (axis, size, stride): mostly small, sometimes out of range or extreme.
int64_t int_param(Rng& rng) {
  static const int64_t kExtremes[] = {0,
                                      -1,
                                      int64_t{1} << 31,
                                      int64_t{1} << 62,
                                      -(int64_t{1} << 62),
                                      std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min()};
  if (chance(rng, 0.85)) return pick(rng, -4, 6);
  return kExtremes[pick(rng, 0, std::size(kExtremes) - 1)];
}
std::vector<int64_t> int_list(Rng& rng) {
  std::vector<int64_t> v(static_cast<size_t>(pick(rng, 0, 4)));
  for (auto& x : v) x = chance(rng, 0.8) ? pick(rng, 0, 4) : int_param(rng);
  return v;
}

// A shape of rank 0-4: small dims, sometimes 0, rarely a huge dim next to a zero (no elements).
tf::TensorShape shape_param(Rng& rng) {
  std::vector<int64_t> dims(static_cast<size_t>(pick(rng, 0, 4)));
  for (auto& d : dims) d = chance(rng, 0.9) ? pick(rng, 1, 5) : 0;
  if (!dims.empty() && chance(rng, 0.04)) {
    dims[0] = int64_t{1} << pick(rng, 31, 62);
    dims.push_back(0);
  }
  return tf::TensorShape(dims);
}

// Values: ordinary ones, with NaN, infinities, zeros and the integer extremes mixed in.
tf::Tensor tensor_param(Rng& rng, tf::DType dtype, const tf::TensorShape& shape) {
  int64_t n = shape.num_elements();
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) {
    switch (pick(rng, 0, 9)) {
      case 0:
        x = std::nan("");
        break;
      case 1:
        x = chance(rng, 0.5) ? INFINITY : -INFINITY;
        break;
      case 2:
        x = 0;
        break;
      case 3:
        x = chance(rng, 0.5) ? 2147483647.0 : -2147483648.0;
        break;
      default:
        x = std::uniform_real_distribution<double>(-4, 4)(rng);
    }
    if (dtype != tf::float32 && dtype != tf::float64 && dtype != tf::float16 &&
        dtype != tf::bfloat16)
      x = std::isfinite(x) ? std::clamp(std::round(x), -100.0, 100.0) : 1.0;
    if (dtype == tf::uint8) x = std::fabs(x);
    if (dtype == tf::bool_) x = x > 0;
  }
  return tf::cast(tf::constant(v, shape, tf::float64), dtype);
}

// --- The ops: each draws its parameters from the case's generator ---------------------------

struct Call {
  // Turns the tensor arguments into a result; called once per mode with the same parameters.
  std::function<tf::Tensor(const std::vector<tf::Tensor>&)> fn;
  std::vector<tf::Tensor> args;
  std::string what;  // the parameters, for the report
};
struct OpEntry {
  const char* name;
  std::function<Call(Rng&)> make;
};

std::string describe(const std::vector<int64_t>& v) { return tf::TensorShape(v).to_string(); }

// float32 half of the time (most ops take it), else any dtype.
tf::DType any_dtype(Rng& rng) {
  return chance(rng, 0.5) ? tf::float32 : kDTypes[pick(rng, 0, std::size(kDTypes) - 1)];
}

Call unary(Rng& rng, tf::Tensor (*op)(const tf::Tensor&)) {
  auto s = shape_param(rng);
  auto d = any_dtype(rng);
  return {[op](const auto& a) { return op(a[0]); },
          {tensor_param(rng, d, s)},
          std::string(tf::dtype_name(d)) + s.to_string()};
}
Call binary(Rng& rng, tf::Tensor (*op)(const tf::Tensor&, const tf::Tensor&)) {
  auto d = any_dtype(rng);
  auto s1 = shape_param(rng), s2 = chance(rng, 0.6) ? s1 : shape_param(rng);
  auto d2 = chance(rng, 0.9) ? d : any_dtype(rng);
  return {[op](const auto& a) { return op(a[0], a[1]); },
          {tensor_param(rng, d, s1), tensor_param(rng, d2, s2)},
          std::string(tf::dtype_name(d)) + s1.to_string() + " " + std::string(tf::dtype_name(d2)) +
              s2.to_string()};
}
Call with_tensor(Rng& rng, std::function<tf::Tensor(const tf::Tensor&)> fn, std::string what) {
  auto s = shape_param(rng);
  auto d = any_dtype(rng);
  return {[fn](const auto& a) { return fn(a[0]); },
          {tensor_param(rng, d, s)},
          std::string(tf::dtype_name(d)) + s.to_string() + " " + what};
}

std::vector<OpEntry> catalogue() {
  std::vector<OpEntry> ops;
#define TFJIT_UNARY(name, ...) ops.push_back({#name, [](Rng& r) { return unary(r, tf::name); }});
#define TFJIT_BINARY(name, ...) ops.push_back({#name, [](Rng& r) { return binary(r, tf::name); }});
#include "ops/elementwise_ops.def"
#define TFJIT_REDUCTION(name, ...)                                                      \
  ops.push_back({#name, [](Rng& r) {                                                    \
                   auto axes = int_list(r);                                             \
                   bool keep = chance(r, 0.5);                                          \
                   return with_tensor(                                                  \
                       r, [=](const tf::Tensor& x) { return tf::name(x, axes, keep); }, \
                       "axes=" + describe(axes) + (keep ? " keepdims" : ""));           \
                 }});
#include "ops/reduction_ops.def"
#define TFJIT_SCAN(name, ...)                                                              \
  ops.push_back({#name, [](Rng& r) {                                                       \
                   int64_t axis = int_param(r);                                            \
                   bool ex = chance(r, 0.5), rev = chance(r, 0.5);                         \
                   return with_tensor(                                                     \
                       r, [=](const tf::Tensor& x) { return tf::name(x, axis, ex, rev); }, \
                       "axis=" + std::to_string(axis));                                    \
                 }});
#include "ops/scan_ops.def"
  // Structural ops and composites: a tensor argument, and parameters the body draws from a
  // generator seeded once per case, so every mode replays the same parameters.
  auto add = [&](const char* name, std::function<tf::Tensor(Rng&, const tf::Tensor&)> body) {
    ops.push_back({name, [body](Rng& r) {
                     auto s = shape_param(r);
                     auto d = any_dtype(r);
                     const Rng params(r());
                     Call c;
                     c.args = {tensor_param(r, d, s)};
                     c.fn = [body, params](const auto& a) {
                       Rng p = params;
                       return body(p, a[0]);
                     };
                     c.what = std::string(tf::dtype_name(d)) + s.to_string();
                     return c;
                   }});
  };
  add("reshape", [](Rng& r, const tf::Tensor& x) { return tf::reshape(x, int_list(r)); });
  add("transpose", [](Rng& r, const tf::Tensor& x) { return tf::transpose(x, int_list(r)); });
  add("expand_dims", [](Rng& r, const tf::Tensor& x) { return tf::expand_dims(x, int_param(r)); });
  add("squeeze", [](Rng& r, const tf::Tensor& x) { return tf::squeeze(x, int_list(r)); });
  add("reverse", [](Rng& r, const tf::Tensor& x) { return tf::reverse(x, int_list(r)); });
  add("tile", [](Rng& r, const tf::Tensor& x) { return tf::tile(x, int_list(r)); });
  add("broadcast_to", [](Rng& r, const tf::Tensor& x) {
    return tf::broadcast_to(x, tf::TensorShape(int_list(r)));
  });
  // Parameters are drawn into named locals: argument evaluation order is unspecified, and the
  // same seed must give the same case with any compiler.
  add("slice", [](Rng& r, const tf::Tensor& x) {
    auto begin = int_list(r);
    auto size = int_list(r);
    return tf::slice(x, begin, size);
  });
  add("pad", [](Rng& r, const tf::Tensor& x) {
    std::vector<std::pair<int64_t, int64_t>> p(static_cast<size_t>(pick(r, 0, 4)));
    for (auto& [lo, hi] : p) lo = int_param(r), hi = int_param(r);
    return tf::pad(x, p);
  });
  add("concat", [](Rng& r, const tf::Tensor& x) { return tf::concat({x, x}, int_param(r)); });
  add("stack", [](Rng& r, const tf::Tensor& x) { return tf::stack({x, x}, int_param(r)); });
  add("unstack", [](Rng& r, const tf::Tensor& x) {
    auto parts = tf::unstack(x, int_param(r));
    return parts.empty() ? tf::zeros({0}) : parts.back();
  });
  add("split", [](Rng& r, const tf::Tensor& x) {
    std::vector<tf::Tensor> parts;
    if (chance(r, 0.5)) {
      int64_t num = int_param(r), axis = int_param(r);
      parts = tf::split(x, num, axis);
    } else {
      auto sizes = int_list(r);
      parts = tf::split(x, sizes, int_param(r));
    }
    return parts.empty() ? tf::zeros({0}) : parts.back();
  });
  add("gather", [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> idx = int_list(r);
    return tf::gather(x, tf::constant(idx, {static_cast<int64_t>(idx.size())}), int_param(r));
  });
  add("indexing", [](Rng& r, const tf::Tensor& x) {
    int64_t a = int_param(r), b = int_param(r), step = int_param(r);
    return x(tf::slice(a, b, step == 0 ? 1 : step));
  });
  add("indexing_open", [](Rng& r, const tf::Tensor& x) {  // omitted bounds, integer indices
    int64_t a = int_param(r), step = int_param(r);
    const int64_t form = pick(r, 0, 3);
    if (form == 0) return x(a);
    if (form == 1) return x(tf::slice(a, std::nullopt, step == 0 ? 1 : step));
    return x(tf::slice(std::nullopt, a, step == 0 ? 1 : step));
  });
  add("concat3", [](Rng& r, const tf::Tensor& x) {
    return tf::concat({x, x * x, x}, int_param(r));
  });
  add("shape_tensor", [](Rng& r, const tf::Tensor& x) {  // shapes built from tf::shape(x)
    const int64_t form = pick(r, 0, 4);
    if (form == 0) return tf::reshape(x, tf::shape(x));
    if (form == 1) return tf::zeros(tf::shape(x), x.dtype());
    if (x.ndim() == 0)
      return tf::reshape(x, tf::constant(std::vector<int32_t>{int32_t(int_param(r))}));
    tf::Tensor first = tf::shape(x)(0);
    if (form == 2) return tf::reshape(x, tf::stack({first, tf::constant(-1)}));
    return tf::broadcast_to(
        x,
        tf::concat({tf::shape(x)(tf::slice(0, 1)), tf::shape(x)(tf::slice(1, std::nullopt))}, 0));
  });
  add("argmax", [](Rng& r, const tf::Tensor& x) { return tf::argmax(x, int_param(r)); });
  add("softmax", [](Rng& r, const tf::Tensor& x) { return tf::softmax(x, int_param(r)); });
  add("reduce_mean", [](Rng& r, const tf::Tensor& x) {
    auto axes = int_list(r);
    return tf::reduce_mean(x, axes, chance(r, 0.5));
  });
  add("cast", [](Rng& r, const tf::Tensor& x) { return tf::cast(x, any_dtype(r)); });
  add("one_hot", [](Rng& r, const tf::Tensor& x) { return tf::one_hot(x, int_param(r)); });
  add("matmul", [](Rng& r, const tf::Tensor& x) {
    bool same_operand = chance(r, 0.5), ta = chance(r, 0.5), tb = chance(r, 0.5);
    return tf::matmul(x, same_operand ? x : tf::transpose(x), ta, tb);
  });
  // A batched product of x's elements regrouped: x transposed, read as [b, m, k] (the batch the
  // leading dims merged, or dim 0; sizes from tf::shape, so unknown dims trace too), times itself
  // transposed, the result transposed again. Compiled with static shapes, the strided GEMM reads
  // and writes these layouts in place (compiler/lowering/to_linalg/strided_matmul.cpp).
  add("matmul.layout", [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> perm(static_cast<size_t>(x.ndim()));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), r);
    if (chance(r, 0.1)) perm = int_list(r);
    auto t = tf::transpose(x, perm);
    if (t.ndim() < 3) return tf::matmul(t, t, false, true);  // a plain product, or rank errors
    auto dim = [&](int64_t i) { return tf::shape(t)(i); };
    const int64_t rank = t.ndim(), form = pick(r, 0, 2);
    auto y = tf::reshape(t, form == 0 ? tf::stack({tf::constant(-1), dim(rank - 2), dim(rank - 1)})
                            : form == 1 ? tf::stack({dim(0), dim(1), tf::constant(-1)})
                                        : tf::stack({dim(0), tf::constant(-1), dim(rank - 1)}));
    auto z = chance(r, 0.5) ? tf::matmul(y, y, false, true)
                            : tf::matmul(tf::transpose(y, {0, 2, 1}), y, false, false);
    std::vector<int64_t> out_perm = {0, 1, 2};
    std::shuffle(out_perm.begin(), out_perm.end(), r);
    return tf::transpose(z, out_perm);
  });
  add("max_pool", [](Rng& r, const tf::Tensor& x) {
    auto ksize = int_list(r);
    auto strides = int_list(r);
    return tf::nn::max_pool(x, ksize, strides, chance(r, 0.5) ? "SAME" : "VALID");
  });
  add("avg_pool", [](Rng& r, const tf::Tensor& x) {
    auto ksize = int_list(r);
    auto strides = int_list(r);
    return tf::nn::avg_pool(x, ksize, strides, chance(r, 0.5) ? "SAME" : "VALID");
  });
  // A filter of the input's dtype and rank: mostly a fitting shape, sometimes adversarial.
  auto filter_for = [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> dims(static_cast<size_t>(chance(r, 0.9) ? x.ndim() : pick(r, 0, 5)));
    for (auto& d : dims) d = chance(r, 0.9) ? pick(r, 1, 3) : int_param(r);
    if (dims.size() >= 2 && x.ndim() >= 1 && chance(r, 0.7))
      dims[dims.size() - 2] = x.shape()[x.ndim() - 1];
    return tf::ones(tf::TensorShape(dims), x.dtype());
  };
  auto conv_padding = [](Rng& r) -> tf::nn::Padding {
    if (chance(r, 0.4)) return "SAME";
    if (chance(r, 0.6)) return "VALID";
    std::vector<std::pair<int64_t, int64_t>> p(static_cast<size_t>(pick(r, 0, 5)));
    for (auto& [lo, hi] : p) lo = int_param(r), hi = int_param(r);
    return p;
  };
  // Strides and dilations: mostly one small value, sometimes an adversarial list.
  auto steps = [](Rng& r) {
    return chance(r, 0.7) ? std::vector<int64_t>{pick(r, 1, 2)} : int_list(r);
  };
  add("sort", [](Rng& r, const tf::Tensor& x) {
    return tf::sort(x, int_param(r), chance(r, 0.5) ? "ASCENDING" : "DESCENDING");
  });
  add("top_k", [](Rng& r, const tf::Tensor& x) { return tf::math::top_k(x, int_param(r)).values; });
  add("in_top_k", [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> t = int_list(r);
    return tf::cast(
        tf::math::in_top_k(tf::constant(t, {static_cast<int64_t>(t.size())}), x, int_param(r)),
        x.dtype());
  });
  add("local_response_normalization", [](Rng& r, const tf::Tensor& x) {
    return tf::nn::local_response_normalization(x, int_param(r), 1.0, 1e-3, 0.75);
  });
  add("unique", [](Rng&, const tf::Tensor& x) { return tf::unique(x).y; });
  add("fused_batch_norm", [](Rng& r, const tf::Tensor& x) {
    const int64_t c = x.ndim() > 0 ? x.shape()[x.ndim() - 1] : int_param(r);
    const tf::TensorShape channels({c < 0 ? 0 : c});
    return tf::nn::fused_batch_norm(x, tf::ones(channels, x.dtype()),
                                    tf::zeros(channels, x.dtype()))
        .y;
  });
  add("polygamma", [](Rng&, const tf::Tensor& x) { return tf::math::polygamma(x, x); });
  // Three operands with random subscripts (repeats, wrong counts) and an optional output.
  add("einsum", [](Rng& r, const tf::Tensor& x) {
    std::string sub;
    const int64_t letters = pick(r, 0, x.ndim() + 1);
    for (int64_t i = 0; i < letters; ++i) sub += static_cast<char>('a' + pick(r, 0, 4));
    std::string eq = sub + "," + sub + "," + sub;
    if (chance(r, 0.5)) eq += "->" + sub.substr(0, static_cast<size_t>(pick(r, 0, letters)));
    return tf::einsum(eq, {x, x, x});
  });
  // Scatters: index tuples (mostly of depth 1) from an adversarial list, updates of the rows'
  // shape; segment ids mostly one per row of x.
  add("tensor_scatter_nd_add", [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> idx = int_list(r);
    const int64_t depth = chance(r, 0.8) ? 1 : pick(r, 0, 3);
    const int64_t rows = depth > 0 ? static_cast<int64_t>(idx.size()) / depth : 0;
    idx.resize(static_cast<size_t>(rows * depth));
    std::vector<int64_t> u = {rows};
    for (int64_t d = depth; d < x.ndim(); ++d) u.push_back(x.shape()[d]);
    return tf::tensor_scatter_nd_add(x, tf::constant(idx, {rows, depth}),
                                     tf::ones(tf::TensorShape(u), x.dtype()));
  });
  add("gather_nd", [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> idx = int_list(r);
    const int64_t depth = pick(r, 1, 2), rows = static_cast<int64_t>(idx.size()) / depth;
    idx.resize(static_cast<size_t>(rows * depth));
    return tf::gather_nd(x, tf::constant(idx, {rows, depth}));
  });
  add("unsorted_segment_max", [](Rng& r, const tf::Tensor& x) {
    // Every draw is made whatever the shape (unknown while traced), so each mode replays them.
    std::vector<int64_t> ids = int_list(r);
    const bool one_per_row = chance(r, 0.8);
    const int64_t id = pick(r, -1, 3);
    const int64_t n = chance(r, 0.8) ? pick(r, 0, 5) : int_param(r);
    if (one_per_row && x.ndim() > 0 && x.shape()[0] >= 0 && x.shape()[0] <= 64)
      ids.resize(static_cast<size_t>(x.shape()[0]), id);
    return tf::math::unsorted_segment_max(x, tf::constant(ids, {static_cast<int64_t>(ids.size())}),
                                          n);
  });
  add("bincount", [](Rng& r, const tf::Tensor& x) {
    const int64_t length = chance(r, 0.8) ? pick(r, 0, 8) : int_param(r);
    return tf::math::bincount(x, tf::Tensor(), length, length);
  });
  add("depthwise_conv2d", [](Rng& r, const tf::Tensor& x) {
    std::vector<int64_t> f(4, 1);
    for (auto& d : f) d = chance(r, 0.9) ? pick(r, 1, 3) : int_param(r);
    if (x.ndim() == 4 && chance(r, 0.8)) f[2] = x.shape()[3];
    return tf::nn::depthwise_conv2d(x, tf::ones(tf::TensorShape(f), x.dtype()), {pick(r, 1, 2)},
                                    chance(r, 0.5) ? "SAME" : "VALID");
  });
  add("convolution", [=](Rng& r, const tf::Tensor& x) {
    auto strides = steps(r), dilations = steps(r);
    return tf::nn::convolution(x, filter_for(r, x), conv_padding(r), strides, dilations,
                               chance(r, 0.8) ? "" : "NCHW");
  });
  add("conv_transpose", [=](Rng& r, const tf::Tensor& x) {
    // Mostly the transpose of a stride-s convolution: output (batch, spatial * s, out channels),
    // filter (k..., out channels, x's channels).
    const int64_t s = pick(r, 1, 2), out_channels = pick(r, 1, 3);
    std::vector<int64_t> out = x.shape().dims(), taps;
    for (size_t d = 1; d + 1 < out.size(); ++d) out[d] *= s, taps.push_back(pick(r, 1, 3));
    if (!out.empty()) out.back() = out_channels;
    for (auto& d : out)
      if (chance(r, 0.05)) d = int_param(r);
    tf::Tensor filter = filter_for(r, x);
    if (chance(r, 0.8) && x.ndim() >= 1) {
      taps.push_back(out_channels);
      taps.push_back(x.shape()[x.ndim() - 1]);
      filter = tf::ones(tf::TensorShape(taps), x.dtype());
    }
    return tf::nn::conv_transpose(x, filter, out, {s}, chance(r, 0.5) ? "SAME" : "VALID");
  });
  // tf::distribute under the default strategy (one replica): validation and the identity in
  // every mode. Several replicas, with injected divergence: tests/collectives_test.cpp.
  add("distribute.all_reduce", [](Rng& r, const tf::Tensor& x) {
    auto op = static_cast<tf::distribute::ReduceOp>(pick(r, 0, 3));
    return tf::distribute::get_replica_context().all_reduce(op, x);
  });
  add("distribute.reduce", [](Rng& r, const tf::Tensor& x) {
    auto op = static_cast<tf::distribute::ReduceOp>(pick(r, 0, 3));
    std::optional<int64_t> axis;
    if (chance(r, 0.6)) axis = int_param(r);
    return tf::distribute::get_strategy().reduce(op, x, axis);
  });
  // Keras layers, made anew in each mode (built eagerly, or inside the trace under init_scope)
  // with constant initializers, so every mode computes with the same weights.
  namespace L = tf::keras::layers;
  const tf::keras::Initializer k = tf::keras::initializers::Constant(0.05);
  auto padding = [](Rng& r) {
    return std::string(chance(r, 0.45) ? "same" : chance(r, 0.9) ? "valid" : "full");
  };
  add("keras.Dense", [=](Rng& r, const tf::Tensor& x) {
    return L::Dense(int_param(r), "relu", {.kernel_initializer = k})(x);
  });
  add("keras.Conv2D", [=](Rng& r, const tf::Tensor& x) {
    int64_t filters = int_param(r), size = int_param(r), stride = pick(r, 1, 3);
    return L::Conv2D(filters, size, {},
                     {.strides = stride, .padding = padding(r), .kernel_initializer = k})(x);
  });
  add("keras.Conv2DTranspose", [=](Rng& r, const tf::Tensor& x) {
    int64_t filters = int_param(r), size = int_param(r), stride = pick(r, 1, 3);
    return L::Conv2DTranspose(
        filters, size, {}, {.strides = stride, .padding = padding(r), .kernel_initializer = k})(x);
  });
  add("keras.MaxPooling2D", [=](Rng& r, const tf::Tensor& x) {
    int64_t size = int_param(r);
    return L::MaxPooling2D(size, {.padding = padding(r)})(x);
  });
  add("keras.GlobalAveragePooling2D",
      [](Rng&, const tf::Tensor& x) { return L::GlobalAveragePooling2D()(x); });
  add("keras.BatchNormalization", [](Rng& r, const tf::Tensor& x) {
    return L::BatchNormalization({.axis = int_param(r)})(x, chance(r, 0.5));
  });
  add("keras.LayerNormalization",
      [](Rng& r, const tf::Tensor& x) { return L::LayerNormalization({.axis = int_list(r)})(x); });
  add("keras.Embedding", [](Rng& r, const tf::Tensor& x) {
    int64_t in = int_param(r), out = int_param(r);
    return L::Embedding(in, out, {.embeddings_initializer = tf::keras::initializers::Ones()})(x);
  });
  add("keras.Flatten+Reshape",
      [](Rng& r, const tf::Tensor& x) { return L::Reshape(int_list(r))(L::Flatten()(x)); });
  add("keras.ZeroPadding2D", [](Rng& r, const tf::Tensor& x) {
    return L::ZeroPadding2D(
        std::vector<std::pair<int64_t, int64_t>>{{int_param(r), 1}, {0, int_param(r)}})(x);
  });
  add("keras.MultiHeadAttention", [=](Rng& r, const tf::Tensor& x) {
    int64_t heads = int_param(r), key_dim = int_param(r);
    return L::MultiHeadAttention(
        heads, key_dim, {.use_causal_mask = chance(r, 0.3), .kernel_initializer = k})({x, x});
  });
  add("keras.losses", [](Rng& r, const tf::Tensor& x) {
    tf::Tensor labels = chance(r, 0.5) ? tf::cast(x, tf::int32) : x;
    switch (pick(r, 0, 3)) {
      case 0:
        return tf::keras::losses::SparseCategoricalCrossentropy(true)(labels, x);
      case 1:
        return tf::keras::losses::CategoricalCrossentropy(chance(r, 0.5), 0.1)(x, x);
      case 2:
        return tf::keras::losses::BinaryCrossentropy(true)(labels, x);
      default:
        return tf::keras::losses::Huber()(labels, x);
    }
  });
  // A variable (created in the body from a concrete value, so in every mode) updated in place
  // (compiled: an aliased argument; eager: assign_add / assign_sub on a buffer nothing else
  // holds) by the argument, of any shape and dtype, by its own value, by its rows picked by an
  // index argument (checked at run time when compiled: a failing check must select the old
  // value), and read before and after.
  ops.push_back({"variable.update", [](Rng& r) {
                   auto s = shape_param(r);
                   auto d = any_dtype(r);
                   tf::Tensor init = tensor_param(r, d, s);
                   auto delta_shape = chance(r, 0.7) ? s : shape_param(r);
                   auto delta_dtype = chance(r, 0.9) ? d : any_dtype(r);
                   const bool rows = s.rank() > 0 && s[0] <= 64;
                   const int how = static_cast<int>(pick(r, 0, rows ? 4 : 3));
                   const bool both = chance(r, 0.5);
                   Call c;
                   c.args = {tensor_param(r, delta_dtype, delta_shape)};
                   if (how == 4) {
                     std::vector<int64_t> idx(static_cast<size_t>(s[0]));
                     for (auto& i : idx) i = chance(r, 0.9) ? pick(r, 0, s[0] - 1) : int_param(r);
                     c.args.push_back(tf::constant(idx, {s[0]}));
                   }
                   c.fn = [init, how, both](const auto& a) {
                     tf::Variable v(init);
                     tf::Tensor old = v.read_value();
                     if (how == 0) v.assign_sub(a[0]);
                     if (how == 1) v.assign_add(v.read_value());
                     if (how == 2) v.assign(a[0] * v.read_value());
                     if (how == 3) v.assign_add(tf::reshape(a[0], v.shape().dims()));
                     if (how == 4) v.assign(tf::gather(v.read_value(), a[1]));
                     return both ? tf::stack({old, v.read_value()}) : v.read_value();
                   };
                   c.what = std::string(tf::dtype_name(d)) + s.to_string() + " by " +
                            std::string(tf::dtype_name(delta_dtype)) + delta_shape.to_string() +
                            " how=" + std::to_string(how);
                   return c;
                 }});
  return ops;
}

// --- Modes and outcomes -----------------------------------------------------------------------

enum Mode {
  kEager,
  kStatic,
  kUnknownDims,
  kGradient,
  kCompiledGradient,
  kTapeAround,             // the tape outside, the op in a tf::function (an eager training loop)
  kTapeAroundUnknownDims,  // the same with an input_signature of unknown dims
  kNumModes
};
const char* const kModeNames[] = {"eager",
                                  "static",
                                  "unknown-dims",
                                  "gradient",
                                  "compiled-gradient",
                                  "tape-around",
                                  "tape-around-unknown-dims"};

bool is_float(tf::DType d) {
  return d == tf::float32 || d == tf::float64 || d == tf::float16 || d == tf::bfloat16;
}

// d(sum(result))/d(float args), as one tensor (the gradients' sums stacked); `forward` computes
// the result (by default the op itself).
tf::Tensor gradient_of(
    const Call& c, const std::vector<tf::Tensor>& args,
    const std::function<tf::Tensor(const std::vector<tf::Tensor>&)>& forward = nullptr) {
  tf::GradientTape tape;
  for (const auto& a : args)
    if (is_float(a.dtype())) tape.watch(a);
  auto y = forward ? forward(args) : c.fn(args);
  if (!is_float(y.dtype())) return y;
  auto grads = tape.gradient(tf::reduce_sum(tf::cast(y, tf::float64)),
                             std::vector<tf::Source>(args.begin(), args.end()));
  std::vector<tf::Tensor> sums;
  for (const auto& g : grads)
    if (g.defined()) sums.push_back(tf::reduce_sum(tf::cast(g, tf::float64)));
  return sums.empty() ? tf::zeros({0}, tf::float64) : tf::stack(sums);
}

tf::Tensor run_mode(const Call& c, Mode mode) {
  std::vector<tf::TensorSpec> unknown;
  for (const auto& a : c.args)
    unknown.push_back(tf::TensorSpec(
        tf::TensorShape(std::vector<int64_t>(static_cast<size_t>(a.ndim()), tf::kUnknownDim)),
        a.dtype()));
  auto call_fn = [&](auto&& body, const std::vector<tf::TensorSpec>& sig) {
    tf::FunctionOptions opts;
    if (!sig.empty()) opts.input_signature = sig;
    if (c.args.size() == 1)
      return tf::function([&](const tf::Tensor& a) { return body({a}); }, opts)(c.args[0]);
    return tf::function(
        [&](const tf::Tensor& a, const tf::Tensor& b) {
          return body({a, b});
        },
        opts)(c.args[0], c.args[1]);
  };
  auto forward = [&](const std::vector<tf::Tensor>& a) { return c.fn(a); };
  auto backward = [&](const std::vector<tf::Tensor>& a) { return gradient_of(c, a); };
  switch (mode) {
    case kEager:
      return c.fn(c.args);
    case kStatic:
      return call_fn(forward, {});
    case kUnknownDims:
      return call_fn(forward, unknown);
    case kGradient:
      return gradient_of(c, c.args);
    case kCompiledGradient:
      return call_fn(backward, {});
    default: {
      auto sig = mode == kTapeAroundUnknownDims ? unknown : std::vector<tf::TensorSpec>{};
      return gradient_of(c, c.args,
                         [&](const std::vector<tf::Tensor>&) { return call_fn(forward, sig); });
    }
  }
}

// The largest finite magnitude among the arguments: reassociating a sum (compiled reductions
// run in another order) moves its result by rounding errors on that scale.
double magnitude(const std::vector<tf::Tensor>& args) {
  double m = 0;
  for (const auto& a : args)
    for (double v : tf::cast(a, tf::float64).to_vector<double>())
      if (std::isfinite(v)) m = std::max(m, std::fabs(v));
  return m;
}

// Equal as TensorFlow's tests compare: shapes and dtypes exactly, values to a loose tolerance
// (compiled code may fuse and reassociate), NaN equal to NaN. Returns how they differ ("" if
// they do not): the dtypes and shapes, then the first element apart.
std::string difference(const tf::Tensor& got, const tf::Tensor& want, double scale) {
  std::string d = "compiled " + got.shape().to_string() + " " +
                  std::string(tf::dtype_name(got.dtype())) + ", eager " + want.shape().to_string() +
                  " " + std::string(tf::dtype_name(want.dtype()));
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) return d;
  // Values of huge results are not compared: copying them could exhaust the machine's memory
  // (a result eager computed and one compiled code never built are both fine).
  if (got.num_elements() > (int64_t{1} << 24)) return "";
  auto x = tf::cast(got, tf::float64).to_vector<double>();
  auto y = tf::cast(want, tf::float64).to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) continue;
    if (x[i] == y[i]) continue;
    double tol = 1e-2 * std::max({1.0, std::fabs(x[i]), std::fabs(y[i]), scale});
    if (!(std::fabs(x[i] - y[i]) <= tol)) {
      char values[64];
      std::snprintf(values, sizeof values, "%.9g vs %.9g", x[i], y[i]);
      return d + "; element " + std::to_string(i) + ": " + values;
    }
  }
  return "";
}

// In the child: runs one mode (and, for compiled modes, eager too, to compare).
Result run_case(const Call& c, Mode mode) {
  try {
    tf::Tensor got = run_mode(c, mode);
    if (mode != kEager && mode != kGradient) {
      tf::Tensor want;
      try {
        want = run_mode(c, mode >= kCompiledGradient ? kGradient : kEager);
      } catch (const tf::ResourceExhaustedError&) {
        return {kOk, "eager ran out of memory"};  // compiled code may never build the value
      } catch (const tf::Error& e) {
        return {kMismatch, std::string("compiled ran, eager raised: ") + e.what()};
      }
      if (std::string d = difference(got, want, magnitude(c.args)); !d.empty())
        return {kMismatch, d};
    }
    return {kOk, ""};
  } catch (const tf::Error& e) {
    return {kTyped, e.what()};
  } catch (const std::exception& e) {
    return {kStd, std::string(typeid(e).name()) + ": " + e.what()};
  }
}

void usage(std::ostream& os) {
  os << "usage: tfjit-fuzz [options]\n\n"
        "Calls tfjit's public ops with adversarial arguments (dtypes, shapes with zero and huge\n"
        "dims, NaN/inf/integer extremes, out-of-range axes and sizes) in seven modes: eager,\n"
        "static (tf::function), unknown-dims (input_signature), gradient, compiled-gradient,\n"
        "tape-around (a tape outside a tf::function), tape-around-unknown-dims.\n"
        "Each case runs in its own process; crashes, hangs, std:: exceptions and eager/compiled\n"
        "mismatches are reported with the seed and case number that reproduce them.\n\n"
        "options (each case runs in every selected mode):\n"
        "  --op NAME          only this op (see --list)\n"
        "  --mode NAME        only this mode\n"
        "  --list             list the ops and exit\n"
     << kCommonOptionsHelp
     << "\nexit codes: 0 no defect found, 1 a defect was found, 2 usage error\n";
}

}  // namespace

int main(int argc, char** argv) {
  FuzzOptions o;
  std::string only_op, only_mode;
  bool list = false;
  int exit_code = parse_options(argc, argv, "tfjit-fuzz", o, usage,
                                [&](const std::string& flag, const auto& value) {
                                  if (flag == "--op")
                                    only_op = value();
                                  else if (flag == "--mode")
                                    only_mode = value();
                                  else if (flag == "--list")
                                    list = true;
                                  else
                                    return false;
                                  return true;
                                });
  if (exit_code >= 0) return exit_code;
  const auto ops = catalogue();
  if (list) {
    for (const auto& op : ops) std::cout << op.name << "\n";
    return 0;
  }
  if (!only_op.empty() &&
      std::none_of(ops.begin(), ops.end(), [&](const OpEntry& o) { return only_op == o.name; })) {
    std::cerr << "tfjit-fuzz: no op " << only_op << " (see --list)\n";
    return 2;
  }
  if (!only_mode.empty() && std::none_of(std::begin(kModeNames), std::end(kModeNames),
                                         [&](const char* m) { return only_mode == m; })) {
    std::cerr << "tfjit-fuzz: no mode " << only_mode << "\n";
    return 2;
  }
  // Children never share compiled code through the disk: each case compiles for itself.
  tf::config::enable_disk_cache(false);

  std::vector<std::vector<int64_t>> counts(kNumModes, std::vector<int64_t>(kNumOutcomes));
  int64_t defects = 0, run = 0;
  for (int64_t n = 0; n < o.cases; ++n) {
    if (!o.runs(n)) continue;
    Rng rng(o.seed * 1000003 + static_cast<uint64_t>(n));
    const OpEntry& op =
        ops[static_cast<size_t>(pick(rng, 0, static_cast<int64_t>(ops.size()) - 1))];
    if (!only_op.empty() && only_op != op.name) continue;
    Call call;
    try {
      call = op.make(rng);
    } catch (const std::exception& e) {  // building the arguments raised: not the op's fault
      continue;
    }
    ++run;
    for (int m = 0; m < kNumModes; ++m) {
      if (!only_mode.empty() && only_mode != kModeNames[m]) continue;
      Result r = isolated([&] { return run_case(call, static_cast<Mode>(m)); }, o.case_timeout,
                          o.memory_limit_mb);
      ++counts[static_cast<size_t>(m)][r.outcome];
      bool defect = is_defect(r.outcome);
      defects += defect;
      if (defect || o.verbose)
        std::cout << (defect ? "DEFECT " : "") << kOutcomeNames[r.outcome] << " case " << n
                  << " op " << op.name << " mode " << kModeNames[m] << " args " << call.what
                  << (r.detail.empty() ? "" : ": " + r.detail.substr(0, 200)) << std::endl;
    }
    if ((n + 1) % 25 == 0)
      std::cerr << "[tfjit-fuzz] " << (n + 1) << "/" << o.cases << " cases, " << defects
                << " defects\n";
  }
  return print_outcomes(
      "tfjit-fuzz: seed " + std::to_string(o.seed) + ", " + std::to_string(run) + " cases", "mode",
      std::vector<std::string>(std::begin(kModeNames), std::end(kModeNames)), counts);
}
