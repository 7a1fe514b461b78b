// Compiled row reductions on the GPU against the CPU: one block per row, each thread folding a
// strided share of the row, the shares combined in shared memory
// (compiler/lowering/gpu_block_reductions.cpp). Rows around the block and tile sizes, every
// combiner the ops use, integer and float64 rows, several outputs, rows indexed by several dims,
// and bodies that read the loop index (cross-entropy's labels). Run on a GPU when there is one and
// on the stand-in driver (tests/fake_cuda), whose fibers make the barriers real; there the PTX
// must show the barriers.
#include <functional>
#include <random>
#include <sstream>

#include "tests/device_helpers.h"
#include "tests/fake_gpu_kernels.h"

namespace {

using tft::make;
using tft::random_values;

// Compiles fn for x, runs it on both devices and compares. `blocks`: the rows go to blocks, so
// the stand-in's PTX (empty on a real GPU) has barriers.
void compare_compiled(const std::string& what, std::function<tf::Tensor(const tf::Tensor&)> fn,
                      const tf::Tensor& x, bool blocks = true) {
  INFO(what);
  auto f = tf::function(fn);
  const std::string ptx = tft::run_compiled_kernels_on_fake_gpu(f, x);
  if (!ptx.empty()) CHECK((ptx.find("bar.sync") != std::string::npos) == blocks);
  tft::compare_devices("compiled " + what, [&] { return tf::identity(f(x)); });
  auto scope = tf::device_scope("/GPU:0");
  auto concrete = f.get_concrete_function(x);
  INFO(concrete.gpu_fallback_reason());
  CHECK(concrete.device().ends_with("GPU:0"));
}

tf::Tensor random_tensor(const tf::TensorShape& shape, tf::DType dtype, std::mt19937& rng) {
  return make(random_values(shape.num_elements(), {-1, 1}, dtype, rng), shape, dtype);
}

}  // namespace

TEST_CASE("compiled row reductions run as a block per row and agree with the CPU",
          "[device][gpu][function][block_reductions]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(23);
  // 256 threads fold 4 elements each per step (a tile of 1024): rows shorter than a block, one
  // lane, full tiles, and tiles with a ragged rest.
  for (int64_t length : {32, 33, 100, 256, 1000, 1024, 1025, 3000}) {
    tf::Tensor x = random_tensor({3, length}, tf::float32, rng);
    compare_compiled(
        "row sum of " + std::to_string(length), [](auto& a) { return tf::reduce_sum(a * a, {1}); },
        x);
    compare_compiled(
        "row max of " + std::to_string(length), [](auto& a) { return tf::reduce_max(a, {1}); }, x);
  }
  // Each thread starts from the combiner's neutral element: rows of one sign show a wrong one.
  tf::Tensor negative = random_tensor({6, 300}, tf::float32, rng) - 2.f;
  compare_compiled(
      "max of negative rows", [](auto& a) { return tf::reduce_max(a, {1}); }, negative);
  compare_compiled(
      "min of positive rows", [](auto& a) { return tf::reduce_min(-a, {1}); }, negative);
  compare_compiled(
      "int32 max and min of one-signed rows",
      [](auto& a) {
        tf::Tensor n = tf::cast(a * 100.f, tf::int32);
        return tf::reduce_max(n, {1}) * 1000 + tf::reduce_min(-n, {1});
      },
      negative);
  tf::Tensor x = random_tensor({40, 257}, tf::float32, rng);
  compare_compiled(
      "row min", [](auto& a) { return tf::reduce_min(a, {1}); }, x);
  compare_compiled(
      "row product", [](auto& a) { return tf::reduce_prod(a * 0.01f + 1.f, {1}); }, x);
  compare_compiled(
      "softmax", [](auto& a) { return tf::softmax(a * 4.f); }, x);
  compare_compiled(
      "log_softmax", [](auto& a) { return tf::nn::log_softmax(a); }, x);
  compare_compiled(
      "logsumexp", [](auto& a) { return tf::reduce_logsumexp(a, {1}); }, x);
  compare_compiled(  // mean and variance: the layer-norm statistics
      "layer normalisation",
      [](auto& a) {
        auto m = tf::nn::moments(a, {1}, true);
        return (a - m.mean) * tf::rsqrt(m.variance + 1e-5f);
      },
      x);
  std::vector<int32_t> label_values(40);
  for (int32_t i = 0; i < 40; ++i) label_values[i] = i * 7 % 257;
  tf::Tensor labels = tf::constant(label_values);
  compare_compiled(  // the labels compared with the loop index inside the row
      "sparse cross-entropy",
      [&](auto& a) { return tf::nn::sparse_softmax_cross_entropy_with_logits(labels, a); }, x);
  tf::Tensor x3 = random_tensor({5, 7, 300}, tf::float32, rng);
  compare_compiled(  // the row's position in two dims comes from the block index
      "last-axis max of a 3-D tensor", [](auto& a) { return tf::reduce_max(a, {2}, true); }, x3);
  compare_compiled(  // adjacent reduced dims collapse into one row
      "sum over the last two axes",
      [](auto& a) {
        return tf::reduce_sum(a, {1, 2});
      },
      x3);
  compare_compiled(
      "float64 row sum", [](auto& a) { return tf::reduce_sum(a, {1}); },
      random_tensor({30, 500}, tf::float64, rng));
  compare_compiled(
      "int32 row sum", [](auto& a) { return tf::reduce_sum(tf::cast(a * 100.f, tf::int32), {1}); },
      x);
  // A column reduction reads rows apart: a thread per output (split into partials) instead.
  compare_compiled(
      "column sum", [](auto& a) { return tf::reduce_sum(a, {0}); }, x, /*blocks=*/false);
  compare_compiled(  // booleans: no 1-bit shared memory, a thread per row
      "row any", [](auto& a) { return tf::cast(tf::reduce_any(a > 0.99f, {1}), tf::float32); }, x,
      /*blocks=*/false);
}

