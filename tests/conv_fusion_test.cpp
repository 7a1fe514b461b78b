// Compiled convolutions with their epilogues: conv (+ bias) (+ residual) (+ activation) fused
// into one oneDNN call (compiler/lowering/fuse_conv_epilogue.cpp, backends/cpu/conv.cpp's
// conv_bias_act), checked against eager and a float64 reference, channels last and first, with
// strides and padding, under each way the fused call may run a shape; a training step through
// fused convolutions against eager and float64; a pre-activation that another op reads stays.
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "backends/cpu/conv_fused.h"
#include "tests/helpers.h"

using tft::values_of;

namespace {

using tf::Tensor;

// Deterministic values in [-1, 1), float32 tensors of `shape`.
Tensor values(const tf::TensorShape& shape, int seed, double scale = 1.0) {
  std::vector<double> v(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = scale *
           (static_cast<double>((i * 7919 + static_cast<size_t>(seed) * 104729) % 2000) / 1000 - 1);
  return tft::make(v, shape, tf::float32);
}

enum class Act { kNone, kRelu, kRelu6, kElu, kTanh, kSigmoid };
const char* name(Act a) {
  static const char* names[] = {"", "relu", "relu6", "elu", "tanh", "sigmoid"};
  return names[static_cast<int>(a)];
}

Tensor apply(Act act, const Tensor& x) {
  switch (act) {
    case Act::kRelu:
      return tf::relu(x);
    case Act::kRelu6:
      return tf::nn::relu6(x);
    case Act::kElu:
      return tf::nn::elu(x);
    case Act::kTanh:
      return tf::tanh(x);
    case Act::kSigmoid:
      return tf::sigmoid(x);
    case Act::kNone:
      break;
  }
  return x;
}

double apply(Act act, double x) {
  switch (act) {
    case Act::kRelu:
      return x > 0 ? x : 0;
    case Act::kRelu6:
      return x > 0 ? std::min(x, 6.0) : 0;
    case Act::kElu:
      return x > 0 ? x : std::expm1(x);
    case Act::kTanh:
      return std::tanh(x);
    case Act::kSigmoid:
      return 1 / (1 + std::exp(-x));
    case Act::kNone:
      break;
  }
  return x;
}

struct Case {
  int64_t stride;
  const char* padding;
  bool bias, residual;
  Act act;
};

// act(conv2d(x, w) + b + r) in float64, channels last (x NHWC, w HWIO), TensorFlow's padding.
std::vector<double> reference(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r,
                              const Case& c) {
  auto xv = values_of(x), wv = values_of(w), bv = values_of(b);
  const int64_t n = x.shape()[0], h = x.shape()[1], wd = x.shape()[2], ci = x.shape()[3];
  const int64_t k = w.shape()[0], co = w.shape()[3], s = c.stride;
  const bool same = std::string(c.padding) == "SAME";
  auto out_size = [&](int64_t in) { return same ? (in + s - 1) / s : (in - k) / s + 1; };
  auto pad = [&](int64_t in) {
    return same ? std::max((out_size(in) - 1) * s + k - in, 0L) / 2 : 0;
  };
  const int64_t oh = out_size(h), ow = out_size(wd), ph = pad(h), pw = pad(wd);
  std::vector<double> rv = c.residual ? values_of(r) : std::vector<double>();
  std::vector<double> out(static_cast<size_t>(n * oh * ow * co));
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t o = 0; o < co; ++o) {
          double acc = 0;
          for (int64_t p = 0; p < k; ++p)
            for (int64_t q = 0; q < k; ++q) {
              const int64_t y = i * s - ph + p, z = j * s - pw + q;
              if (y < 0 || y >= h || z < 0 || z >= wd) continue;
              for (int64_t m = 0; m < ci; ++m)
                acc += xv[((b0 * h + y) * wd + z) * ci + m] * wv[((p * k + q) * ci + m) * co + o];
            }
          const size_t at = static_cast<size_t>(((b0 * oh + i) * ow + j) * co + o);
          if (c.bias) acc += bv[static_cast<size_t>(o)];
          if (c.residual) acc += rv[at];
          out[at] = apply(c.act, acc);
        }
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                 const std::string& what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    REQUIRE(std::abs(got[i] - want[i]) <= tol * std::max(1.0, std::abs(want[i])));
  }
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Runs a test under each way the fused call may run a shape (oneDNN's primitive with post-ops,
// the plain convolution then a pass, or whichever measured faster), restoring the setting after.
struct Strategies {
  tf::cpu::ConvEpilogueStrategy strategy =
      GENERATE(tf::cpu::ConvEpilogueStrategy::kMeasure, tf::cpu::ConvEpilogueStrategy::kFused,
               tf::cpu::ConvEpilogueStrategy::kSeparatePass);
  tf::cpu::ConvEpilogueStrategy saved = tf::cpu::conv_epilogue_strategy();
  Strategies() { tf::cpu::set_conv_epilogue_strategy(strategy); }
  ~Strategies() { tf::cpu::set_conv_epilogue_strategy(saved); }
};

Tensor to_nchw(const Tensor& t) { return tf::transpose(t, {0, 3, 1, 2}); }
Tensor to_nhwc(const Tensor& t) { return tf::transpose(t, {0, 2, 3, 1}); }

}  // namespace

TEST_CASE(
    "compiled conv with bias and residual and activation is one fused call matching eager "
    "and float64",
    "[function][fusion][conv]") {
  Strategies strategies;
  const Case cases[] = {
      {1, "SAME", true, false, Act::kNone},     {1, "SAME", true, false, Act::kRelu},
      {2, "VALID", true, false, Act::kRelu},    {2, "SAME", true, true, Act::kRelu},
      {1, "SAME", true, true, Act::kNone},      {1, "VALID", false, false, Act::kRelu},
      {1, "SAME", false, true, Act::kRelu6},    {2, "SAME", true, false, Act::kRelu6},
      {1, "SAME", true, false, Act::kElu},      {1, "VALID", true, true, Act::kTanh},
      {2, "VALID", true, false, Act::kSigmoid},
  };
  const Tensor x = values({2, 9, 8, 3}, 1), w = values({3, 3, 3, 5}, 2, 0.5), b = values({5}, 3);
  for (const Case& c : cases)
    for (bool nchw : {false, true}) {
      INFO("strategy " << int(strategies.strategy) << ", stride " << c.stride << " " << c.padding
                       << (c.bias ? ", bias" : "") << (c.residual ? ", residual" : "") << ", "
                       << name(c.act) << (nchw ? ", NCHW" : ", NHWC"));
      const char* format = nchw ? "NCHW" : "NHWC";
      auto layer = [&c, format](const Tensor& x, const Tensor& w, const Tensor& b,
                                const Tensor& r) {
        Tensor y = tf::nn::conv2d(x, w, {c.stride}, c.padding, format);
        if (c.bias) y = tf::nn::bias_add(y, b, format);
        if (c.residual) y = y + r;
        return apply(c.act, y);
      };
      const Tensor r0 = tf::nn::conv2d(x, w, {c.stride}, c.padding);  // the output's shape
      const Tensor r = values(r0.shape(), 4);
      const Tensor xin = nchw ? to_nchw(x) : x, rin = nchw ? to_nchw(r) : r;
      auto f = tf::function(layer);
      const std::string optimized = f.graph("optimized", xin, w, b, rin);
      // Channels first, a residual fuses only as the transpose of a channels-last tensor (as a
      // previous fused layer's result is): an argument's add ends the chain.
      const bool stops = nchw && c.residual;
      const bool any = c.bias || (!stops && (c.residual || c.act != Act::kNone));
      CHECK(contains(optimized, "tfjit.fused_conv") == any);
      CHECK(contains(optimized, "tfjit.conv ") == !any);
      CHECK(contains(optimized, "tfjit.unary") == (stops && c.act != Act::kNone));
      CHECK(contains(f.graph("bufferized", xin, w, b, rin), "call @tfjit_conv_fused(") == any);
      Tensor got = f(xin, w, b, rin), eager = layer(xin, w, b, rin);
      check_close(values_of(got), values_of(eager), 1e-5, "compiled vs eager");
      check_close(values_of(nchw ? to_nhwc(got) : got), reference(x, w, b, r, c), 1e-4,
                  "compiled vs float64");
      // The same layer unfused: the same values.
      auto u = tf::function(layer, tf::FunctionOptions{.fuse_conv_epilogue = false});
      CHECK_FALSE(contains(u.graph("optimized", xin, w, b, rin), "tfjit.fused_conv"));
      check_close(values_of(u(xin, w, b, rin)), values_of(got), 1e-5, "unfused vs fused");
    }
}

TEST_CASE("a fused conv keeps a pre-activation that another op reads", "[function][fusion][conv]") {
  const Tensor x = values({2, 6, 6, 3}, 1), w = values({3, 3, 3, 4}, 2, 0.5), b = values({4}, 3);
  auto body = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    Tensor u = tf::nn::conv2d(x, w, {1}, "SAME") + b;
    return std::vector<Tensor>{tf::relu(u), u};
  };
  auto f = tf::function(body);
  const std::string optimized = f.graph("optimized", x, w, b);
  CHECK(contains(optimized, "tfjit.fused_conv"));
  CHECK(contains(optimized, "activation = \"\""));
  CHECK(contains(optimized, "tfjit.unary \"relu\""));
  auto got = f(x, w, b), want = body(x, w, b);
  REQUIRE(got.size() == 2);
  for (size_t i = 0; i < 2; ++i)
    check_close(values_of(got[i]), values_of(want[i]), 1e-5, "result " + std::to_string(i));
}

