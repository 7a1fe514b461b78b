// Convolutions (tf::nn::conv*, frontend/src/conv.cpp): values and gradients against TensorFlow's
// (tests/golden/nn/make_conv_golden.py), eager and compiled (oneDNN calls and generated loops);
// float64 numerical gradients to second order; the half types; unknown batch; bad arguments.
#include <functional>
#include <map>

#include "tests/gradient_helpers.h"
#include "tests/helpers.h"

namespace {

using tf::Tensor;
using Op = std::function<Tensor(const Tensor& x, const Tensor& w)>;

const std::string kGolden = std::string(TFJIT_GOLDEN_DIR) + "/nn/";

// The golden script's cases, called as a C++ user writes them.
const std::map<std::string, Op>& golden_cases() {
  namespace nn = tf::nn;
  static const std::map<std::string, Op> cases = {
      {"conv2d_same", [](auto& x, auto& w) { return nn::conv2d(x, w, {1}, "SAME"); }},
      {"conv2d_valid_strided",
       [](auto& x, auto& w) {
         return nn::conv2d(x, w, {2, 3}, "VALID");
       }},
      {"conv2d_same_strided", [](auto& x, auto& w) { return nn::conv2d(x, w, {2}, "SAME"); }},
      {"conv2d_dilated",
       [](auto& x, auto& w) { return nn::conv2d(x, w, {1}, "SAME", "NHWC", {2}); }},
      {"conv2d_explicit",
       [](auto& x, auto& w) {
         return nn::conv2d(x, w, {2}, nn::Padding({{0, 0}, {1, 2}, {0, 1}, {0, 0}}));
       }},
      {"conv2d_nchw", [](auto& x, auto& w) { return nn::conv2d(x, w, {2}, "SAME", "NCHW"); }},
      {"conv2d_grouped", [](auto& x, auto& w) { return nn::conv2d(x, w, {1}, "SAME"); }},
      {"conv1d_same_strided", [](auto& x, auto& w) { return nn::conv1d(x, w, {2}, "SAME"); }},
      {"conv3d_valid",
       [](auto& x, auto& w) {
         return nn::conv3d(x, w, {1, 1, 1, 1, 1}, "VALID");
       }},
      {"conv3d_same_strided",
       [](auto& x, auto& w) {
         return nn::conv3d(x, w, {1, 2, 2, 2, 1}, "SAME");
       }},
      {"depthwise_same_strided",
       [](auto& x, auto& w) {
         return nn::depthwise_conv2d(x, w, {1, 2, 2, 1}, "SAME");
       }},
      {"conv2d_transpose_same",
       [](auto& x, auto& w) {
         return nn::conv2d_transpose(x, w, {2, 8, 8, 3}, {2}, "SAME");
       }},
      {"conv2d_transpose_valid",
       [](auto& x, auto& w) {
         return nn::conv2d_transpose(x, w, {2, 9, 9, 3}, {2}, "VALID");
       }},
  };
  return cases;
}

// TensorFlow's float32 sums run in another order: a few units in the last place of each sum's
// magnitude (the terms are in [-1, 1], at most a few hundred of them).
void check_golden(const Tensor& got, const std::string& file, const std::string& what) {
  INFO(what << " against " << file);
  Tensor want = tf::load_npy(kGolden + file);
  REQUIRE(got.shape() == want.shape());
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", TensorFlow " << w[i]);
    CHECK(std::abs(g[i] - w[i]) <= 2e-5 * (1 + std::abs(w[i])));
  }
}

// y, dx, dw for gradient dy flowing into y.
std::vector<Tensor> forward_and_gradients(const Op& op, const Tensor& x, const Tensor& w,
                                          const Tensor& dy) {
  tf::GradientTape tape;
  tape.watch(x);
  tape.watch(w);
  Tensor y = op(x, w);
  auto grads = tape.gradient(tf::reduce_sum(y * dy), std::vector<tf::Source>{x, w});
  return {y, grads[0], grads[1]};
}

