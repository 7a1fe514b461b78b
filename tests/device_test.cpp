// Devices, placement and GPU memory. The parts that need a GPU compare it with the CPU (the same
// op on both, tolerance 1e-3) and are skipped, with the reason, where no GPU is available; the
// rest (names, scopes, soft placement, errors) checks the CPU-only path on every machine. The
// same file also runs against the stand-in driver (tests/fake_cuda), which executes the eager
// kernels on the host.
#include <cmath>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>

#include "tests/device_helpers.h"
#include "tests/elementwise_cases.h"
#include "tests/fake_gpu_kernels.h"
#include "tests/helpers.h"
#include "tools/workloads.h"

namespace {

using tft::check_same;
using tft::compare_devices;
using tft::have_gpu;
using tft::make;
using tft::random_values;
using tft::skip_without_gpu;
using tft::values_of;

// A device index that never exists here, so soft placement is exercised on any machine.
std::string missing_gpu() {
  return "/GPU:" + std::to_string(tf::config::list_physical_devices("GPU").size());
}

// Whether the op accepts these operands' dtype (the table says which dtypes each op claims).
// Asked on the CPU: an eager GPU result freed here would leave the op's values in the block the
// allocator hands the compiled function next, hiding a kernel that writes nothing.
template <class Op, class... Operands>
bool claims(Op op, const Operands&... operands) {
  auto scope = tf::device_scope("/CPU:0");
  try {
    op(operands...);
    return true;
  } catch (const tf::InvalidArgumentError&) {
    return false;
  }
}

}  // namespace

TEST_CASE("the CPU is always listed, with TensorFlow's device names", "[device]") {
  auto cpus = tf::config::list_physical_devices("CPU");
  REQUIRE(cpus.size() == 1);
  CHECK(cpus[0].name == "/physical_device:CPU:0");
  CHECK(cpus[0].device_type == "CPU");
  auto all = tf::config::list_physical_devices();
  CHECK(all.size() == 1 + tf::config::list_physical_devices("GPU").size());
  CHECK(tf::config::list_logical_devices("CPU")[0].name == "/device:CPU:0");
  CHECK(tf::config::list_physical_devices("gpu").size() ==
        tf::config::list_physical_devices("GPU").size());
}

TEST_CASE("GPU availability is consistent with the build and says why it is missing", "[device]") {
#ifdef TFJIT_TEST_BUILT_WITH_CUDA
  CHECK(tf::test::is_built_with_cuda());
#else
  CHECK_FALSE(tf::test::is_built_with_cuda());
  CHECK_FALSE(tf::test::is_gpu_available());
#endif
  bool listed = !tf::config::list_physical_devices("GPU").empty();
  CHECK(listed == tf::test::is_gpu_available());
  CHECK(tf::test::gpu_unavailable_reason().empty() == tf::test::is_gpu_available());
}

TEST_CASE("device_scope accepts TensorFlow's spellings and rejects malformed names", "[device]") {
  for (const char* name :
       {"/CPU:0", "cpu:0", "/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:0",
        "/GPU:0", "GPU:0", "/gpu:1", "/device:GPU:0"}) {
    INFO(name);
    CHECK_NOTHROW(tf::device_scope(name));
  }
  for (const char* name : {"/TPU:0", "/GPU:x", "/GPU:", "/CPU:1", "/job:worker/device:GPU:0", ""}) {
    INFO(name);
    CHECK_THROWS_AS(tf::device_scope(name), tf::InvalidArgumentError);
  }
  CHECK_THROWS_WITH(tf::device_scope("/TPU:0"),
                    Catch::Contains("device_scope") && Catch::Contains("'/TPU:0'"));
}

TEST_CASE("ops under a CPU scope run on the CPU and say so", "[device]") {
  auto scope = tf::device_scope("/CPU:0");
  tf::Tensor x = tf::constant({1.f, 2.f, 3.f});
  tf::Tensor y = tf::exp(x) + x;
  CHECK(x.device() == "/job:localhost/replica:0/task:0/device:CPU:0");
  CHECK(y.device() == "/job:localhost/replica:0/task:0/device:CPU:0");
  CHECK(y.data() != nullptr);
}

TEST_CASE("a missing GPU falls back to the CPU under soft placement, and is an error without it",
          "[device]") {
  const std::string gpu = missing_gpu();
  tf::Tensor x = tf::constant({1.f, -2.f});
  {
    auto scope = tf::device_scope(gpu);
    tf::Tensor y = tf::abs(x);
    CHECK(y.device().ends_with("CPU:0"));
    CHECK(y.to_vector<float>() == std::vector<float>{1.f, 2.f});
  }
  tf::config::set_soft_device_placement(false);
  {
    auto scope = tf::device_scope(gpu);
    CHECK_THROWS_WITH(tf::abs(x), Catch::Contains("abs") && Catch::Contains("GPU:") &&
                                      Catch::Contains("soft device placement is off"));
  }
  tf::config::set_soft_device_placement(true);
  CHECK(tf::config::get_soft_device_placement());
  CHECK(tf::abs(x).to_vector<float>() == std::vector<float>{1.f, 2.f});  // still usable
}

