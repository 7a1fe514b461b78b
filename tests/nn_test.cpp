// tf.nn, tf.math and tf.image composites (frontend/src/nn.cpp, math.cpp, image.cpp) and the
// activation table lines:
// values and gradients against TensorFlow's (tests/golden/nn/make_nn_golden.py), eager and
// compiled; dropout's masks; bad arguments.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>

#include "tests/gradient_helpers.h"
#include "tests/helpers.h"

namespace {

using tf::Tensor;
using Args = std::vector<Tensor>;
using Op = std::function<Tensor(const Args&)>;
namespace nn = tf::nn;

const std::string kGolden = std::string(TFJIT_GOLDEN_DIR) + "/nn/";

Tensor flat(const std::vector<Tensor>& ts) {
  std::vector<Tensor> parts;
  for (const Tensor& t : ts) parts.push_back(tf::reshape(t, {-1}));
  return tf::concat(parts, 0);
}

// The golden script's cases, called as a C++ user writes them.
const std::map<std::string, Op>& golden_cases() {
  static const std::map<std::string, Op> cases = {
      {"leaky_relu", [](const Args& a) { return nn::leaky_relu(a[0], 0.1); }},
      {"gelu", [](const Args& a) { return nn::gelu(a[0]); }},
      {"gelu_approximate", [](const Args& a) { return nn::gelu(a[0], true); }},
      {"swish_beta", [](const Args& a) { return nn::swish(a[0], 1.5); }},
      {"relu6", [](const Args& a) { return nn::relu6(a[0]); }},
      {"elu", [](const Args& a) { return nn::elu(a[0]); }},
      {"selu", [](const Args& a) { return nn::selu(a[0]); }},
      {"softsign", [](const Args& a) { return nn::softsign(a[0]); }},
      {"log_sigmoid", [](const Args& a) { return tf::math::log_sigmoid(a[0]); }},
      {"hard_sigmoid", [](const Args& a) { return tf::hard_sigmoid(a[0]); }},
      {"softmax_cross_entropy",
       [](const Args& a) { return nn::softmax_cross_entropy_with_logits(a[0], a[1]); }},
      {"softmax_cross_entropy_axis0",
       [](const Args& a) { return nn::softmax_cross_entropy_with_logits(a[0], a[1], 0); }},
      {"sparse_softmax_cross_entropy",
       [](const Args& a) { return nn::sparse_softmax_cross_entropy_with_logits(a[0], a[1]); }},
      {"sigmoid_cross_entropy",
       [](const Args& a) { return nn::sigmoid_cross_entropy_with_logits(a[0], a[1]); }},
      {"weighted_cross_entropy",
       [](const Args& a) { return nn::weighted_cross_entropy_with_logits(a[0], a[1], 2.5); }},
      {"log_poisson_loss", [](const Args& a) { return nn::log_poisson_loss(a[0], a[1]); }},
      {"log_poisson_loss_full",
       [](const Args& a) { return nn::log_poisson_loss(a[0], a[1], true); }},
      {"l2_loss", [](const Args& a) { return nn::l2_loss(a[0]); }},
      {"moments",
       [](const Args& a) {
         auto m = nn::moments(a[0], {0, 2});
         return flat({m.mean, m.variance});
       }},
      {"batch_normalization",
       [](const Args& a) { return nn::batch_normalization(a[0], a[1], a[2], a[3], a[4], 1e-3); }},
      {"fused_batch_norm",
       [](const Args& a) { return nn::fused_batch_norm(a[0], a[1], a[2], {}, {}, 1e-3).y; }},
      {"fused_batch_norm_statistics",
       [](const Args& a) {
         auto r = nn::fused_batch_norm(a[0], a[1], a[2], a[3], a[4], 1e-3, 0.1);
         return flat({r.mean, r.variance});
       }},
      {"l2_normalize", [](const Args& a) { return nn::l2_normalize(a[0], 1); }},
      {"reduce_std", [](const Args& a) { return tf::math::reduce_std(a[0], 1); }},
      {"reduce_variance", [](const Args& a) { return tf::math::reduce_variance(a[0], 0, true); }},
      {"reduce_euclidean_norm",
       [](const Args& a) {
         return tf::math::reduce_euclidean_norm(a[0], {0, 1});
       }},
      {"norm_1", [](const Args& a) { return tf::norm(a[0], 1, 1); }},
      {"norm_inf",
       [](const Args& a) { return tf::norm(a[0], std::numeric_limits<double>::infinity(), 0); }},
      {"norm_euclidean", [](const Args& a) { return tf::norm(a[0]); }},
      {"clip_by_norm", [](const Args& a) { return tf::clip_by_norm(a[0], 1.5, {1}); }},
      {"clip_by_global_norm",
       [](const Args& a) {
         auto r = tf::clip_by_global_norm({a[0], a[1]}, 2.0);
         return flat({r.tensors[0], r.tensors[1], r.global_norm});
       }},
      {"squared_difference", [](const Args& a) { return tf::squared_difference(a[0], a[1]); }},
      {"divide_no_nan", [](const Args& a) { return tf::divide_no_nan(a[0], a[1]); }},
      {"xlogy", [](const Args& a) { return tf::xlogy(a[0], a[1]); }},
      {"atan2", [](const Args& a) { return tf::atan2(a[0], a[1]); }},
      {"bias_add_nchw", [](const Args& a) { return nn::bias_add(a[0], a[1], "NCHW"); }},
      {"embedding_lookup", [](const Args& a) { return nn::embedding_lookup(a[0], a[1]); }},
      {"resize_bilinear_up",
       [](const Args& a) {
         return tf::image::resize(a[0], {8, 7});
       }},
      {"resize_bilinear_down",
       [](const Args& a) {
         return tf::image::resize(a[0], {4, 3});
       }},
      {"resize_nearest",
       [](const Args& a) {
         return tf::image::resize(a[0], {8, 3}, "nearest");
       }},
      {"per_image_standardization",
       [](const Args& a) { return tf::image::per_image_standardization(a[0]); }},
      {"flip_left_right", [](const Args& a) { return tf::image::flip_left_right(a[0]); }},
      {"flip_up_down", [](const Args& a) { return tf::image::flip_up_down(a[0]); }},
      {"sort_axis0", [](const Args& a) { return tf::sort(a[0], 0); }},
      {"sort_descending", [](const Args& a) { return tf::sort(a[0], -1, "DESCENDING"); }},
      {"top_k", [](const Args& a) { return tf::math::top_k(a[0], 4).values; }},
      {"unsorted_segment_sum",
       [](const Args& a) { return tf::math::unsorted_segment_sum(a[0], a[1], 4); }},
      {"unsorted_segment_mean",
       [](const Args& a) { return tf::math::unsorted_segment_mean(a[0], a[1], 4); }},
      {"unsorted_segment_sqrt_n",
       [](const Args& a) { return tf::math::unsorted_segment_sqrt_n(a[0], a[1], 4); }},
      {"unsorted_segment_max",
       [](const Args& a) { return tf::math::unsorted_segment_max(a[0], a[1], 3); }},
      {"unsorted_segment_min",
       [](const Args& a) { return tf::math::unsorted_segment_min(a[0], a[1], 3); }},
      {"segment_sum", [](const Args& a) { return tf::math::segment_sum(a[0], a[1]); }},
      {"segment_mean", [](const Args& a) { return tf::math::segment_mean(a[0], a[1]); }},
      {"segment_max", [](const Args& a) { return tf::math::segment_max(a[0], a[1]); }},
      {"segment_min", [](const Args& a) { return tf::math::segment_min(a[0], a[1]); }},
  };
  return cases;
}

bool exists(const std::string& file) { return std::filesystem::exists(kGolden + file); }

// `computed` is the dtype the case computes in (its result's: float32 for fused_batch_norm and
// the float32 image ops, whose float64 gradients carry float32 rounding).
void check_golden(const Tensor& got, const std::string& file, const std::string& what,
                  tf::DType computed) {
  INFO(what << " against " << file);
  Tensor want = tf::load_npy(kGolden + file);
  REQUIRE(got.dtype() == want.dtype());
  REQUIRE(got.shape() == want.shape());
  // float64: TensorFlow's erf (Eigen's) is off by up to ~5e-9 from libm's, which tfjit calls;
  // float32 (fused_batch_norm): TensorFlow's summation order.
  const double tol = computed == tf::float64 ? 1e-8 : 2e-5;
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", TensorFlow " << w[i]);
    CHECK(std::abs(g[i] - w[i]) <= tol * (1 + std::abs(w[i])));
  }
}