TEST_CASE(
    "convolutions and their gradients match TensorFlow eagerly and compiled, through "
    "oneDNN and through generated loops") {
  for (const auto& [name, op] : golden_cases()) {
    Tensor x = tf::load_npy(kGolden + name + ".x.npy"), w = tf::load_npy(kGolden + name + ".w.npy"),
           dy = tf::load_npy(kGolden + name + ".dy.npy");
    auto check = [&, name = name](const std::vector<Tensor>& r, const std::string& mode) {
      check_golden(r[0], name + ".y.npy", name + " " + mode);
      check_golden(r[1], name + ".dx.npy", name + " " + mode + " input gradient");
      check_golden(r[2], name + ".dw.npy", name + " " + mode + " filter gradient");
    };
    check(forward_and_gradients(op, x, w, dy), "eager");
    for (bool library : {true, false}) {
      auto step = [&](const Tensor& a, const Tensor& b, const Tensor& g) {
        return forward_and_gradients(op, a, b, g);
      };
      auto f = tf::function(step, tf::FunctionOptions{.host_library_calls = library});
      check(f(x, w, dy), library ? "compiled (oneDNN)" : "compiled (generated loops)");
    }
  }
}

// float64 cases small enough for central differences over every element.
struct GradientCase {
  std::string name;
  tf::TensorShape x, w;
  Op op;
};
std::vector<GradientCase> gradient_cases() {
  namespace nn = tf::nn;
  return {
      {"conv2d SAME stride 2",
       {2, 5, 4, 2},
       {3, 2, 2, 3},
       [](auto& x, auto& w) { return nn::conv2d(x, w, {2}, "SAME"); }},
      {"conv2d dilated explicit",
       {1, 6, 5, 2},
       {2, 2, 2, 2},
       [](auto& x, auto& w) {
         return nn::conv2d(x, w, {1, 2}, nn::Padding({{2, 0}, {1, 3}}), "NHWC", {2, 1});
       }},
      {"conv2d grouped NCHW",
       {1, 4, 4, 3},
       {2, 2, 2, 4},
       [](auto& x, auto& w) { return nn::conv2d(x, w, {1}, "VALID", "NCHW"); }},
      {"conv1d",
       {2, 7, 2},
       {3, 2, 2},
       [](auto& x, auto& w) { return nn::conv1d(x, w, {3}, "SAME"); }},
      {"conv3d",
       {1, 3, 4, 3, 1},
       {2, 2, 2, 1, 2},
       [](auto& x, auto& w) {
         return nn::conv3d(x, w, {1, 2, 1}, "SAME");
       }},
      {"depthwise_conv2d",
       {1, 5, 5, 2},
       {3, 3, 2, 2},
       [](auto& x, auto& w) { return nn::depthwise_conv2d(x, w, {2}, "VALID"); }},
      {"conv2d_transpose",
       {1, 3, 4, 2},
       {3, 3, 2, 2},
       [](auto& x, auto& w) {
         return nn::conv2d_transpose(x, w, {1, 6, 7, 2}, {2}, "SAME");
       }},
  };
}

Tensor random(const tf::TensorShape& shape, unsigned seed) {
  auto v = tft::random_floats(static_cast<size_t>(shape.num_elements()), seed);
  return tft::make(std::vector<double>(v.begin(), v.end()), shape, tf::float64);
}

TEST_CASE(
    "convolution gradients match central differences in float64, and so do the gradients "
    "of the gradients") {
  for (const auto& c : gradient_cases()) {
    Tensor x = random(c.x, 1), w = random(c.w, 2);
    tft::check_gradients([&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); }, {x, w},
                         c.name);
    // Second order: the input gradient (itself a convolution of the filter) differentiated
    // again with respect to both.
    auto input_gradient = [&](const std::vector<Tensor>& in) {
      tf::GradientTape tape;
      tape.watch(in[0]);
      tape.watch(in[1]);
      Tensor y = c.op(in[0], in[1]);
      Tensor loss = tf::reduce_sum(tf::square(y));
      auto g = tape.gradient(loss, std::vector<tf::Source>{in[0], in[1]});
      return tf::concat({tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
    };
    tft::check_gradients(input_gradient, {x, w}, c.name + ", second order", 1e-5);
  }
}

TEST_CASE("float16 and bfloat16 convolutions round the float32 result, eagerly and compiled") {
  Tensor x = random({2, 6, 5, 3}, 3), w = random({3, 3, 3, 4}, 4);
  auto op = [](const Tensor& a, const Tensor& b) { return tf::nn::conv2d(a, b, {2}, "SAME"); };
  for (tf::DType dtype : {tf::float16, tf::bfloat16}) {
    Tensor xh = tf::cast(x, dtype), wh = tf::cast(w, dtype);
    // The reference sees the values the half types store.
    auto want = tft::values_of(op(tf::cast(xh, tf::float64), tf::cast(wh, tf::float64)));
    tft::check_close(tft::values_of(op(xh, wh)), want, dtype, "eager");
    tft::check_close(tft::values_of(tf::function(op)(xh, wh)), want, dtype, "compiled");
  }
}

TEST_CASE("a compiled convolution takes any batch size under an unknown batch dim") {
  auto step = [](const Tensor& x, const Tensor& w) {
    tf::GradientTape tape;
    tape.watch(x);
    tape.watch(w);
    Tensor y = tf::nn::relu(tf::nn::conv2d(x, w, {2}, "SAME"));
    auto g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{x, w});
    return std::vector<Tensor>{y, g[0], g[1]};
  };
  for (bool library : {true, false}) {
    auto f = tf::function(
        step, {tf::TensorSpec({tf::kUnknownDim, 6, 5, 3}), tf::TensorSpec({3, 3, 3, 4})},
        tf::FunctionOptions{.host_library_calls = library});
    Tensor w = tf::cast(random({3, 3, 3, 4}, 5), tf::float32);
    for (int64_t batch : {1, 3, 0}) {
      INFO("batch " << batch << (library ? ", oneDNN" : ", generated loops"));
      Tensor x = tf::cast(random({batch, 6, 5, 3}, 6), tf::float32);
      auto got = f(x, w);
      auto want = step(x, w);
      for (size_t i = 0; i < want.size(); ++i)
        tft::check_close(tft::values_of(got[i]), tft::values_of(want[i]), tf::float32,
                         "result " + std::to_string(i));
    }
    CHECK(f.trace_count() == 1);
  }
}