TEST_CASE("memory controls refuse the CPU and devices that do not exist", "[device][memory]") {
  auto cpu = tf::config::list_physical_devices("CPU")[0];
  CHECK_THROWS_AS(tf::config::set_memory_growth(cpu, true), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::config::experimental::set_memory_growth(cpu, true), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::config::set_logical_device_configuration(cpu, {{1024}}),
                  tf::InvalidArgumentError);
  CHECK_THROWS_WITH(tf::config::get_memory_info("CPU:0"), Catch::Contains("only GPU devices"));
  CHECK_THROWS_WITH(tf::config::get_memory_info(missing_gpu().substr(1)),
                    Catch::Contains("get_memory_info") && Catch::Contains("no device"));
  tf::config::PhysicalDevice fake{"/physical_device:GPU:99", "GPU"};
  CHECK_THROWS_AS(tf::config::set_memory_growth(fake, true), tf::InvalidArgumentError);
}

// --- With a GPU ----------------------------------------------------------------------------

TEST_CASE("with a GPU, ops and new tensors go to GPU:0 by default and values come back",
          "[device][gpu]") {
  if (skip_without_gpu()) return;
  tf::Tensor x = tf::constant({1.f, 2.f, 3.f});
  CHECK(x.device() == "/job:localhost/replica:0/task:0/device:GPU:0");
  tf::Tensor y = x * 2.f;
  CHECK(y.device().ends_with("GPU:0"));
  CHECK(y.to_vector<float>() == std::vector<float>{2.f, 4.f, 6.f});
  CHECK(tf::reduce_sum(y).item<float>() == 12.f);
  CHECK_THROWS_WITH(y.data(), Catch::Contains("GPU:0") && Catch::Contains("to_vector"));
  // Explicit copies both ways, and an op mixing devices moves its operand.
  tf::Tensor host;
  {
    auto scope = tf::device_scope("/CPU:0");
    host = tf::identity(y);
  }
  CHECK(host.device().ends_with("CPU:0"));
  CHECK((host + y).to_vector<float>() == std::vector<float>{4.f, 8.f, 12.f});
  // Dtypes without GPU kernels run on the CPU (soft placement).
  tf::Tensor c = tf::cast(x, tf::complex64);
  CHECK(c.device().ends_with("CPU:0"));
}

TEST_CASE("every elementwise op and dtype gives the same result on GPU and CPU",
          "[device][gpu][elementwise]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(7);
  for (const auto& c : tft::kUnary)
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (dtype == tf::string || dtype == tf::complex64) continue;
      auto x = random_values(1000, c.range, dtype, rng);
      tf::Tensor in = make(x, {10, 100}, dtype);
      if (!claims(c.op, in)) continue;
      compare_devices(std::string(c.name) + " " + std::string(tf::dtype_name(dtype)),
                      [&] { return c.op(in); });
    }
  for (const auto& c : tft::kBinary)
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (dtype == tf::string || dtype == tf::complex64) continue;
      auto x = random_values(600, c.x, dtype, rng), y = random_values(20, c.y, dtype, rng);
      tf::Tensor a = make(x, {30, 20}, dtype), b = make(y, {20}, dtype);  // broadcast rows
      if (!claims(c.op, a, b)) continue;
      compare_devices(std::string(c.name) + " " + std::string(tf::dtype_name(dtype)),
                      [&] { return c.op(a, b); });
    }
}

TEST_CASE("every elementwise op compiled gives the same result on GPU and CPU",
          "[device][gpu][elementwise][function]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(13);
  // One dtype of each lowering column (float, signed; bool uses the signed one), and float16,
  // which is loaded and stored as 16 bits and computed in float.
  for (tf::DType dtype : {tf::float32, tf::int32, tf::float16}) {
    auto label = [&](const char* op) {
      std::string text = "compiled ";
      return text.append(op).append(" ").append(tf::dtype_name(dtype));
    };
    for (const auto& c : tft::kUnary) {
      tf::Tensor x = make(random_values(257, c.range, dtype, rng), {257}, dtype);
      if (!claims(c.op, x)) continue;
      auto compiled = tf::function([&](const tf::Tensor& a) { return c.op(a); });
      tft::run_compiled_kernels_on_fake_gpu(compiled, x);
      compare_devices(label(c.name), [&] { return tf::identity(compiled(x)); });
    }
    for (const auto& c : tft::kBinary) {
      tf::Tensor x = make(random_values(60, c.x, dtype, rng), {6, 10}, dtype);
      tf::Tensor y = make(random_values(10, c.y, dtype, rng), {10}, dtype);
      if (!claims(c.op, x, y)) continue;
      auto compiled =
          tf::function([&](const tf::Tensor& a, const tf::Tensor& b) { return c.op(a, b); });
      tft::run_compiled_kernels_on_fake_gpu(compiled, x, y);
      compare_devices(label(c.name), [&] { return tf::identity(compiled(x, y)); });
    }
  }
}