// The result and the gradients of sum(result * dy) for each float input.
Args forward_and_gradients(const Op& op, const Args& inputs, const Tensor& dy) {
  tf::GradientTape tape;
  std::vector<tf::Source> sources;
  for (const Tensor& t : inputs)
    if (t.dtype() == tf::float32 || t.dtype() == tf::float64) {
      tape.watch(t);
      sources.push_back(t);
    }
  Tensor y = op(inputs);
  Args out = {y};
  for (const Tensor& g :
       tape.gradient(tf::reduce_sum(y * dy), sources, tf::UnconnectedGradients::ZERO))
    out.push_back(g);
  return out;
}

// tf::function over the case's inputs (one to five tensors).
Args compiled(const Op& op, const Args& in, const Tensor& dy) {
  auto run = [&](auto... t) { return forward_and_gradients(op, Args{t...}, dy); };
  switch (in.size()) {
    case 1:
      return tf::function([&](const Tensor& a) { return run(a); })(in[0]);
    case 2:
      return tf::function([&](const Tensor& a, const Tensor& b) { return run(a, b); })(in[0],
                                                                                       in[1]);
    case 3:
      return tf::function([&](const Tensor& a, const Tensor& b, const Tensor& c) {
        return run(a, b, c);
      })(in[0], in[1], in[2]);
    default:
      REQUIRE(in.size() == 5);
      return tf::function([&](const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& d,
                              const Tensor& e) { return run(a, b, c, d, e); })(in[0], in[1], in[2],
                                                                               in[3], in[4]);
  }
}