TEST_CASE("bias_add adds along the channel dim in both layouts") {
  Tensor v = tft::make({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2}, tf::float32);
  Tensor b = tft::make({10, 20}, {2}, tf::float32);
  CHECK(tf::nn::bias_add(v, b).to_vector<float>() ==
        std::vector<float>{11, 22, 13, 24, 15, 26, 17, 28});
  CHECK(tf::nn::bias_add(v, b, "NCHW").to_vector<float>() ==
        std::vector<float>{11, 12, 13, 14, 25, 26, 27, 28});
  CHECK_THROWS_AS(tf::nn::bias_add(v, tft::make({1, 2, 3}, {3}, tf::float32)),
                  tf::InvalidArgumentError);
}

TEST_CASE("bad convolution arguments raise typed errors naming the op, eagerly and compiled") {
  Tensor x = tf::zeros({1, 5, 5, 3}), w = tf::zeros({3, 3, 3, 2});
  auto raises = [&](auto call, const std::string& fragment) {
    INFO(fragment);
    CHECK_THROWS_WITH(call(x, w), Catch::Contains(fragment));
    CHECK_THROWS_WITH(tf::function(call)(x, w), Catch::Contains(fragment));
  };
  raises(
      [](auto& a, auto&) {
        return tf::nn::conv2d(a, tf::zeros({3, 3, 4, 2}), {1}, "SAME");
      },
      "conv2d: the input's channels (3");
  raises([](auto& a, auto& b) { return tf::nn::conv2d(a, b, {0}, "SAME"); },
         "strides and dilations must be in [1, 2^40]");
  raises(
      [](auto& a, auto&) {
        return tf::nn::conv2d(a, tf::zeros({6, 3, 3, 2}), {1}, "VALID");
      },
      "is larger than the padded input");
  raises([](auto& a, auto& b) { return tf::nn::conv2d(a, b, {1}, "FULL"); },
         "padding must be \"VALID\", \"SAME\"");
  raises(
      [](auto& a, auto& b) {
        return tf::nn::conv2d(a, b, {1}, "SAME", "NHWC", {1, 2, 3});
      },
      "dilations needs 1, 2 or 4 values");
  raises([](auto& a, auto& b) { return tf::nn::conv1d(a, b, {1}, "SAME"); },
         "conv1d: the input must have rank 3");
  raises(
      [](auto& a, auto& b) {
        return tf::nn::conv2d(tf::cast(a, tf::int32), tf::cast(b, tf::int32), {1}, "SAME");
      },
      "dtype int32 is not supported");
  raises(
      [](auto& a, auto& b) {
        return tf::nn::conv2d_transpose(a, b, {1, 9, 9, 3}, {1}, "SAME");
      },
      "must have the shape");
  raises(
      [](auto& a, auto& b) {
        return tf::nn::conv2d(a, b, {1}, tf::nn::Padding({{1, 1}, {1, -1}}));
      },
      "paddings must be in [0, 2^40]");
}

}  // namespace