TEST_CASE("every elementwise op's gradient gives the same result on GPU and CPU",
          "[device][gpu][elementwise][gradient]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(17);
  for (const auto& c : tft::kUnary) {
    tf::Tensor x = make(random_values(257, c.range, tf::float32, rng), {257}, tf::float32);
    if (!c.differentiable || !claims(c.op, x)) continue;
    compare_devices(std::string("gradient of ") + c.name, [&] {
      tf::GradientTape tape;
      tape.watch(x);
      return tape.gradient(tf::reduce_sum(c.op(x)), x);
    });
  }
  for (const auto& c : tft::kBinary) {
    tf::Tensor x = make(random_values(60, c.x, tf::float32, rng), {6, 10}, tf::float32);
    tf::Tensor y = make(random_values(10, c.y, tf::float32, rng), {10}, tf::float32);
    if (!c.differentiable || !claims(c.op, x, y)) continue;
    compare_devices(std::string("gradient of ") + c.name + " (broadcast operand)", [&] {
      tf::GradientTape tape;
      tape.watch(y);
      return tape.gradient(tf::reduce_sum(c.op(x, y)), y);
    });
  }
}

TEST_CASE("reductions, matmul, transposes, casts and where agree on GPU and CPU", "[device][gpu]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(11);
  tf::Tensor x =
      make(random_values(24 * 50 * 7, {-1, 1}, tf::float32, rng), {24, 50, 7}, tf::float32);
  for (auto axes : std::vector<std::vector<int64_t>>{{0}, {1}, {2}, {0, 2}, {0, 1, 2}}) {
    compare_devices("reduce_sum", [&] { return tf::reduce_sum(x, axes); });
    compare_devices("reduce_max", [&] { return tf::reduce_max(x, axes); });
    compare_devices("reduce_prod", [&] { return tf::reduce_prod(x * 0.5f + 1.f, axes); });
  }
  compare_devices("reduce_all",
                  [&] { return tf::reduce_all(x > -0.99f, std::vector<int64_t>{1}); });
  compare_devices("reduce_sum of 2^22", [&] { return tf::reduce_sum(tf::ones({1 << 22})); });
  tf::Tensor a = make(random_values(300 * 200, {-1, 1}, tf::float32, rng), {300, 200}, tf::float32);
  tf::Tensor b = make(random_values(200 * 150, {-1, 1}, tf::float32, rng), {200, 150}, tf::float32);
  compare_devices("matmul", [&] { return tf::matmul(a, b); });
  compare_devices("matmul transposed",
                  [&] { return tf::matmul(tf::transpose(b), tf::transpose(a), false, false); });
  compare_devices("matmul float64",
                  [&] { return tf::matmul(tf::cast(a, tf::float64), tf::cast(b, tf::float64)); });
  for (tf::DType half : {tf::float16, tf::bfloat16})  // cublasGemmEx, accumulated in float
    compare_devices("matmul " + std::string(tf::dtype_name(half)),
                    [&] { return tf::matmul(tf::cast(b, half), tf::cast(a, half), true, true); });
  compare_devices("transpose 3-d", [&] { return tf::transpose(x, {2, 0, 1}); });
  compare_devices("cast to int32", [&] { return tf::cast(x * 100.f, tf::int32); });
  compare_devices("where", [&] { return tf::where(x > 0.f, x, -x); });
  for (int64_t axis : {0, 1, 2}) {
    compare_devices("argmax", [&] { return tf::argmax(x, axis); });
    compare_devices("argmin", [&] { return tf::argmin(tf::cast(x * 3.f, tf::int32), axis); });
  }
  compare_devices("argmax with NaN", [&] { return tf::argmax(tf::log(x), 1); });
  compare_devices("argmax over 10^5 with ties", [&] {
    return tf::argmax(tf::cast(tf::range(0, 1e5, 1, tf::float32) * 1e-3f, tf::int32), 0);
  });
  compare_devices("concat", [&] { return tf::concat({x, x * 2.f, tf::zeros({24, 3, 7})}, 1); });
  compare_devices("stack", [&] { return tf::stack({x, -x}, 2); });
  compare_devices("pad", [&] { return tf::pad(x, {{1, 0}, {0, 2}, {3, 3}}, -1.f); });
  tf::Tensor rows = tf::constant(std::vector<int32_t>{5, 0, 23, 5});
  compare_devices("gather axis 0", [&] { return tf::gather(x, rows, 0); });
  compare_devices("gather axis 2",
                  [&] { return tf::gather(tf::cast(x, tf::float64), rows % 7, 2); });
  compare_devices("gather bytes", [&] { return tf::gather(x > 0.f, rows, 0); });
}