TEST_CASE("fused relu gives 0 for NaN as eager relu does", "[function][fusion][conv]") {
  Strategies strategies;
  INFO("strategy " << int(strategies.strategy));
  auto xv = values_of(values({1, 5, 5, 2}, 1));
  xv[12] = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tft::make(xv, {1, 5, 5, 2}, tf::float32);
  const Tensor w = values({3, 3, 2, 3}, 2), b = values({3}, 3);
  auto body = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    return tf::relu(tf::nn::conv2d(x, w, {1}, "SAME") + b);
  };
  auto f = tf::function(body);
  REQUIRE(contains(f.graph("optimized", x, w, b), "tfjit.fused_conv"));
  auto got = values_of(f(x, w, b)), eager = values_of(body(x, w, b));
  for (double v : eager) REQUIRE_FALSE(std::isnan(v));
  check_close(got, eager, 1e-5, "compiled vs eager");
}

namespace {

// A small residual CNN's training step: conv+bias+relu, conv+bias+shortcut+relu, max pool,
// dense, softmax cross-entropy; the loss and every variable's gradient.
std::vector<Tensor> cnn_step(const Tensor& x, const Tensor& labels, const std::vector<Tensor>& p,
                             const char* format) {
  tf::GradientTape tape;
  for (const Tensor& t : p) tape.watch(t);
  const bool nchw = std::string(format) == "NCHW";
  Tensor h = tf::relu(tf::nn::bias_add(tf::nn::conv2d(x, p[0], {1}, "SAME", format), p[1], format));
  Tensor g = tf::nn::bias_add(tf::nn::conv2d(h, p[2], {1}, "SAME", format), p[3], format);
  h = tf::relu(g + h);
  h = tf::nn::max_pool2d(h, {2}, {2}, "VALID", format);
  if (nchw) h = tf::transpose(h, {0, 2, 3, 1});
  Tensor logits = tf::matmul(tf::reshape(h, {x.shape()[0], -1}), p[4]) + p[5];
  Tensor loss = tf::reduce_mean(tf::nn::softmax_cross_entropy_with_logits(labels, logits));
  std::vector<tf::Source> sources(p.begin(), p.end());
  std::vector<Tensor> out = {loss};
  for (Tensor& t : tape.gradient(loss, sources)) out.push_back(t);
  return out;
}

}  // namespace