TEST_CASE(
    "tf.nn and tf.math composites and activations match TensorFlow with their gradients, "
    "eagerly and compiled") {
  for (const auto& [name, op] : golden_cases()) {
    Args inputs;
    for (int i = 0; exists(name + ".in" + std::to_string(i) + ".npy"); ++i)
      inputs.push_back(tf::load_npy(kGolden + name + ".in" + std::to_string(i) + ".npy"));
    REQUIRE(!inputs.empty());
    Tensor dy = tf::load_npy(kGolden + name + ".dy.npy");
    // Sorted segment ops size their result by the ids' values: eager only.
    const bool eager_only = name.rfind("segment_", 0) == 0;
    for (bool is_compiled : {false, true}) {
      if (is_compiled && eager_only) continue;
      const std::string mode = name + (is_compiled ? " compiled" : " eager");
      Args r = is_compiled ? compiled(op, inputs, dy) : forward_and_gradients(op, inputs, dy);
      const tf::DType computed = r[0].dtype();
      check_golden(r[0], name + ".out.npy", mode, computed);
      size_t k = 1;
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].dtype() != tf::float32 && inputs[i].dtype() != tf::float64) continue;
        const std::string file = name + ".grad" + std::to_string(i) + ".npy";
        if (exists(file))
          check_golden(r[k], file, mode + " gradient " + std::to_string(i), computed);
        ++k;
      }
    }
  }
}