TEST_CASE("eager kernels over 2^20 elements and more agree on GPU and CPU, ragged sizes included",
          "[device][gpu]") {
  if (skip_without_gpu()) return;
  // From 2^20 elements a thread takes 4 elements a grid apart (backends/cuda/kernels.cu's
  // for_each_element); 1027 x 1023 leaves a partial round. Scalars on either side take the
  // no-index path, a row the strided one.
  std::mt19937 rng(23);
  tf::Tensor x =
      make(random_values(1027 * 1023, {-1, 1}, tf::float32, rng), {1027, 1023}, tf::float32);
  tf::Tensor row = make(random_values(1023, {1, 2}, tf::float32, rng), {1023}, tf::float32);
  compare_devices("tanh", [&] { return tf::tanh(x); });
  compare_devices("x * x", [&] { return x * x; });
  compare_devices("2 - x", [&] { return 2.f - x; });
  compare_devices("x / 3", [&] { return x / 3.f; });
  compare_devices("x / row", [&] { return x / row; });
  compare_devices("cast", [&] { return tf::cast(x * 100.f, tf::int16); });
  compare_devices("where", [&] { return tf::where(x > 0.f, x, row); });
  compare_devices("transpose", [&] { return tf::transpose(x); });
  compare_devices("gather", [&] { return tf::gather(x, tf::constant({1026, 0, 7}), 0); });
  compare_devices("2^22 + 3 elements",
                  [&] { return tf::range(0, (1 << 22) + 3, 1, tf::float32) * 3.f; });
}

TEST_CASE("gradients and compiled functions give the same values on GPU and CPU",
          "[device][gpu][gradient][function]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(3);
  tf::Tensor w = make(random_values(64 * 32, {-1, 1}, tf::float32, rng), {64, 32}, tf::float32);
  tf::Tensor x = make(random_values(16 * 64, {-1, 1}, tf::float32, rng), {16, 64}, tf::float32);
  compare_devices("gradient", [&] {
    tf::GradientTape tape;
    tape.watch(w);
    tf::Tensor loss = tf::reduce_mean(tf::square(tf::tanh(tf::matmul(x, w))));
    return tape.gradient(loss, w);
  });
  auto f = tf::function([](const tf::Tensor& a, const tf::Tensor& b) {
    return tf::reduce_sum(tf::sigmoid(tf::matmul(a, b)), std::vector<int64_t>{1});
  });
  tft::run_compiled_kernels_on_fake_gpu(f, x, w);
  compare_devices("tf::function", [&] { return tf::identity(f(x, w)); });
}

