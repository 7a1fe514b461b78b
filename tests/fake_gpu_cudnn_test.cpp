// The cuDNN path's host side on the stand-in driver and cuDNN (tests/fake_cuda/fake_cudnn.cpp):
// that eager convolutions and their gradients are cuDNN's calls (device_cudnn_test.cpp compares
// their values with the CPU's), each configuration's algorithm is chosen once and run with the
// workspace it asked for, a configuration cuDNN refuses still runs (on the CPU's kernel, the
// tensor staying on the GPU), a cuDNN failure is a typed error naming the op, and without cuDNN
// convolutions still run (eagerly on the CPU, compiled as generated GPU kernels), and a compiled
// convolution with its bias, residual and ReLU is one fused cuDNN call (separate cuDNN calls
// where cuDNN refuses it).
#include <dlfcn.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>

#include "backends/cuda/cudnn.h"
#include "tests/device_helpers.h"
#include "tests/fake_gpu_kernels.h"
#include "tfjit/tfjit.h"

namespace {

using tft::make;

struct CudnnStats {
  int64_t handles, forward, backward_data, backward_filter;
  int64_t heuristic_queries, find_calls, largest_workspace;
  int64_t fused_forward, add_tensor, activation;
};

// A symbol of the stand-in library (driver, cuBLAS and cuDNN in one).
void* fake_symbol(const char* name) {
  REQUIRE(tf::test::is_gpu_available());  // the driver is loaded on first use
  void* lib = dlopen(std::getenv("TFJIT_CUDA_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(lib);
  void* symbol = dlsym(lib, name);
  dlclose(lib);
  REQUIRE(symbol);
  return symbol;
}

CudnnStats cudnn_stats() {
  return *reinterpret_cast<CudnnStats* (*)()>(fake_symbol("tfjit_fake_cudnn_stats"))();
}

void fail_next(const char* call, int status) {
  reinterpret_cast<void (*)(const char*, int, int)>(fake_symbol("tfjit_fake_cuda_fail_next"))(
      call, status, 1);
}

tf::Tensor random_tensor(const tf::TensorShape& shape, std::mt19937& rng) {
  return make(tft::random_values(shape.num_elements(), {-1, 1}, tf::float32, rng), shape,
              tf::float32);
}

// conv2d and both gradients of sum(y) on GPU:0.
tf::Tensor conv_and_gradients(const tf::Tensor& x, const tf::Tensor& w, int64_t stride,
                              const char* padding) {
  auto scope = tf::device_scope("/GPU:0");
  tf::GradientTape tape;
  tape.watch(x);
  tape.watch(w);
  tf::Tensor y = tf::nn::conv2d(x, w, {stride}, padding);
  auto g = tape.gradient(tf::reduce_sum(y), std::vector<tf::Source>{x, w});
  return tf::concat({tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
}

TEST_CASE("eager convolutions and gradients are cuDNN calls with the algorithm chosen once",
          "[fake_gpu][cudnn]") {
  if (tft::skip_without_gpu()) return;
  REQUIRE(tf::cuda::cudnn_available());
  std::mt19937 rng(7);
  // Shapes no other test uses: their algorithms are chosen here.
  tf::Tensor x = random_tensor({3, 10, 8, 3}, rng), w = random_tensor({3, 3, 3, 2}, rng);
  const CudnnStats before = cudnn_stats();
  const int64_t searches = tf::cuda::cudnn_algorithm_searches();
  tf::Tensor first = conv_and_gradients(x, w, 2, "SAME");  // padding only after: padded input
  CHECK(first.device().ends_with("GPU:0"));
  const CudnnStats once = cudnn_stats();
  CHECK(once.forward == before.forward + 1);
  CHECK(once.backward_data == before.backward_data + 1);
  CHECK(once.backward_filter == before.backward_filter + 1);
  // One search per kind: heuristics, then timing on the operands.
  CHECK(tf::cuda::cudnn_algorithm_searches() == searches + 3);
  CHECK(once.heuristic_queries == before.heuristic_queries + 3);
  CHECK(once.find_calls == before.find_calls + 3);
  // The stand-in's fastest algorithm needs 4096 bytes of workspace (its convolutions refuse
  // less).
  CHECK(once.largest_workspace >= 4096);

  tf::Tensor again = conv_and_gradients(x, w, 2, "SAME");
  const CudnnStats twice = cudnn_stats();
  CHECK(twice.forward == once.forward + 1);
  CHECK(twice.backward_data == once.backward_data + 1);
  CHECK(twice.backward_filter == once.backward_filter + 1);
  CHECK(tf::cuda::cudnn_algorithm_searches() == searches + 3);  // cached
  CHECK(twice.find_calls == once.find_calls);
  CHECK(tft::values_of(again) == tft::values_of(first));

  // Other layouts go to cuDNN too: channels first, grouped, 1-D, 3-D.
  auto on_gpu = [](auto f) {
    auto scope = tf::device_scope("/GPU:0");
    return f();
  };
  const CudnnStats more = cudnn_stats();
  tf::Tensor xc = random_tensor({2, 3, 8, 6}, rng);  // channels first
  on_gpu([&] { return tf::nn::conv2d(xc, w, {1}, "SAME", "NCHW"); });
  tf::Tensor xg = random_tensor({1, 5, 5, 4}, rng), wg = random_tensor({3, 3, 2, 6}, rng);
  on_gpu([&] { return tf::nn::conv2d(xg, wg, {1}, "VALID"); });
  tf::Tensor x1 = random_tensor({2, 9, 3}, rng), w1 = random_tensor({3, 3, 2}, rng);
  on_gpu([&] { return tf::nn::conv1d(x1, w1, {1}, "SAME"); });
  tf::Tensor x3 = random_tensor({1, 4, 4, 4, 2}, rng), w3 = random_tensor({2, 2, 2, 2, 3}, rng);
  tf::Tensor y3 = on_gpu([&] { return tf::nn::conv3d(x3, w3, {1}, "SAME"); });
  y3.to_vector<float>();  // waits
  CHECK(cudnn_stats().forward == more.forward + 4);
}

TEST_CASE(
    "compiled convolutions and their gradients on the GPU are cuDNN calls in the program, "
    "replayed as a CUDA Graph",
    "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(11);
  tf::Tensor w = random_tensor({3, 3, 3, 5}, rng);
  auto step = [w](const tf::Tensor& a) {
    tf::GradientTape tape;
    tape.watch(a);
    tape.watch(w);
    tf::Tensor y = tf::nn::relu(tf::nn::conv2d(a, w, {2}, "SAME"));
    auto g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{a, w});
    return tf::concat({tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
  };
  auto f = tf::function(step);
  tft::run_compiled_kernels_on_fake_gpu(f, random_tensor({2, 9, 7, 3}, rng));
  // New values at every call: from the second call on, the graph replays every cuDNN call on
  // the staged arguments (and its padding, filter layouts and workspace kept with the graph).
  for (int call = 0; call < 4; ++call) {
    tf::Tensor x = random_tensor({2, 9, 7, 3}, rng), cpu;
    {
      auto scope = tf::device_scope("/CPU:0");
      cpu = step(x);
    }
    auto scope = tf::device_scope("/GPU:0");
    const CudnnStats before = cudnn_stats();
    tft::check_same(tf::identity(f(x)), cpu, "compiled conv2d, relu and gradients");
    const CudnnStats after = cudnn_stats();
    CHECK(after.fused_forward == before.fused_forward + 1);  // the forward with its ReLU
    CHECK(after.forward == before.forward);
    CHECK(after.backward_data == before.backward_data + 1);
    CHECK(after.backward_filter == before.backward_filter + 1);
    auto concrete = f.get_concrete_function(x);
    CHECK(concrete.device().ends_with("GPU:0"));
    INFO(concrete.cuda_graph_unavailable_reason());
    CHECK(concrete.replays_cuda_graph() == (call > 0));
  }
}

TEST_CASE(
    "a replayed graph keeps one step's worth of convolution memory, and never hands it out again",
    "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(17);
  // Four convolutions of small activations and a large filter: each step's copy of the filter
  // in cuDNN's layout (144 KiB) is most of what the kernels take.
  tf::Tensor w = random_tensor({3, 3, 64, 64}, rng);
  const int64_t filter_bytes = 3 * 3 * 64 * 64 * 4;
  auto step = [w](const tf::Tensor& a) {
    tf::Tensor y = a;
    for (int i = 0; i < 4; ++i) y = tf::nn::relu(tf::nn::conv2d(y, w, {1}, "SAME")) * 0.1f;
    return y;
  };
  auto f = tf::function(step);
  tf::Tensor x0 = random_tensor({1, 4, 4, 64}, rng);
  tft::run_compiled_kernels_on_fake_gpu(f, x0);
  auto scope = tf::device_scope("/GPU:0");
  f(x0);  // step by step
  const int64_t before = tf::config::experimental::get_memory_info("GPU:0").current;
  f(x0);  // recorded, then replayed
  const int64_t after = tf::config::experimental::get_memory_info("GPU:0").current;
  REQUIRE(f.get_concrete_function(x0).replays_cuda_graph());
  // The staging arena (the filter, an argument, and a few KiB) and one step's filter copy and
  // workspace: later steps reuse what earlier steps of the recording gave back. Keeping four
  // copies would make it five filters' worth.
  CHECK(after - before < 3 * filter_bytes);
  // Tensors made now take whatever the allocator has free; replays must not write into them.
  std::vector<tf::Tensor> held;
  for (int64_t n : {16, 64, 240, 512, 1000, 4096, 16384, 36864, 65536})
    for (int k = 0; k < 3; ++k) held.push_back(tf::fill({n}, 7.f) + 0.f);
  for (int call = 0; call < 3; ++call) {
    tf::Tensor x = random_tensor({1, 4, 4, 64}, rng), cpu;
    {
      auto on_cpu = tf::device_scope("/CPU:0");
      cpu = step(x);
    }
    tft::check_same(tf::identity(f(x)), cpu, "replayed convolutions");
  }
  for (const tf::Tensor& t : held) {
    auto values = t.to_vector<float>();
    CHECK(std::all_of(values.begin(), values.end(), [](float v) { return v == 7.f; }));
  }
}

// conv2d (stride 2, uneven SAME padding) with a bias, a residual and ReLU, and a 1-D convolution
// with ReLU alone; the bias and residual vary between calls, as arguments.
tf::Tensor conv_epilogues(const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b,
                          const tf::Tensor& r, const tf::Tensor& x1, const tf::Tensor& w1) {
  tf::Tensor y = tf::nn::relu(tf::nn::bias_add(tf::nn::conv2d(x, w, {2}, "SAME"), b) + r);
  tf::Tensor z = tf::nn::relu(tf::nn::conv1d(x1, w1, {1}, "VALID"));
  return tf::concat({tf::reshape(y, {-1}), tf::reshape(z, {-1})}, 0);
}

struct EpilogueInputs {
  tf::Tensor x, w, b, r, x1, w1;
  explicit EpilogueInputs(std::mt19937& rng)
      : x(random_tensor({2, 8, 6, 3}, rng)),  // SAME, stride 2: padding 0 before, 1 after
        w(random_tensor({3, 3, 3, 4}, rng)),
        b(random_tensor({4}, rng)),
        r(random_tensor({2, 4, 3, 4}, rng)),
        x1(random_tensor({3, 11, 2}, rng)),
        w1(random_tensor({4, 2, 5}, rng)) {}
  tf::Tensor on_cpu() const {
    auto scope = tf::device_scope("/CPU:0");
    return conv_epilogues(x, w, b, r, x1, w1);
  }
};

TEST_CASE(
    "a compiled convolution with its bias, residual and ReLU on the GPU is one fused cuDNN call, "
    "replayed as a CUDA Graph",
    "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(23);
  auto f = tf::function(conv_epilogues);
  const EpilogueInputs first(rng);
  tft::run_compiled_kernels_on_fake_gpu(f, first.x, first.w, first.b, first.r, first.x1, first.w1);
  for (int call = 0; call < 3; ++call) {
    const EpilogueInputs in(rng);
    const tf::Tensor cpu = in.on_cpu();
    auto scope = tf::device_scope("/GPU:0");
    const CudnnStats before = cudnn_stats();
    tft::check_same(tf::identity(f(in.x, in.w, in.b, in.r, in.x1, in.w1)), cpu,
                    "compiled convolutions with their epilogues");
    const CudnnStats after = cudnn_stats();
    CHECK(after.fused_forward == before.fused_forward + 2);
    CHECK(after.forward == before.forward);
    CHECK(after.add_tensor == before.add_tensor);
    CHECK(after.activation == before.activation);
    auto concrete = f.get_concrete_function(in.x, in.w, in.b, in.r, in.x1, in.w1);
    INFO(concrete.cuda_graph_unavailable_reason());
    CHECK(concrete.replays_cuda_graph() == (call > 0));
  }
}

TEST_CASE(
    "where cuDNN refuses the fused call, the convolution, bias and ReLU are separate cuDNN calls "
    "with the same values",
    "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(29);
  // Shapes no other test uses: their plans, and the refusal they remember, are made here.
  tf::Tensor w = random_tensor({2, 2, 3, 5}, rng), b = random_tensor({5}, rng);
  auto step = [&](const tf::Tensor& x, const tf::Tensor& r) {  // two launches: a graph
    return tf::nn::relu(tf::nn::conv2d(x, w, {1}, "VALID") + b + r) * 0.5f;
  };
  auto f = tf::function(step);
  tf::Tensor x0 = random_tensor({2, 6, 5, 3}, rng), r0 = random_tensor({2, 5, 4, 5}, rng);
  tft::run_compiled_kernels_on_fake_gpu(f, x0, r0);
  fail_next("cudnnConvolutionBiasActivationForward", 3000);  // CUDNN_STATUS_NOT_SUPPORTED
  const int64_t refusals = tf::cuda::cudnn_fused_refusals();
  for (int call = 0; call < 3; ++call) {
    tf::Tensor x = random_tensor({2, 6, 5, 3}, rng), r = random_tensor({2, 5, 4, 5}, rng), cpu;
    {
      auto on_cpu = tf::device_scope("/CPU:0");
      cpu = step(x, r);
    }
    auto scope = tf::device_scope("/GPU:0");
    const CudnnStats before = cudnn_stats();
    tft::check_same(tf::identity(f(x, r)), cpu, "separate cuDNN calls");
    const CudnnStats after = cudnn_stats();
    CHECK(after.fused_forward == before.fused_forward);  // refused once, not tried again
    CHECK(after.forward == before.forward + 1);
    CHECK(after.add_tensor == before.add_tensor + 1);
    CHECK(after.activation == before.activation + 1);
    CHECK(tf::cuda::cudnn_fused_refusals() == refusals + 1);
    auto concrete = f.get_concrete_function(x, r);
    INFO(concrete.cuda_graph_unavailable_reason());
    CHECK(concrete.replays_cuda_graph() == (call > 0));
  }
}

// act(conv2d(x, w, SAME) + b) for random x, w and b: compiled (its kernels ready on the stand-in),
// with x and its value on the CPU.
template <class Act>
auto conv_bias_layer(std::mt19937& rng, const tf::TensorShape& x_shape,
                     const tf::TensorShape& w_shape, Act act) {
  tf::Tensor w = random_tensor(w_shape, rng), b = random_tensor({w_shape.dims().back()}, rng);
  auto step = [=](const tf::Tensor& x) {
    return act(tf::nn::bias_add(tf::nn::conv2d(x, w, {1}, "SAME"), b));
  };
  tf::Tensor x = random_tensor(x_shape, rng), cpu;
  {
    auto on_cpu = tf::device_scope("/CPU:0");
    cpu = step(x);
  }
  auto f = tf::function(step);
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  return std::tuple{f, x, cpu};
}

TEST_CASE("a fused convolution cuDNN refuses altogether runs with its epilogue on the CPU kernel",
          "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(31);
  // A configuration no other test uses: its search happens here, and is refused.
  auto [f, x, cpu] = conv_bias_layer(rng, {2, 5, 6, 2}, {3, 2, 2, 3},
                                     [](const tf::Tensor& y) { return tf::nn::relu(y); });
  auto scope = tf::device_scope("/GPU:0");
  fail_next("cudnnGetConvolutionForwardAlgorithm_v7", 3000);  // CUDNN_STATUS_NOT_SUPPORTED
  const CudnnStats before = cudnn_stats();
  for (int call = 0; call < 2; ++call) tft::check_same(f(x), cpu, "refused: the CPU's kernel");
  const CudnnStats after = cudnn_stats();
  CHECK(after.fused_forward == before.fused_forward);
  CHECK(after.forward == before.forward);
}

TEST_CASE("a compiled fused convolution of an empty batch is an empty result on the GPU",
          "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  tft::HostKernelsForEveryProgram host_kernels;
  std::mt19937 rng(41);
  tf::Tensor w = random_tensor({3, 3, 2, 4}, rng), b = random_tensor({4}, rng);
  auto f = tf::function([&](const tf::Tensor& x) {
    return tf::nn::relu(tf::nn::bias_add(tf::nn::conv2d(x, w, {1}, "SAME"), b)) * 2.f;
  });
  tf::Tensor x = tf::zeros({0, 5, 5, 2});
  auto scope = tf::device_scope("/GPU:0");
  for (int call = 0; call < 3; ++call) {
    tf::Tensor y = f(x);
    CHECK(y.shape() == tf::TensorShape({0, 5, 5, 4}));
    CHECK(y.device().ends_with("GPU:0"));
  }
}

TEST_CASE("a compiled convolution with an activation cuDNN does not fuse stays a cuDNN call",
          "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(37);
  auto [f, x, cpu] = conv_bias_layer(rng, {1, 6, 6, 2}, {3, 3, 2, 4},
                                     [](const tf::Tensor& y) { return tf::nn::gelu(y); });
  auto scope = tf::device_scope("/GPU:0");
  const CudnnStats before = cudnn_stats();
  tft::check_same(f(x), cpu, "a convolution, then a generated kernel");
  const CudnnStats after = cudnn_stats();
  CHECK(after.forward == before.forward + 1);
  CHECK(after.fused_forward == before.fused_forward);
}

TEST_CASE("a convolution cuDNN refuses keeps its program launching step by step, saying why",
          "[fake_gpu][cudnn][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(19);
  // A configuration no other test uses: its search happens here, and is refused.
  tf::Tensor x = random_tensor({1, 9, 5, 2}, rng), w = random_tensor({2, 2, 2, 3}, rng);
  auto step = [w](const tf::Tensor& a) { return tf::nn::conv2d(a, w, {1}, "VALID") * 2.f + 1.f; };
  tf::Tensor cpu;
  {
    auto on_cpu = tf::device_scope("/CPU:0");
    cpu = step(x);
  }
  auto f = tf::function(step);
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  auto scope = tf::device_scope("/GPU:0");
  fail_next("cudnnGetConvolutionForwardAlgorithm_v7", 3000);  // CUDNN_STATUS_NOT_SUPPORTED
  for (int call = 0; call < 3; ++call) tft::check_same(f(x), cpu, "refused: the CPU's kernel");
  auto concrete = f.get_concrete_function(x);
  CHECK_FALSE(concrete.replays_cuda_graph());
  CHECK_THAT(concrete.cuda_graph_unavailable_reason(),
             Catch::Contains("cuDNN refuses this convolution") &&
                 Catch::Contains("cannot be recorded into a CUDA Graph"));
}

TEST_CASE("a convolution cuDNN refuses runs on the CPU kernel and stays on the GPU",
          "[fake_gpu][cudnn]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(8);
  // A configuration no other test uses: its search happens here, and is refused.
  tf::Tensor x = random_tensor({1, 7, 5, 3}, rng), w = random_tensor({2, 3, 3, 2}, rng);
  fail_next("cudnnGetConvolutionForwardAlgorithm_v7", 3000);  // CUDNN_STATUS_NOT_SUPPORTED
  const CudnnStats before = cudnn_stats();
  tf::Tensor gpu;
  {
    auto scope = tf::device_scope("/GPU:0");
    gpu = tf::nn::conv2d(x, w, {1}, "VALID");
  }
  tf::Tensor cpu;
  {
    auto scope = tf::device_scope("/CPU:0");
    cpu = tf::nn::conv2d(x, w, {1}, "VALID");
  }
  tft::check_same(gpu, cpu, "refused by cuDNN: the CPU's kernel");
  CHECK(cudnn_stats().forward == before.forward);
  // The refusal is remembered with the configuration: no new search.
  const int64_t searches = tf::cuda::cudnn_algorithm_searches();
  {
    auto scope = tf::device_scope("/GPU:0");
    tft::check_same(tf::nn::conv2d(x, w, {1}, "VALID"), cpu, "refused again");
  }
  CHECK(tf::cuda::cudnn_algorithm_searches() == searches);
  CHECK(cudnn_stats().forward == before.forward);
}

TEST_CASE("a cuDNN failure is a typed error naming the op and the GPU goes on working",
          "[fake_gpu][cudnn]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(9);
  tf::Tensor x = random_tensor({2, 6, 6, 2}, rng), w = random_tensor({3, 3, 2, 2}, rng);
  auto scope = tf::device_scope("/GPU:0");
  tf::nn::conv2d(x, w, {1}, "SAME");           // the algorithm chosen
  fail_next("cudnnConvolutionForward", 5000);  // CUDNN_STATUS_EXECUTION_FAILED
  CHECK_THROWS_MATCHES(
      tf::nn::conv2d(x, w, {1}, "SAME"), tf::InternalError,
      Catch::Matchers::Predicate<tf::InternalError>([](const tf::InternalError& e) {
        const std::string m = e.what();
        return m.starts_with("conv on GPU") &&
               m.find("cudnnConvolutionForward") != std::string::npos &&
               m.find("CUDNN_STATUS_EXECUTION_FAILED") != std::string::npos;
      }));
  fail_next("cudnnConvolutionBackwardFilter", 4004);  // ..._DEVICE_ALLOCATION_FAILED
  {
    tf::GradientTape tape;
    tape.watch(w);
    tf::Tensor y = tf::nn::conv2d(x, w, {1}, "SAME");
    CHECK_THROWS_AS(tape.gradient(tf::reduce_sum(y), std::vector<tf::Source>{w}),
                    tf::ResourceExhaustedError);
  }
  tf::Tensor after = tf::nn::conv2d(x, w, {1}, "SAME");
  tf::Tensor cpu;
  {
    auto on_cpu = tf::device_scope("/CPU:0");
    cpu = tf::nn::conv2d(x, w, {1}, "SAME");
  }
  tft::check_same(after, cpu, "after the failures");
}

// Run alone (tests/CMakeLists.txt: fake_gpu.cudnn_cannot_initialise): the first cuDNN handle of
// the process is the one that fails.
TEST_CASE("cuDNN failing to initialise is an UnavailableError and a later call retries",
          "[.cudnn_init]") {
  REQUIRE(tf::test::is_gpu_available());
  REQUIRE(cudnn_stats().handles == 0);
  std::mt19937 rng(11);
  tf::Tensor x = random_tensor({1, 5, 5, 2}, rng), w = random_tensor({3, 3, 2, 2}, rng);
  auto scope = tf::device_scope("/GPU:0");
  fail_next("cudnnCreate", 1001);  // CUDNN_STATUS_NOT_INITIALIZED
  CHECK_THROWS_MATCHES(
      tf::nn::conv2d(x, w, {1}, "SAME"), tf::UnavailableError,
      Catch::Matchers::Predicate<tf::UnavailableError>([](const tf::UnavailableError& e) {
        const std::string m = e.what();
        return m.starts_with("conv on GPU") &&
               m.find("CUDNN_STATUS_NOT_INITIALIZED") != std::string::npos;
      }));
  tf::Tensor y = tf::nn::conv2d(x, w, {1}, "SAME");
  CHECK(y.device().ends_with("GPU:0"));
  CHECK(cudnn_stats().handles == 1);
  CHECK(cudnn_stats().forward == 1);
}

// Run with TF_CUDNN_USE_AUTOTUNE=0 and TF_CUDNN_WORKSPACE_LIMIT_IN_MB=0
// (tests/CMakeLists.txt: fake_gpu.cudnn_heuristics_without_workspace).
TEST_CASE("without autotuning the heuristics choose and the workspace limit is kept",
          "[.cudnn_heuristics]") {
  REQUIRE(tf::test::is_gpu_available());
  std::mt19937 rng(12);
  tf::Tensor x = random_tensor({2, 6, 5, 3}, rng), w = random_tensor({3, 3, 3, 4}, rng);
  tf::Tensor gpu = conv_and_gradients(x, w, 2, "SAME");
  const CudnnStats s = cudnn_stats();
  CHECK(s.heuristic_queries == 3);
  CHECK(s.find_calls == 0);  // no timing
  // The stand-in's first choice needs 4096 bytes: past the limit, so one that needs none runs.
  CHECK(s.largest_workspace == 0);
  CHECK(s.forward == 1);
  CHECK(s.backward_data == 1);
  CHECK(s.backward_filter == 1);
  tf::Tensor cpu;
  {
    auto scope = tf::device_scope("/CPU:0");
    tf::GradientTape tape;
    tape.watch(x);
    tape.watch(w);
    tf::Tensor y = tf::nn::conv2d(x, w, {2}, "SAME");
    auto g = tape.gradient(tf::reduce_sum(y), std::vector<tf::Source>{x, w});
    cpu = tf::concat({tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
  }
  tft::check_same(gpu, cpu, "heuristics' choice without workspace");
}

// Run with TFJIT_CUDNN naming a missing library (tests/CMakeLists.txt: fake_gpu.without_cudnn).
TEST_CASE("without cuDNN convolutions run on the CPU eagerly and as generated GPU kernels compiled",
          "[.no_cudnn]") {
  REQUIRE(tf::test::is_gpu_available());
  CHECK_FALSE(tf::cuda::cudnn_available());
  CHECK_THAT(tf::cuda::cudnn_unavailable_reason(), Catch::Contains("could not be loaded"));
  std::mt19937 rng(10);
  tf::Tensor x = random_tensor({2, 7, 6, 3}, rng), w = random_tensor({3, 3, 3, 4}, rng);
  tf::Tensor cpu;
  {
    auto scope = tf::device_scope("/CPU:0");
    cpu = tf::nn::conv2d(x, w, {2}, "SAME");
  }
  // Eagerly: no GPU kernel, so the op goes where it can run (soft placement).
  tf::Tensor eager = tf::nn::conv2d(x, w, {2}, "SAME");
  CHECK(eager.device().ends_with("CPU:0"));
  CHECK(tft::values_of(eager) == tft::values_of(cpu));
  // Compiled for the GPU: the generated convolution kernels.
  auto f = tf::function([w](const tf::Tensor& a) { return tf::nn::conv2d(a, w, {2}, "SAME"); });
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  tf::Tensor compiled;
  {
    auto scope = tf::device_scope("/GPU:0");
    compiled = tf::identity(f(x));
    CHECK(f.get_concrete_function(x).device().ends_with("GPU:0"));
  }
  tft::check_same(compiled, cpu, "compiled for the GPU without cuDNN");
  CHECK(cudnn_stats().forward == 0);
}

}  // namespace