TEST_CASE(
    "dropout keeps about 1 - rate of the elements, scaled, with a new mask at every "
    "compiled call") {
  tf::random::set_seed(5);
  Tensor x = tf::ones({100, 100});
  auto f = tf::function([](const Tensor& t) { return nn::dropout(t, 0.3); });
  auto a = f(x).to_vector<float>(), b = f(x).to_vector<float>();
  int kept = 0, same = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK((a[i] == 0.0f || std::abs(a[i] - 1 / 0.7f) < 1e-6f));
    kept += a[i] != 0;
    same += (a[i] != 0) == (b[i] != 0);
  }
  CHECK(kept > 6700);  // 7000 expected; 5 standard deviations are 230
  CHECK(kept < 7300);
  CHECK(same < 8000);  // independent masks agree on 58% of the elements
  // A noise shape of (1, 100) drops whole columns.
  auto cols = nn::dropout(x, 0.5, {1, 100}).to_vector<float>();
  for (size_t i = 100; i < cols.size(); ++i) CHECK(cols[i] == cols[i % 100]);
  CHECK(nn::dropout(x, 0.0).to_vector<float>() == x.to_vector<float>());
  CHECK_THROWS_AS(nn::dropout(x, 1.0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(nn::dropout(x, 0.5, {3, 100}), tf::InvalidArgumentError);
}

TEST_CASE("sparse softmax cross-entropy raises on a label out of range, eagerly and compiled") {
  Tensor logits = tf::zeros({2, 3});
  Tensor bad = tf::constant(std::vector<int32_t>{1, 3}, {2});
  CHECK_THROWS_WITH(nn::sparse_softmax_cross_entropy_with_logits(bad, logits),
                    Catch::Contains("a label is outside [0, 3)"));
  auto f = tf::function([](const Tensor& l, const Tensor& x) {
    return nn::sparse_softmax_cross_entropy_with_logits(l, x);
  });
  CHECK_THROWS_WITH(f(bad, logits), Catch::Contains("a label is outside [0, 3)"));
  auto ok = f(tf::constant(std::vector<int32_t>{1, 2}, {2}), logits).to_vector<float>();
  CHECK(std::abs(ok[0] - std::log(3.0f)) < 1e-6f);
  // Labels captured by the function are known while tracing: checked then.
  Tensor labels = tf::constant(std::vector<int32_t>{2, 0}, {2});
  auto captured = tf::function(
      [&](const Tensor& x) { return nn::sparse_softmax_cross_entropy_with_logits(labels, x); });
  CHECK(std::abs(captured(logits).to_vector<float>()[1] - std::log(3.0f)) < 1e-6f);
  auto captured_bad = tf::function(
      [&](const Tensor& x) { return nn::sparse_softmax_cross_entropy_with_logits(bad, x); });
  CHECK_THROWS_WITH(captured_bad(logits), Catch::Contains("a label is outside [0, 3)"));
}

TEST_CASE(
    "segment ids past the last segment raise, eagerly and compiled, and traced sorted ids are "
    "refused") {
  Tensor data = tf::ones({3, 2});
  Tensor ids = tf::constant(std::vector<int32_t>{0, 4, -1}, {3});
  CHECK_THROWS_WITH(tf::math::unsorted_segment_sum(data, ids, 4),
                    Catch::Contains("a segment id is not below 4"));
  auto f = tf::function(
      [](const Tensor& d, const Tensor& i) { return tf::math::unsorted_segment_max(d, i, 4); });
  CHECK_THROWS_WITH(f(data, ids), Catch::Contains("a segment id is not below 4"));
  CHECK_THROWS_WITH(tf::math::segment_sum(data, tf::constant(std::vector<int32_t>{1, 0, 2}, {3})),
                    Catch::Contains("must be non-negative and sorted"));
  auto g =
      tf::function([](const Tensor& d, const Tensor& i) { return tf::math::segment_sum(d, i); });
  CHECK_THROWS_AS(g(data, tf::constant(std::vector<int32_t>{0, 0, 1}, {3})),
                  tf::UnimplementedError);
}

TEST_CASE("random_flip_left_right flips each image or leaves it, both at every compiled call") {
  tf::random::set_seed(7);
  Tensor images = tf::reshape(tf::cast(tf::range(64 * 2 * 3), tf::float32), {64, 1, 2, 3});
  Tensor flipped = tf::image::flip_left_right(images);
  auto f = tf::function([](const Tensor& x) { return tf::image::random_flip_left_right(x); });
  std::vector<bool> choices[2];
  for (auto& choice : choices) {
    Tensor got = f(images);
    for (int64_t i = 0; i < 64; ++i) {
      auto g = got[i].to_vector<float>();
      const bool same = g == images[i].to_vector<float>(),
                 flip = g == flipped[i].to_vector<float>();
      CHECK(same != flip);
      choice.push_back(flip);
    }
    const auto flips = std::count(choice.begin(), choice.end(), true);
    CHECK(flips > 16);  // 32 expected; 4 standard deviations are 16
    CHECK(flips < 48);
  }
  CHECK(choices[0] != choices[1]);  // a new draw at every call
}

TEST_CASE("divide_no_nan and xlogy give 0 where TensorFlow does, and their gradients there too") {
  Tensor x = tf::constant({0.0, 2.0, 0.0}, tf::float64),
         y = tf::constant({0.0, 0.0, 3.0}, tf::float64);
  CHECK(tf::divide_no_nan(x, y).to_vector<double>() == std::vector<double>{0, 0, 0});
  CHECK(tf::xlogy(x, y).to_vector<double>() ==
        std::vector<double>{0, -std::numeric_limits<double>::infinity(), 0});
  tf::GradientTape tape;
  tape.watch(x);
  tape.watch(y);
  auto g = tape.gradient(tf::reduce_sum(tf::divide_no_nan(x, y)), std::vector<tf::Source>{x, y});
  CHECK(g[0].to_vector<double>() == std::vector<double>{0, 0, 1.0 / 3});
  CHECK(g[1].to_vector<double>() == std::vector<double>{0, 0, 0});
}

TEST_CASE("bad arguments to the composites raise typed errors naming the op") {
  Tensor x = tf::zeros({2, 3});
  CHECK_THROWS_WITH(nn::softmax_cross_entropy_with_logits(tf::zeros({2, 4}), x),
                    Catch::Contains("softmax_cross_entropy_with_logits: labels (2, 4)"));
  CHECK_THROWS_WITH(nn::sparse_softmax_cross_entropy_with_logits(tf::zeros({2}), x),
                    Catch::Contains("dtype float32 is not supported"));
  CHECK_THROWS_WITH(nn::fused_batch_norm(tf::zeros({2, 3, 3, 4}), tf::ones({3}), tf::zeros({4})),
                    Catch::Contains("fused_batch_norm: scale, offset, mean and variance"));
  CHECK_THROWS_WITH(nn::fused_batch_norm(tf::zeros({2, 3, 3, 3}), tf::ones({3}), tf::zeros({3}), {},
                                         {}, 1e-3, 1.0, "NHWC", false),
                    Catch::Contains("needs mean and variance"));
  CHECK_THROWS_WITH(tf::norm(x, 3, 1), Catch::Contains("ord must be 1, 2 or infinity"));
  CHECK_THROWS_WITH(tf::clip_by_norm(x, 0), Catch::Contains("clip_norm must be > 0"));
  CHECK_THROWS_AS(nn::leaky_relu(tf::zeros({2}, tf::int32)), tf::InvalidArgumentError);
}

}  // namespace