TEST_CASE("compiled reductions, softmax, transposes and casts give the same values on GPU and CPU",
          "[device][gpu][function]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(19);
  tf::Tensor big =
      make(random_values(1000 * 1000, {-1, 1}, tf::float32, rng), {1000, 1000}, tf::float32);
  tf::Tensor small =
      make(random_values(24 * 50 * 7, {-1, 1}, tf::float32, rng), {24, 50, 7}, tf::float32);
  using Fn = std::function<tf::Tensor(const tf::Tensor&)>;
  auto compare_compiled = [&](const std::string& what, Fn fn, const tf::Tensor& x) {
    auto f = tf::function(fn);
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    compare_devices("compiled " + what, [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(what << ": " << concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with("GPU:0"));
  };
  // From 2^20 elements a kernel's threads take 4 elements each (compiler/lowering/
  // linalg_to_gpu_loops.cpp): 1027 x 1023 leaves a partial last block, whose lanes past the end
  // must store nothing; the broadcast row exercises the index arithmetic.
  tf::Tensor ragged =
      make(random_values(1027 * 1023, {-1, 1}, tf::float32, rng), {1027, 1023}, tf::float32);
  compare_compiled(
      "a large ragged chain", [](auto& a) { return tf::tanh(a * 2.f + 1.f) * a; }, ragged);
  compare_compiled(
      "a large ragged broadcast", [](auto& a) { return a * tf::reduce_mean(a, {0}); }, ragged);
  compare_compiled(
      "2^20 elements", [](auto& a) { return tf::exp(a) - 1.f; },
      make(random_values(1 << 20, {-1, 1}, tf::float32, rng), {1024, 1024}, tf::float32));
  // Long reductions are split into trees of kernels on the GPU (10^6 elements: three).
  compare_compiled(
      "sum of squares over 10^6", [](auto& a) { return tf::reduce_sum(a * a); }, big);
  compare_compiled(
      "row max", [](auto& a) { return tf::reduce_max(a, {1}); }, big);
  compare_compiled(
      "column mean", [](auto& a) { return tf::reduce_mean(a, {0}); }, big);
  compare_compiled(  // 100003 is prime: its last 35 elements are peeled off, the rest split
      "sum over a prime length", [](auto& a) { return tf::reduce_sum(tf::exp(a)); },
      tf::constant(tft::random_floats(100003, 7), tf::TensorShape{100003}));
  compare_compiled(
      "sum over axes 0 and 2",
      [](auto& a) {
        return tf::reduce_sum(a, {0, 2});
      },
      small);
  compare_compiled(
      "softmax", [](auto& a) { return tf::softmax(a * 4.f, 1); }, small);
  compare_compiled(
      "argmax", [](auto& a) { return tf::argmax(a, 1); }, small);
  compare_compiled(
      "transpose",
      [](auto& a) {
        return tf::tanh(tf::transpose(a, {2, 0, 1}));
      },
      small);
  compare_compiled(
      "cast", [](auto& a) { return tf::cast(a * 100.f, tf::int32); }, small);
  compare_compiled(  // a scan: a host loop over the axis, one combining kernel per step
      "cumsum and cumulative_logsumexp",
      [](auto& a) { return tf::cumsum(a, 1) * tf::cumulative_logsumexp(a, 2, false, true); },
      small);
  compare_compiled(
      "scalar arithmetic", [](auto& a) { return tf::reduce_mean(a) * 2.f + tf::reduce_max(a); },
      small);
  compare_compiled(  // a window reduction: one generic over (output, window) dims
      "max and average pooling",
      [](auto& a) {
        return tf::nn::max_pool2d(a, {3}, {2}, "SAME") + tf::nn::avg_pool2d(a, {2}, {2}, "SAME");
      },
      tf::reshape(small, {24, 10, 5, 7}));
  {  // Random draws: the same values on both devices from the same generator state.
    auto f = tf::function([](const tf::Tensor& a) {
      return a * tf::random::normal({37, 5}) + tf::random::uniform({37, 5}, 0, 10);
    });
    tf::Tensor ones = tf::ones({37, 5});
    tft::run_compiled_kernels_on_fake_gpu(f, ones);
    compare_devices("compiled random draws", [&] {
      tf::random::set_seed(3);
      return tf::identity(f(ones));
    });
    auto scope = tf::device_scope("/GPU:0");
    CHECK(f.get_concrete_function(ones).device().ends_with("GPU:0"));
  }
  for (tf::DType half : {tf::float16, tf::bfloat16})
    compare_compiled(
        std::string(tf::dtype_name(half)) + " chain and row sum",
        [](auto& a) { return tf::reduce_sum(tf::exp(a) * a, {1}); }, tf::cast(small, half));
}

TEST_CASE("compiled training steps run on the GPU, replay as one CUDA Graph and match the CPU",
          "[device][gpu][function]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(5);
  const auto x0 = random_values(32 * 16, {-1, 1}, tf::float32, rng);
  const auto y0 = random_values(32 * 8, {-1, 1}, tf::float32, rng);
  const auto w0 = random_values(16 * 8, {-0.5, 0.5}, tf::float32, rng);
  struct Run {
    std::vector<tf::Tensor> losses;
    tf::Tensor w;
    std::string device, fallback;
    bool graph = false;
    std::string graph_reason;
    int64_t traces = 0;
  };
  auto train = [&](const char* device) {
    auto scope = tf::device_scope(device);
    tf::Tensor x = make(x0, {32, 16}, tf::float32), y = make(y0, {32, 8}, tf::float32);
    tf::Variable w(make(w0, {16, 8}, tf::float32)), b(tf::zeros({8}));
    auto step = tf::function([&](const tf::Tensor& xs, const tf::Tensor& ys) {
      tf::GradientTape tape;
      auto loss = tf::reduce_mean(tf::square(tf::tanh(tf::matmul(xs, w) + b) - ys));
      auto g = tape.gradient(loss, std::vector<tf::Source>{w, b});
      w.assign_sub(g[0] * 0.5f);
      b.assign_sub(g[1] * 0.5f);
      return loss;
    });
    Run run;
    tft::run_compiled_kernels_on_fake_gpu(step, x, y);
    for (int i = 0; i < 4; ++i) run.losses.push_back(step(x, y));  // launches, then the graph
    auto concrete = step.get_concrete_function(x, y);
    run.w = w.read_value();
    run.device = concrete.device();
    run.fallback = concrete.gpu_fallback_reason();
    run.graph = concrete.replays_cuda_graph();
    run.graph_reason = concrete.cuda_graph_unavailable_reason();
    run.traces = step.trace_count();
    return run;
  };
  Run cpu = train("/CPU:0"), gpu = train("/GPU:0");
  CHECK(gpu.device.ends_with("GPU:0"));
  CHECK(gpu.fallback.empty());
  INFO("graph replay: " << gpu.graph_reason);
  CHECK(gpu.graph);
  CHECK(gpu.traces == 1);
  CHECK(cpu.device.ends_with("CPU:0"));
  for (int i = 0; i < 4; ++i) check_same(gpu.losses[i], cpu.losses[i], "loss " + std::to_string(i));
  check_same(gpu.w, cpu.w, "trained weights");
}

TEST_CASE("compiled tf::cond and tf::while_loop run on the GPU, branching on values read back",
          "[device][gpu][function]") {
  if (skip_without_gpu()) return;
  auto branchy = tf::function([](const tf::Tensor& x) {
    return tf::cond(
        tf::reduce_sum(x) > 0.f, [&] { return tf::exp(x) * 2.f; }, [&] { return -x; });
  });
  // Doubles x until its sum reaches 100, counting the iterations; the loop variables swap
  // places each iteration.
  auto doubling = tf::function([](const tf::Tensor& x) {
    auto out = tf::while_loop(
        [](const std::vector<tf::Tensor>& v) { return tf::reduce_sum(v[0] + v[1]) < 100.f; },
        [](const std::vector<tf::Tensor>& v) {
          return std::vector<tf::Tensor>{v[1] * 2.f, v[0] * 2.f, v[2] + 1};
        },
        {x, x * 0.5f, tf::constant(0)});
    return (out[0] - out[1]) * tf::cast(out[2], tf::float32);
  });
  auto compare = [](const std::string& what, auto& f, const tf::Tensor& x) {
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    compare_devices(what, [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(what << ": " << concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with("GPU:0"));
    CHECK_THAT(concrete.cuda_graph_unavailable_reason(), Catch::Contains("host control flow"));
  };
  for (auto values : {std::vector<float>{1.f, -3.f}, std::vector<float>{0.5f, 2.f}}) {
    const std::string at =
        " at x = (" + std::to_string(values[0]) + ", " + std::to_string(values[1]) + ")";
    compare("cond" + at, branchy, tf::constant(values));
    for (float& v : values) v = std::abs(v);  // the loop ends once the sum reaches 100
    compare("while_loop" + at, doubling, tf::constant(values));
  }
  // Hand-computed: x = (0.5, 2) sums 2.5 with x / 2; doubling swaps and doubles until the sum of
  // both reaches 100: 3.75 * 2^5 = 120 after 5 iterations; out[0] - out[1] is then 2^5 times
  // (x / 2 - x) = (-0.25, -1) * 32, times 5.
  auto scope = tf::device_scope("/GPU:0");
  CHECK(doubling(tf::constant({0.5f, 2.f})).to_vector<float>() ==
        std::vector<float>{-0.25f * 32 * 5, -1.f * 32 * 5});
}

TEST_CASE("compiled tf::print on the GPU prints what it prints on the CPU",
          "[device][gpu][function]") {
  if (skip_without_gpu()) return;
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& m) {
    tf::Tensor y = x * 2.f;
    tf::print("y =", y, "and m[:, 1:] transposed:", tf::transpose(m(tf::all, tf::slice(1, 3))),
              "{literal}");
    return y + 1.f;
  });
  tf::Tensor x = tf::constant({1.f, -3.f}), m = tf::reshape(tf::range(0, 6), {2, 3});
  std::string printed[2];
  for (int d = 0; d < 2; ++d) {
    auto scope = tf::device_scope(d ? "/GPU:0" : "/CPU:0");
    tft::run_compiled_kernels_on_fake_gpu(f, x, m);
    std::ostringstream out;
    std::ostream* previous = tf::set_print_output(&out);
    tf::Tensor r = f(x, m);
    CHECK(r.to_vector<float>() == std::vector<float>{3.f, -5.f});
    tf::set_print_output(previous);
    printed[d] = out.str();
    auto concrete = f.get_concrete_function(x, m);
    INFO(concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with(d ? "GPU:0" : "CPU:0"));
  }
  CHECK(printed[0] == "y = [ 2. -6.] and m[:, 1:] transposed: [[1 4]\n [2 5]] {literal}\n");
  CHECK(printed[1] == printed[0]);
}

TEST_CASE("control flow in a function with unknown dims runs on the GPU, per shape",
          "[device][gpu][function][dynamic]") {
  if (skip_without_gpu()) return;
  auto f = tf::function(
      [](const tf::Tensor& x) {
        tf::Tensor s = tf::reduce_sum(x);
        return tf::cond(
            s > 0.f, [&] { return x * s; }, [&] { return -x; });
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  // A call whose shapes break code in a branch that does not run (a guarded sum of unequal
  // sizes) cannot be specialised: it runs on the CPU, with the right values.
  const tf::TensorSpec any({tf::unknown}, tf::float32);
  auto guarded = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) {
        return tf::cond(
            tf::equal(tf::size(a), tf::size(b)), [&] { return a + b; }, [&] { return a * 2.f; });
      },
      {any, any});
  tf::Tensor a = tf::constant({1.f, 2.f, 3.f}), b = tf::constant({10.f, 20.f});
  {
    auto scope = tf::device_scope("/GPU:0");
    CHECK(guarded(a, b).to_vector<float>() == std::vector<float>{2.f, 4.f, 6.f});
    auto concrete = guarded.get_concrete_function(a, b);
    CHECK(concrete.device().ends_with("CPU:0"));
    CHECK_THAT(concrete.gpu_fallback_reason(), Catch::Contains("break code in a branch"));
  }
  tft::run_compiled_kernels_on_fake_gpu(guarded, a, a);
  compare_devices("guarded sum of equal sizes", [&] { return tf::identity(guarded(a, a)); });
  for (auto values : {std::vector<float>{1.f, -3.f}, std::vector<float>{0.5f, 2.f, 1.5f}}) {
    tf::Tensor x = tf::constant(values);
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    compare_devices("cond over " + std::to_string(values.size()) + " elements",
                    [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with("GPU:0"));
  }
}

TEST_CASE("a function the GPU cannot run falls back to the CPU and says why",
          "[device][gpu][function]") {
  if (skip_without_gpu()) return;
  auto scope = tf::device_scope("/GPU:0");
  // 700 captured operands fused into one kernel, each read as a (2, 10) memref broadcast along x's
  // other dims: 700 descriptors of 7 values are over PTX's 32764 bytes of kernel parameters.
  std::vector<tf::Tensor> terms;
  for (int i = 0; i < 700; ++i) terms.push_back(tf::fill({2, 1, 10, 1}, 0.25));
  auto f = tf::function([&](const tf::Tensor& x) {
    tf::Tensor sum = x;
    for (const tf::Tensor& t : terms) sum = sum + t;
    return sum;
  });
  tf::Tensor x = tf::zeros({2, 3, 10, 20});
  CHECK(f(x).to_vector<float>() == std::vector<float>(1200, 175.f));
  auto concrete = f.get_concrete_function(x);
  CHECK(concrete.device().ends_with("CPU:0"));
  CHECK_THAT(concrete.gpu_fallback_reason(), Catch::Contains("parameters"));
}

TEST_CASE("a function with unknown dims runs on the GPU, compiled once per shape",
          "[device][gpu][function][dynamic]") {
  if (skip_without_gpu()) return;
  std::mt19937 rng(23);
  // Captured (more than 16 elements each), broadcast against the unknown batch, and a mean whose
  // count comes from it.
  tf::Tensor w = make(random_values(16 * 8, {-0.5, 0.5}, tf::float32, rng), {16, 8}, tf::float32);
  tf::Tensor b = make(random_values(24, {-1, 1}, tf::float32, rng), {3, 8}, tf::float32)(1);
  auto f = tf::function(
      [&](const tf::Tensor& x) {
        tf::Tensor h = tf::tanh(tf::matmul(x, w) + b);
        return tf::reduce_mean(h * h, std::vector<int64_t>{1}) - tf::reduce_mean(h);
      },
      {tf::TensorSpec({tf::unknown, 16}, tf::float32)});
  auto compiled_programs = [] { return tf::config::compile_cache_info().misses; };
  for (int64_t batch : {5, 300, 5}) {
    INFO("batch " << batch);
    tf::Tensor x =
        make(random_values(batch * 16, {-1, 1}, tf::float32, rng), {batch, 16}, tf::float32);
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    compare_devices("batch " + std::to_string(batch), [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with("GPU:0"));
    CHECK(concrete.gpu_fallback_reason().empty());
    const int64_t before = compiled_programs();
    f(x);
    CHECK(compiled_programs() == before);  // this shape's program is kept
  }
  CHECK(f.trace_count() == 2);  // one trace per device, whatever the batch
  // Structural ops passing the unknown batch through: a slice of the rest, concat, gather, a
  // reverse of the unknown axis and a reshape that adds and removes a 1.
  auto s = tf::function(
      [](const tf::Tensor& x) {
        tf::Tensor rest = x(tf::slice(1, std::nullopt));
        tf::Tensor joined = tf::concat({rest, tf::gather(rest, tf::constant({3, 0}), 1)}, 1);
        return tf::squeeze(tf::expand_dims(tf::reverse(joined, {0}), 0), {0});
      },
      {tf::TensorSpec({tf::unknown, 16}, tf::float32)});
  for (int64_t batch : {4, 9}) {
    tf::Tensor x =
        make(random_values(batch * 16, {-1, 1}, tf::float32, rng), {batch, 16}, tf::float32);
    tft::run_compiled_kernels_on_fake_gpu(s, x);
    compare_devices("structural ops, batch " + std::to_string(batch),
                    [&] { return tf::identity(s(x)); });
  }
  // An empty batch, and a call that breaks what tracing assumed, as on the CPU.
  auto scope = tf::device_scope("/GPU:0");
  CHECK(f(tf::zeros({0, 16})).shape() == tf::TensorShape{0});
  auto g = tf::function(
      [](const tf::Tensor& x, const tf::Tensor& y) { return x * y + 1.f; },
      {tf::TensorSpec({tf::unknown}, tf::float32), tf::TensorSpec({tf::unknown}, tf::float32)});
  CHECK_THROWS_AS(g(tf::ones({3}), tf::ones({4})), tf::InvalidArgumentError);
  tft::run_compiled_kernels_on_fake_gpu(g, tf::ones({3}), tf::ones({3}));
  CHECK(g(tf::ones({3}), tf::ones({3}) * 2.f).to_vector<float>() ==
        std::vector<float>{3.f, 3.f, 3.f});
  CHECK(g.get_concrete_function(tf::ones({3}), tf::ones({3})).device().ends_with("GPU:0"));
}

// Captures what is written to std::cerr while alive.
struct CaptureStderr {
  std::ostringstream text;
  std::streambuf* previous = std::cerr.rdbuf(text.rdbuf());
  ~CaptureStderr() { std::cerr.rdbuf(previous); }
};

TEST_CASE("set_log_device_placement logs where each op and compiled function runs",
          "[device][placement]") {
  const std::string cpu = "/job:localhost/replica:0/task:0/device:CPU:0";
  auto f = tf::function([](const tf::Tensor& t) { return t * 3.f; });
  {
    CaptureStderr log;
    tf::debugging::set_log_device_placement(true);
    {
      auto scope = tf::device_scope("/CPU:0");
      tf::add(tf::ones({2}), tf::ones({2}));
      f(tf::ones({2}));
      f(tf::ones({2}));                                // cached: nothing new to say
      auto missing = tf::device_scope(missing_gpu());  // soft placement: logged where it ran
      tf::exp(tf::ones({2}));
    }
    tf::debugging::set_log_device_placement(false);
    tf::subtract(tf::ones({2}), tf::ones({2}));
    CHECK(log.text.str() == "Executing op add in device " + cpu + "\n" +
                                "Executing op tf::function in device " + cpu + "\n" +
                                "Executing op exp in device " + cpu + "\n");
  }
  if (skip_without_gpu()) return;
  CaptureStderr log;
  tf::debugging::set_log_device_placement(true);
  {
    auto scope = tf::device_scope("/GPU:0");
    tf::multiply(tf::ones({2}), tf::ones({2}));
  }
  tf::debugging::set_log_device_placement(false);
  CHECK(log.text.str() ==
        "Executing op multiply in device /job:localhost/replica:0/task:0/device:GPU:0\n");
}

TEST_CASE("GPU memory: usage and peak, out of memory as ResourceExhaustedError, then recovery",
          "[device][gpu][memory]") {
  if (skip_without_gpu()) return;
  tf::Tensor warm = tf::ones({1});  // initialises the GPU
  auto before = tf::config::get_memory_info("GPU:0");
  {
    tf::Tensor big = tf::ones({1 << 24});  // 64 MiB
    CHECK(tf::reduce_min(big).item<float>() == 1.f);
    auto during = tf::config::get_memory_info("GPU:0");
    CHECK(during.current >= before.current + (int64_t{1} << 26));
    CHECK(during.peak >= during.current);
  }
  CHECK(tf::config::get_memory_info("GPU:0").current == before.current);
  tf::config::reset_memory_stats("GPU:0");
  CHECK(tf::config::get_memory_info("GPU:0").peak == before.current);
  // More than any GPU has: a typed error naming the sizes, and the device keeps working.
  // broadcast_to allocates its result on the GPU directly (no host copy first).
  tf::TensorShape huge{int64_t{1} << 40};
  CHECK_THROWS_AS(tf::broadcast_to(warm, huge), tf::ResourceExhaustedError);
  CHECK_THROWS_WITH(tf::broadcast_to(warm, huge),
                    Catch::Contains("4398046511104") && Catch::Contains("GPU:0"));
  CHECK((warm + 1.f).item<float>() == 2.f);
  // Configuration after initialisation is refused, as TensorFlow's RuntimeError.
  auto gpu = tf::config::list_physical_devices("GPU")[0];
  CHECK_THROWS_AS(tf::config::set_memory_growth(gpu, true), tf::FailedPreconditionError);
  CHECK_THROWS_AS(tf::config::set_logical_device_configuration(gpu, {{1024}}),
                  tf::FailedPreconditionError);
  auto details = tf::config::get_device_details(gpu);
  CHECK(!details.device_name.empty());
  CHECK(details.compute_capability_major >= 7);
}

TEST_CASE("under one tape a compiled call on the GPU runs its forward once, training as on the CPU",
          "[device][gpu][function][under_tape]") {
  if (skip_without_gpu()) return;
  tft::HostKernelsForEveryProgram host_kernels;  // the pair's graphs, on the stand-in driver
  // Three SGD steps with the tape around a compiled loss (the forward/backward pair,
  // frontend/src/forward_backward.h), on each device: the losses and the trained weights. An MLP,
  // and a CNN whose conv + bias + ReLU are fused cuDNN calls in the pair's forward on the GPU.
  auto train = [](auto& model) {
    auto loss = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
      tf::print("forward");
      return model.loss(x, y);
    });
    std::ostringstream printed;
    std::ostream* previous = tf::set_print_output(&printed);
    std::vector<tf::Tensor> out;
    for (int call = 0; call < 3; ++call) {
      tf::GradientTape tape;
      tf::Tensor l = loss(model.x, model.y);
      CHECK(l.device() == model.x.device());
      model.sgd(tape.gradient(l, model.params));
      out.push_back(tf::reshape(l, {1}));
    }
    tf::set_print_output(previous);
    // One trace, then the pair: each call ran the forward once (none again for its gradient).
    CHECK(printed.str() == "forward\nforward\nforward\n");
    CHECK(loss.trace_count() == 1);
    for (const auto& p : model.params) out.push_back(tf::reshape(p.read_value(), {-1}));
    return tf::concat(out, 0);
  };
  compare_devices("an MLP trained with the tape around a compiled loss", [&] {
    workloads::Mlp model({12, 16, 16, 5}, 8);
    return train(model);
  });
  compare_devices("a CNN trained with the tape around a compiled loss", [&] {
    workloads::Cnn model(8, 2, 4, 4, 2);
    return train(model);
  });
}