TEST_CASE("a training step through fused convolutions matches eager and float64",
          "[function][fusion][conv]") {
  Strategies strategies;
  for (const char* format : {"NHWC", "NCHW"}) {
    INFO("strategy " << int(strategies.strategy) << ", " << format);
    const bool nchw = std::string(format) == "NCHW";
    Tensor x = values({4, 8, 8, 3}, 1);
    if (nchw) x = to_nchw(x);
    const Tensor labels = tf::one_hot(tf::constant({1, 0, 3, 2}), 4);
    const std::vector<Tensor> p = {values({3, 3, 3, 6}, 2, 0.4),   values({6}, 3, 0.1),
                                   values({3, 3, 6, 6}, 4, 0.3),   values({6}, 5, 0.1),
                                   values({4 * 4 * 6, 4}, 6, 0.2), values({4}, 7, 0.1)};
    auto step = [format](const Tensor& x, const Tensor& labels, const Tensor& w1, const Tensor& b1,
                         const Tensor& w2, const Tensor& b2, const Tensor& wd, const Tensor& bd) {
      return cnn_step(x, labels, {w1, b1, w2, b2, wd, bd}, format);
    };
    auto f = tf::function(step);
    const std::string optimized =
        f.graph("optimized", x, labels, p[0], p[1], p[2], p[3], p[4], p[5]);
    // Both convolutions fuse their relu: the backward pass reads relu's result, not its input.
    size_t fused = 0;
    for (size_t at = optimized.find("activation = \"relu\""); at != std::string::npos;
         at = optimized.find("activation = \"relu\"", at + 1))
      ++fused;
    CHECK(fused == 2);
    auto got = f(x, labels, p[0], p[1], p[2], p[3], p[4], p[5]);
    auto eager = cnn_step(x, labels, p, format);
    std::vector<Tensor> p64;
    for (const Tensor& t : p) p64.push_back(tf::cast(t, tf::float64));
    auto want = cnn_step(tf::cast(x, tf::float64), tf::cast(labels, tf::float64), p64, format);
    REQUIRE(got.size() == eager.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const std::string what = i == 0 ? "loss" : "gradient " + std::to_string(i - 1);
      check_close(values_of(got[i]), values_of(eager[i]), 1e-4, what + ": compiled vs eager");
      check_close(values_of(got[i]), values_of(want[i]), 1e-4, what + ": compiled vs float64");
    }
  }
}