TEST_CASE("local_response_normalization matches a float64 loop, eager, compiled and in gradients") {
  const int64_t n = 2, h = 2, w = 3, c = 7, radius = 2;
  std::vector<double> v;
  for (int64_t i = 0; i < n * h * w * c; ++i) v.push_back(std::sin(0.37 * static_cast<double>(i)));
  Tensor x = tft::make(v, {n, h, w, c}, tf::float64);
  const double bias = 1.5, alpha = 0.3, beta = 0.75;
  std::vector<double> want(v.size());
  for (int64_t p = 0; p < n * h * w; ++p)
    for (int64_t ch = 0; ch < c; ++ch) {
      double sum = 0;
      for (int64_t k = std::max<int64_t>(0, ch - radius); k <= std::min(c - 1, ch + radius); ++k)
        sum += v[p * c + k] * v[p * c + k];
      want[p * c + ch] = v[p * c + ch] / std::pow(bias + alpha * sum, beta);
    }
  auto lrn = [&](const Tensor& t) {
    return nn::local_response_normalization(t, radius, bias, alpha, beta);
  };
  tft::check_close(tft::values_of(lrn(x)), want, tf::float64, "eager");
  tft::check_close(tft::values_of(tf::function(lrn)(x)), want, tf::float64, "compiled");
  tft::check_gradients([&](const Args& in) { return lrn(in[0]); }, {x}, "gradient");
  CHECK_THROWS_WITH(nn::lrn(tf::zeros({2, 3})), Catch::Contains("local_response_normalization"));
  CHECK_THROWS_AS(nn::lrn(x, -1), tf::InvalidArgumentError);
}

