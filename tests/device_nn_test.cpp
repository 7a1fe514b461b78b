// Compiled tf.nn ops on the GPU against the CPU: convolutions (generated kernels there, oneDNN
// here), pooling gradients (select-and-scatter as two kernels), sorting (rank kernels) and
// scatters (one kernel each). Run on a GPU when there is one and on the stand-in driver
// (tests/fake_cuda).
#include <functional>

#include "tests/device_helpers.h"
#include "tests/fake_gpu_kernels.h"

namespace {

using tft::make;

TEST_CASE("compiled convolutions, pooling gradients and sorts give the same values on GPU and CPU",
          "[device][gpu][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(23);
  tf::Tensor small =
      make(tft::random_values(24 * 50 * 7, {-1, 1}, tf::float32, rng), {24, 50, 7}, tf::float32);
  using Fn = std::function<tf::Tensor(const tf::Tensor&)>;
  auto compare_compiled = [&](const std::string& what, Fn fn, const tf::Tensor& x) {
    auto f = tf::function(fn);
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    tft::compare_devices("compiled " + what, [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(what << ": " << concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with("GPU:0"));
  };
  {  // Convolutions: generated kernels on the GPU (oneDNN on the CPU), gradients included.
    tf::Tensor w = make(tft::random_values(3 * 3 * 7 * 4, {-1, 1}, tf::float32, rng), {3, 3, 7, 4},
                        tf::float32);
    compare_compiled(
        "conv2d and its gradients",
        [w](auto& a) {
          tf::GradientTape tape;
          tape.watch(a);
          tape.watch(w);
          auto y = tf::nn::conv2d(a, w, {2}, "SAME");
          auto g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{a, w});
          return tf::concat(
              {tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
        },
        tf::reshape(small, {24, 10, 5, 7}));
    compare_compiled(
        "depthwise and transposed convolutions",
        [w](auto& a) {
          auto d = tf::nn::depthwise_conv2d(a, tf::reshape(w, {3, 3, 7, 4}), {1}, "VALID");
          return tf::nn::conv2d_transpose(
              d, tf::transpose(tf::reshape(w, {3, 3, 28, 1}), {0, 1, 3, 2}), {24, 16, 3, 1}, {2, 1},
              "SAME");
        },
        tf::reshape(small, {24, 10, 5, 7}));
  }
  compare_compiled(  // pooling gradients: select-and-scatter as two generated kernels
      "max pooling gradients, tiled and overlapping windows",
      [](auto& a) {
        tf::GradientTape tape;
        tape.watch(a);
        auto y = tf::reduce_sum(tf::nn::max_pool2d(a, {2}, {2}, "VALID") * 3.f) +
                 tf::reduce_sum(tf::nn::max_pool2d(a, {3}, {2}, "SAME"));
        return tape.gradient(y, a);
      },
      tf::reshape(small, {24, 10, 5, 7}));
  compare_compiled(  // scatters: one generated kernel each on the GPU (the eager kernel here)
      "segment reductions, scatters and their gradients",
      [](auto& a) {
        tf::GradientTape tape;
        tape.watch(a);
        auto ids =
            tf::constant({3, 0, 3, -1, 1, 0, 3, 2, 2, 0, 4, 1, 1, 0, 3, 3, 2, 1, 0, 0, 4, 4, 1, 2});
        auto m = tf::math::unsorted_segment_max(a, ids, 5);
        auto s = tf::math::unsorted_segment_mean(a, ids, 5);
        auto t = tf::tensor_scatter_nd_update(a, tf::constant({{2}, {7}}),
                                              tf::slice(a, {0, 0, 0}, {2, -1, -1}));
        auto g =
            tape.gradient(tf::reduce_sum(m * m) + tf::reduce_sum(s) + tf::reduce_sum(t * t), a);
        return tf::concat({tf::reshape(m, {-1}), tf::reshape(s, {-1}), tf::reshape(t, {-1}),
                           tf::reshape(g, {-1})},
                          0);
      },
      small);
  {  // 600 rows: a reduction long enough for split_reductions, which must leave it whole
    std::vector<int32_t> ids(600);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i * 7 % 9) - 1;
    tf::Tensor id = tf::constant(ids, {600});
    compare_compiled(
        "segment max and update over 600 rows",
        [id](auto& a) {
          auto rows = tf::reshape(a, {600, 14});
          auto m = tf::math::unsorted_segment_max(rows, id, 8);
          auto u = tf::tensor_scatter_nd_update(tf::zeros({8, 14}),
                                                tf::expand_dims(tf::maximum(id, 0), -1), rows);
          return tf::concat({tf::reshape(m, {-1}), tf::reshape(u, {-1})}, 0);
        },
        small);
  }
  compare_compiled(  // sorting: ranks computed by generated kernels on the GPU
      "sort, argsort and top_k",
      [](auto& a) {
        auto top = tf::math::top_k(a, 3);
        return tf::concat(
            {tf::reshape(tf::sort(a, 1), {-1}),
             tf::reshape(tf::cast(tf::argsort(a, 0, "DESCENDING"), tf::float32), {-1}),
             tf::reshape(top.values, {-1})},
            0);
      },
      small);
}

}  // namespace