TEST_CASE("a fused conv takes any batch size under an unknown batch dim",
          "[function][fusion][conv][dynamic]") {
  const Tensor w = values({3, 3, 3, 4}, 2, 0.5), b = values({4}, 3);
  auto body = [](const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r) {
    return tf::nn::relu6(tf::nn::conv2d(x, w, {2}, "SAME") + b + r);
  };
  auto f =
      tf::function(body, {tf::TensorSpec({tf::kUnknownDim, 7, 6, 3}), tf::TensorSpec({3, 3, 3, 4}),
                          tf::TensorSpec({4}), tf::TensorSpec({tf::kUnknownDim, 4, 3, 4})});
  for (int64_t batch : {1, 3, 0}) {
    INFO("batch " << batch);
    const Tensor x = values({batch, 7, 6, 3}, 1), r = values({batch, 4, 3, 4}, 4);
    check_close(values_of(f(x, w, b, r)), values_of(body(x, w, b, r)), 1e-5, "compiled vs eager");
  }
  CHECK(contains(f.graph("optimized", values({1, 7, 6, 3}, 1), w, b, values({1, 4, 3, 4}, 4)),
                 "tfjit.fused_conv"));
  CHECK(f.trace_count() == 1);
}

TEST_CASE("a conv added to itself or to a value sized by it is not its own epilogue",
          "[function][fusion][conv][dynamic]") {
  const Tensor x = values({2, 5, 5, 3}, 1), w = values({3, 3, 3, 4}, 2, 0.5), b = values({4}, 3);
  const Tensor pos = values({5, 5, 4}, 5);
  for (const char* format : {"NHWC", "NCHW"}) {
    INFO(format);
    const bool first = std::string(format) == "NCHW";
    auto twice = [&](const Tensor& in, const Tensor& filter) {
      Tensor c = tf::nn::conv2d(first ? to_nchw(in) : in, filter, {1}, "SAME", format);
      return tf::relu(c + c);
    };
    auto f = tf::function(twice);
    check_close(values_of(f(x, w)), values_of(twice(x, w)), 1e-5, "relu(c + c)");
  }
  // With an unknown batch, `+ pos` broadcasts pos to the chain's value: not a residual.
  auto body = [](const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& pos) {
    return tf::relu(tf::nn::conv2d(x, w, {1}, "SAME") + b + pos);
  };
  auto g =
      tf::function(body, {tf::TensorSpec({tf::kUnknownDim, 5, 5, 3}), tf::TensorSpec({3, 3, 3, 4}),
                          tf::TensorSpec({4}), tf::TensorSpec({5, 5, 4})});
  for (int64_t batch : {1, 2})
    check_close(values_of(g(values({batch, 5, 5, 3}, 1), w, b, pos)),
                values_of(body(values({batch, 5, 5, 3}, 1), w, b, pos)), 1e-5, "broadcast pos");
}

// Two library calls reading one transposed tensor (the forward convolution and its filter
// gradient) once shared one CSE'd to_memref, and bufferization reused the tensor's buffer in
// place between them: the filter gradient read the output gradient as its input.
TEST_CASE("a compiled channels-first convolution's filter gradient matches eager", "[conv]") {
  const Tensor x = values({4, 6, 8, 8}, 1), w = values({3, 3, 6, 6}, 2, 0.3);
  auto step = [](const Tensor& x, const Tensor& w) {
    tf::GradientTape tape;
    tape.watch(w);
    Tensor y = tf::nn::conv2d(x, w, {1}, "SAME", "NCHW");
    return tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{w})[0];
  };
  auto f = tf::function(step);
  check_close(values_of(f(x, w)), values_of(step(x, w)), 1e-4, "compiled vs eager");
}