TEST_CASE("fused_batch_norm training with an unknown batch counts it at run time") {
  tf::FunctionOptions o;
  o.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 2, 2, 3}, tf::float64),
                                                  tf::TensorSpec({tf::None, 1, 1, 3}, tf::float64)};
  auto f = tf::function(
      [](const Tensor& x, const Tensor& single) {
        auto r = nn::fused_batch_norm(x, tf::ones({3}, tf::float64), tf::zeros({3}, tf::float64));
        auto one =
            nn::fused_batch_norm(single, tf::ones({3}, tf::float64), tf::zeros({3}, tf::float64));
        return std::vector<Tensor>{r.y, r.mean, r.variance, one.variance};
      },
      o);
  for (int64_t n : {1, 3, 5}) {
    INFO("batch " << n);
    std::vector<double> v;
    for (int64_t i = 0; i < n * 12; ++i) v.push_back(std::cos(0.7 * static_cast<double>(i)));
    Tensor x = tft::make(v, {n, 2, 2, 3}, tf::float64);
    Tensor single = tf::slice(x, {0, 0, 0, 0}, {n, 1, 1, 3});
    auto got = f(x, single);
    auto want = nn::fused_batch_norm(x, tf::ones({3}, tf::float64), tf::zeros({3}, tf::float64));
    tft::check_close(tft::values_of(got[0]), tft::values_of(want.y), tf::float64, "y");
    tft::check_close(tft::values_of(got[1]), tft::values_of(want.mean), tf::float64, "mean");
    tft::check_close(tft::values_of(got[2]), tft::values_of(want.variance), tf::float64,
                     "Bessel-corrected variance");
    auto want_single =
        nn::fused_batch_norm(single, tf::ones({3}, tf::float64), tf::zeros({3}, tf::float64));
    tft::check_close(tft::values_of(got[3]), tft::values_of(want_single.variance), tf::float64,
                     "one element per channel and batch row");
    // One element per channel: no correction (the batch variance, 0).
    if (n == 1) CHECK(tft::values_of(got[3]) == std::vector<double>{0, 0, 0});
  }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("dropout and random_flip_left_right draw per call under an unknown batch dim") {
  tf::random::set_seed(11);
  tf::FunctionOptions o;
  o.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 50})};
  auto drop = tf::function([](const Tensor& x) { return nn::dropout(x, 0.25); }, o);
  std::vector<float> previous;
  for (int64_t n : {4, 9, 9}) {
    INFO("batch " << n);
    Tensor x = tf::ones({n, 50});
    auto got = drop(x).to_vector<float>();
    REQUIRE(got.size() == static_cast<size_t>(n * 50));
    int64_t kept = 0;
    for (float v : got) {
      CHECK((v == 0.0f || v == 1.0f / 0.75f));
      kept += v != 0.0f;
    }
    // 75 % kept: n * 50 draws, well within 6 standard deviations.
    const double expected = 0.75 * static_cast<double>(n * 50);
    CHECK(std::abs(static_cast<double>(kept) - expected) < 6 * std::sqrt(expected * 0.25));
    if (previous.size() == got.size()) CHECK(previous != got);  // a new mask at every call
    previous = got;
  }
  CHECK(drop.trace_count() == 1);

  tf::FunctionOptions images;
  images.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 1, 2, 3})};
  auto flip =
      tf::function([](const Tensor& x) { return tf::image::random_flip_left_right(x); }, images);
  for (int64_t n : {40, 3}) {
    Tensor batch = tf::reshape(tf::cast(tf::range(n * 6), tf::float32), {n, 1, 2, 3});
    Tensor flipped = tf::image::flip_left_right(batch), got = flip(batch);
    int64_t flips = 0;
    for (int64_t i = 0; i < n; ++i) {
      auto g = got[i].to_vector<float>();
      const bool same = g == batch[i].to_vector<float>(),
                 mirrored = g == flipped[i].to_vector<float>();
      CHECK(same != mirrored);
      flips += mirrored;
    }
    if (n == 40) CHECK((flips > 8 && flips < 32));  // 20 expected
  }
  CHECK(flip.trace_count() == 1);
}