TEST_CASE("compiled reductions over random shapes and axes agree on GPU and CPU",
          "[device][gpu][function][block_reductions]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(29);
  using Reduce = tf::Tensor (*)(const tf::Tensor&, tf::Axes, bool);
  const std::vector<std::pair<const char*, Reduce>> reductions = {
      {"sum", [](const tf::Tensor& x, tf::Axes a, bool k) { return tf::reduce_sum(x, a, k); }},
      {"max", [](const tf::Tensor& x, tf::Axes a, bool k) { return tf::reduce_max(x, a, k); }},
      {"mean", [](const tf::Tensor& x, tf::Axes a, bool k) { return tf::reduce_mean(x, a, k); }},
      {"logsumexp",
       [](const tf::Tensor& x, tf::Axes a, bool k) { return tf::reduce_logsumexp(x, a, k); }}};
  for (int c = 0; c < 24; ++c) {
    const int rank = 1 + static_cast<int>(rng() % 4);
    std::vector<int64_t> dims, axes;
    for (int d = 0; d < rank; ++d) {
      dims.push_back(1 + static_cast<int64_t>(rng() % (rank > 2 ? 40 : 700)));
      if (rng() % 2) axes.push_back(d);
    }
    if (axes.empty()) axes.push_back(rank - 1);
    const auto& [name, reduce] = reductions[rng() % reductions.size()];
    const bool keepdims = rng() % 2;
    std::ostringstream what;
    what << name << " of " << tf::TensorShape(dims).to_string() << " over " << axes.size()
         << " axes (last " << axes.back() << ")";
    tf::Tensor x = random_tensor(tf::TensorShape(dims), tf::float32, rng);
    INFO(what.str());
    auto f = tf::function([&](const tf::Tensor& a) { return reduce(tf::exp(a), axes, keepdims); });
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    tft::compare_devices("compiled " + what.str(), [&] { return tf::identity(f(x)); });
  }
}
