// Eager convolutions and their gradients on the GPU (cuDNN, backends/cuda/cudnn.cpp, where it
// loads) against the CPU (oneDNN and tfjit's loops), over the configurations the GPU path treats
// differently: padding equal on both sides or not (the input padded on the device), strides,
// dilations, groups and depthwise, channels first, 1-D and 3-D, the transposed convolution, and
// each float dtype. Runs on a GPU when there is one and on the stand-in driver and cuDNN
// (tests/fake_cuda), where fake_gpu_cudnn_test.cpp also checks that cuDNN did the work. A
// compiled step with convolutions replays them inside its CUDA Graph.
#include <functional>

#include "backends/cuda/cudnn.h"
#include "tests/device_helpers.h"
#include "tests/fake_gpu_kernels.h"

namespace {

using tft::make;

// Without cuDNN these still run, but compare the CPU's kernel with itself: say so in the log.
bool skip_without_gpu_or_say_without_cudnn() {
  if (tft::skip_without_gpu()) return true;
  if (!tf::cuda::cudnn_available())
    WARN("cuDNN unavailable (" << tf::cuda::cudnn_unavailable_reason()
                               << "): convolutions placed on the GPU run on the CPU");
  return false;
}

tf::Tensor random_tensor(const tf::TensorShape& shape, tf::DType dtype, std::mt19937& rng) {
  return make(tft::random_values(shape.num_elements(), {-1, 1}, dtype, rng), shape, dtype);
}

// A convolution of (x, w) and the gradients of sum(y * r) with respect to both, as one tensor.
using ConvFn = std::function<tf::Tensor(const tf::Tensor&, const tf::Tensor&)>;
tf::Tensor with_gradients(const ConvFn& conv, const tf::Tensor& x, const tf::Tensor& w,
                          std::mt19937& rng) {
  tf::Tensor shape_probe;
  {
    auto scope = tf::device_scope("/CPU:0");
    shape_probe = conv(x, w);
  }
  // The same weights on both devices: the caller seeds `rng` alike for each.
  tf::Tensor r =
      make(tft::random_values(shape_probe.shape().num_elements(), {-1, 1}, x.dtype(), rng),
           shape_probe.shape(), x.dtype());
  tf::GradientTape tape;
  tape.watch(x);
  tape.watch(w);
  tf::Tensor y = conv(x, w);
  auto g = tape.gradient(tf::reduce_sum(y * r), std::vector<tf::Source>{x, w});
  return tf::concat({tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
}

struct Case {
  const char* what;
  tf::TensorShape x, w;
  ConvFn conv;
};

TEST_CASE("eager convolutions and their gradients give the same values on GPU and CPU",
          "[device][gpu][cudnn]") {
  if (skip_without_gpu_or_say_without_cudnn()) return;
  const Case cases[] = {
      {"conv2d 3x3 SAME stride 1 (even padding)",
       {2, 7, 6, 3},
       {3, 3, 3, 4},
       [](auto& x, auto& w) { return tf::nn::conv2d(x, w, {1}, "SAME"); }},
      {"conv2d 3x3 VALID stride 2",
       {2, 9, 8, 3},
       {3, 3, 3, 5},
       [](auto& x, auto& w) { return tf::nn::conv2d(x, w, {2}, "VALID"); }},
      {"conv2d 3x3 SAME stride 2 on even sizes (padding only after)",
       {2, 8, 6, 3},
       {3, 3, 3, 4},
       [](auto& x, auto& w) { return tf::nn::conv2d(x, w, {2}, "SAME"); }},
      {"conv2d 2x4 SAME stride 1 (even windows: more padding after)",
       {1, 6, 7, 2},
       {2, 4, 2, 3},
       [](auto& x, auto& w) { return tf::nn::conv2d(x, w, {1}, "SAME"); }},
      {"conv2d explicit padding, more before than after",
       {1, 6, 5, 2},
       {3, 2, 2, 3},
       [](auto& x, auto& w) {
         return tf::nn::conv2d(x, w, {1, 2}, tf::nn::Padding({{2, 0}, {1, 0}}));
       }},
      {"conv2d dilation 2 SAME",
       {2, 9, 9, 2},
       {3, 3, 2, 3},
       [](auto& x, auto& w) { return tf::nn::conv2d(x, w, {1}, "SAME", "NHWC", {2}); }},
      {"conv2d grouped (3 groups)",
       {2, 6, 5, 6},
       {3, 3, 2, 9},
       [](auto& x, auto& w) { return tf::nn::conv2d(x, w, {1}, "SAME"); }},
      {"depthwise_conv2d, multiplier 2, stride 2",
       {2, 7, 7, 4},
       {3, 3, 4, 2},
       [](auto& x, auto& w) { return tf::nn::depthwise_conv2d(x, w, {2}, "SAME"); }},
      {"conv2d NCHW",
       {2, 3, 7, 6},
       {3, 3, 3, 4},
       [](auto& x, auto& w) {
         return tf::nn::conv2d(x, w, {1, 2}, "SAME", "NCHW");
       }},
      {"conv1d stride 2 SAME",
       {3, 11, 4},
       {3, 4, 5},
       [](auto& x, auto& w) { return tf::nn::conv1d(x, w, {2}, "SAME"); }},
      {"conv3d VALID",
       {1, 5, 6, 4, 2},
       {2, 3, 2, 2, 3},
       [](auto& x, auto& w) { return tf::nn::conv3d(x, w, {1}, "VALID"); }},
      {"conv2d_transpose stride 2",
       {2, 4, 3, 5},
       {3, 3, 4, 5},
       [](auto& x, auto& w) {
         return tf::nn::conv2d_transpose(x, w, {2, 8, 6, 4}, {2}, "SAME");
       }},
  };
  std::mt19937 rng(19);
  for (const Case& c : cases) {
    tf::Tensor x = random_tensor(c.x, tf::float32, rng), w = random_tensor(c.w, tf::float32, rng);
    const auto seed = rng();
    tft::compare_devices(c.what, [&] {
      std::mt19937 same(seed);
      return with_gradients(c.conv, x, w, same);
    });
  }
}

TEST_CASE("eager convolutions on the GPU in float64 float16 and bfloat16 match the CPU",
          "[device][gpu][cudnn]") {
  if (skip_without_gpu_or_say_without_cudnn()) return;
  std::mt19937 rng(20);
  for (tf::DType dtype : {tf::float64, tf::float16, tf::bfloat16}) {
    // Few terms per sum, so that the half types' rounding stays within the comparison's
    // tolerance whichever order each device sums in.
    tf::Tensor x = random_tensor({2, 6, 5, 2}, dtype, rng),
               w = random_tensor({2, 2, 2, 3}, dtype, rng);
    const auto seed = rng();
    tft::compare_devices("conv2d SAME stride 2 in " + std::string(tf::dtype_name(dtype)), [&] {
      std::mt19937 same(seed);
      return with_gradients([](auto& a, auto& b) { return tf::nn::conv2d(a, b, {2}, "SAME"); }, x,
                            w, same);
    });
  }
}

TEST_CASE("an empty batch convolves to empty results and a zero filter gradient on the GPU",
          "[device][gpu][cudnn]") {
  if (skip_without_gpu_or_say_without_cudnn()) return;
  std::mt19937 rng(21);
  tf::Tensor x = random_tensor({0, 5, 5, 2}, tf::float32, rng),
             w = random_tensor({3, 3, 2, 4}, tf::float32, rng);
  tft::compare_devices("conv2d of an empty batch and its filter gradient", [&] {
    tf::GradientTape tape;
    tape.watch(w);
    tf::Tensor y = tf::nn::conv2d(x, w, {1}, "SAME");
    auto g = tape.gradient(tf::reduce_sum(y), std::vector<tf::Source>{w});
    return tf::concat({tf::reshape(y, {-1}), tf::reshape(g[0], {-1})}, 0);
  });
}

}  // namespace

TEST_CASE("a compiled CNN training step on the GPU replays its convolutions as a CUDA Graph",
          "[device][gpu][cudnn][function]") {
  if (skip_without_gpu_or_say_without_cudnn()) return;
  std::mt19937 rng(37);
  // Uneven SAME padding (stride 2, even sizes: 0 before, 1 after) pads the input on the device:
  // kept by the graph.
  tf::Tensor w1 = random_tensor({3, 3, 3, 8}, tf::float32, rng);
  tf::Tensor w2 = random_tensor({3, 3, 8, 4}, tf::float32, rng);
  tf::Tensor b1 = random_tensor({8}, tf::float32, rng);
  auto step = [&](const tf::Tensor& x) {
    tf::GradientTape tape;
    tape.watch(w1);
    tape.watch(w2);
    tape.watch(b1);
    // Compiled, the first convolution with its bias and ReLU is one fused cuDNN call.
    tf::Tensor h = tf::nn::relu(tf::nn::bias_add(tf::nn::conv2d(x, w1, {2}, "SAME"), b1));
    tf::Tensor y = tf::nn::conv2d(tf::nn::max_pool2d(h, {2}, {2}, "VALID"), w2, {1}, "SAME");
    auto g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{w1, w2, b1});
    return tf::concat({tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1}),
                       tf::reshape(g[2], {-1})},
                      0);
  };
  auto f = tf::function(step);
  for (int call = 0; call < 4; ++call) {
    tf::Tensor x = random_tensor({4, 12, 10, 3}, tf::float32, rng);
    if (call == 0) tft::run_compiled_kernels_on_fake_gpu(f, x);
    tft::compare_devices("compiled CNN step, call " + std::to_string(call),
                         [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(concrete.cuda_graph_unavailable_reason());
    if (tf::cuda::cudnn_available()) CHECK(concrete.replays_cuda_graph() == (call > 0));
  }
}
