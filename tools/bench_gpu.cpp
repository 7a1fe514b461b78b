// tfjit-bench's GPU rows, each against a reference measured in the same run: a fused elementwise
// chain and row reductions (a block per row) against a device-to-device copy (bandwidth), GEMM
// against cuBLAS called directly, the
// small-op training step eager and compiled (one CUDA Graph per call), the first and later calls
// of a new batch size under unknown dims, and per-call overheads.
// Every GPU timing waits for the device at the end of each batch (tf::test::sync_devices).
#include <tfjit/tfjit.h>

#include <chrono>
#include <cmath>
#include <sstream>

#include "backends/cuda/cublas.h"
#include "backends/cuda/device.h"
#include "runtime/gpu.h"
#include "tools/bench.h"

namespace {

void progress(const std::string& what) {
  std::fprintf(stderr, "[tfjit-bench] GPU: %s...\n", what.c_str());
}

std::string percent_of(double reference_us, double us, const char* what) {
  std::ostringstream s;
  s.precision(3);
  s << reference_us / us * 100 << "% of " << what;
  return s.str();
}

float max_abs_diff(const tf::Tensor& a, const tf::Tensor& b) {
  return tf::reduce_max(tf::abs(a - b)).item<float>();
}

}  // namespace

void gpu_benchmarks(int scale, std::vector<Row>& rows,
                    const std::function<void(Row&, const std::string&)>& fail) {
  auto on_gpu = tf::device_scope("/GPU:0");
  const std::function<void()> sync = [] { tf::test::sync_devices(); };
  const std::string device =
      tf::config::get_device_details(tf::config::list_physical_devices("GPU").at(0)).device_name;
  progress("on " + device);

  // 1. x*x + 2x + 1 over 64M float32 (256 MiB, far beyond L2): one fused kernel reads and
  //    writes each element once, as a device-to-device copy does.
  {
    progress("elementwise chain, 64M float32 (D2D copy, eager, fused tf::function)");
    const int64_t n = int64_t{64} << 20;
    const size_t bytes = static_cast<size_t>(n) * sizeof(float);
    auto x = tf::random::uniform({n}, -1, 1);
    auto chain = [](const tf::Tensor& t) { return t * t + 2.0f * t + 1.0f; };
    auto fused = tf::function(chain);
    tf::rt::gpu::DeviceMemory a(0, bytes), b(0, bytes);
    int iters = std::max(2, 200 / scale);
    double copy =
        time_us([&] { tf::rt::gpu::copy_on_device(0, b.get(), a.get(), bytes); }, iters, 5, sync);
    double eager = time_us([&] { chain(x); }, iters, 5, sync);
    double graph = time_us([&] { fused(x); }, iters, 5, sync);
    auto note = [&](double us) {
      std::ostringstream s;
      s.precision(4);
      s << 2.0 * bytes / us / 1e3 << " GB/s, " << percent_of(copy, us, "D2D copy");
      return s.str();
    };
    rows.push_back({"gpu chain 64M", "device-to-device copy", copy, note(copy)});
    rows.push_back({"gpu chain 64M", "eager (5 kernels)", eager, note(eager)});
    Row compiled{"gpu chain 64M", "tf::function (fused)", graph, note(graph)};
    if (float d = max_abs_diff(fused(x), chain(x)); !(d <= 1e-5f))
      fail(compiled, "fused result differs from eager by " + std::to_string(d));
    rows.push_back(compiled);
  }

  // 2. GEMM, float32 (no TF32): cuBLAS called directly on the device's stream, then tfjit.
  for (int64_t size : {1024, 4096}) {
    std::string name = "gpu matmul " + std::to_string(size);
    progress(name + " (cuBLAS direct, eager, tf::function)");
    auto a = tf::random::uniform({size, size}, -1, 1);
    auto mm = [](const tf::Tensor& x) { return tf::matmul(x, x); };
    auto lib = tf::function(mm);
    tf::rt::gpu::DeviceMemory x(0, static_cast<size_t>(size * size) * 4),
        c(0, static_cast<size_t>(size * size) * 4);
    auto stream = tf::cuda::Device::get(0).stream();
    int iters = std::max(2, (size > 1024 ? 50 : 500) / scale);
    double direct = time_us(
        [&] {
          tf::cuda::gemm(stream, tf::float32, x.get(), x.get(), c.get(), size, size, size, false,
                         false);
        },
        iters, 5, sync);
    double eager = time_us([&] { mm(a); }, iters, 5, sync);
    double graph = time_us([&] { lib(a); }, iters, 5, sync);
    double flop = 2.0 * size * size * size;
    auto note = [&](double us) {
      std::ostringstream s;
      s.precision(4);
      s << flop / us / 1e6 << " TFLOP/s, " << percent_of(direct, us, "cuBLAS direct");
      return s.str();
    };
    rows.push_back({name, "cuBLAS sgemm direct", direct, note(direct)});
    rows.push_back({name, "eager", eager, note(eager)});
    Row compiled{name, "tf::function (cuBLAS in the plan)", graph, note(graph)};
    if (float d = max_abs_diff(lib(a), mm(a)); !(d <= 1e-3f))
      fail(compiled, "compiled GEMM differs from eager by " + std::to_string(d));
    rows.push_back(compiled);
    if (size == 1024) {
      auto generated = tf::function(mm, tf::FunctionOptions{.matmul_library_call = false});
      double gen = time_us([&] { generated(a); }, std::max(1, iters / 50), 3, sync);
      Row row{name, "tf::function (generated kernel)", gen, note(gen)};
      if (float d = max_abs_diff(generated(a), mm(a)); !(d <= 1e-3f))
        fail(row, "generated GEMM differs from eager by " + std::to_string(d));
      rows.push_back(row);
    }
  }

  // 3. The small-op training step (linear regression, 100 points): ~20 small kernels per step,
  //    so launch overhead is everything; compiled, each call is one CUDA Graph launch.
  {
    progress("training step: linear regression (eager, tf::function)");
    LinearRegression lr;
    auto& xs = lr.xs;
    auto& ys = lr.ys;
    auto step = [&](const tf::Tensor& x, const tf::Tensor& y) { return lr.step(x, y); };
    auto compiled = tf::function(step);
    float ew, eb, cw, cb;
    bool eager_fits = lr.fits(step, ew, eb), compiled_fits = lr.fits(compiled, cw, cb);
    int iters = std::max(10, 2000 / scale);
    double eager = time_us([&] { step(xs, ys); }, iters, 5, sync);
    double graph = time_us([&] { compiled(xs, ys); }, iters, 5, sync);
    auto concrete = compiled.get_concrete_function(xs, ys);
    std::ostringstream speedup;
    speedup.precision(3);
    speedup << eager / graph << "x eager"
            << (concrete.replays_cuda_graph() ? ", one CUDA Graph per call" : ", kernel launches");
    Row e{"gpu linreg step", "eager", eager, "per step"};
    Row c{"gpu linreg step", "tf::function", graph, speedup.str()};
    if (!eager_fits) fail(e, "the eager step did not fit w = 3, b = 1 in 100 steps");
    if (!compiled_fits) fail(c, "the compiled step did not fit w = 3, b = 1 in 100 steps");
    rows.push_back(e);
    rows.push_back(c);
  }

  // 4. Unknown dims, compiled: one program per batch size, built at that size's first call.
  //    (No compiled while loop here: if kernels misbehaved on a new GPU, its predicate might
  //    never turn false, and the run would lose every row to the step's time limit.)
  {
    progress("unknown-batch function: a new batch size, then its later calls");
    auto layer = [](const tf::Tensor& b) { return tf::reduce_sum(tf::tanh(b * 2.f + 1.f), {1}); };
    auto batched = tf::function(layer, {tf::TensorSpec({tf::unknown, 256}, tf::float32)});
    auto b64 = tf::random::uniform({64, 256}, -1, 1), b96 = tf::random::uniform({96, 256}, -1, 1);
    batched(b64);
    auto first = std::chrono::steady_clock::now();
    batched(b96);  // a new shape: specialised and compiled now
    tf::test::sync_devices();
    double compile_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - first).count();
    double hit = time_us([&] { batched(b96); }, std::max(10, 2000 / scale), 5, sync);
    rows.push_back({"gpu unknown batch", "first call of a new batch size", compile_us,
                    "specialise, compile (or read the disk cache), load"});
    Row h{"gpu unknown batch", "later calls of that size", hit, "per call"};
    // Sums of 256 terms near 0.9: float32 rounding differs with the summation order.
    if (float d = max_abs_diff(batched(b96), layer(b96)); !(d <= 1e-5f * 256))
      fail(h, "specialised result differs from eager by " + std::to_string(d));
    rows.push_back(h);
  }

  // 5. Row reductions compiled (one block per row, shares combined in shared memory): a row sum
  //    reads the input once, so its bandwidth is the input over the time; softmax's least
  //    traffic is one read and one write. Long rows and layer-norm-sized rows, 64M float32 each.
  for (auto [rows_n, cols] : {std::pair<int64_t, int64_t>{8192, 8192}, {65536, 1024}}) {
    const std::string shape = std::to_string(rows_n) + "x" + std::to_string(cols);
    progress("row sum and softmax over " + shape + " (D2D copy, eager, tf::function)");
    const size_t bytes = static_cast<size_t>(rows_n * cols) * sizeof(float);
    auto x = tf::random::uniform({rows_n, cols}, -1, 1);
    tf::rt::gpu::DeviceMemory a(0, bytes), b(0, bytes);
    const int iters = std::max(2, 100 / scale);
    double copy =
        time_us([&] { tf::rt::gpu::copy_on_device(0, b.get(), a.get(), bytes); }, iters, 5, sync);
    auto note = [&](double moved, double us) {
      std::ostringstream s;
      s.precision(4);
      s << moved / us / 1e3 << " GB/s, "
        << percent_of(copy * moved / (2.0 * bytes), us, "D2D copy");
      return s.str();
    };
    const std::string sum_name = "gpu row sum " + shape, softmax_name = "gpu softmax " + shape;
    rows.push_back({sum_name, "device-to-device copy", copy, note(2.0 * bytes, copy)});
    auto row_sum = [](const tf::Tensor& t) { return tf::reduce_sum(t, {1}); };
    auto softmax = [](const tf::Tensor& t) { return tf::softmax(t); };
    auto compiled_sum = tf::function(row_sum);
    auto compiled_softmax = tf::function(softmax);
    double eager_sum = time_us([&] { row_sum(x); }, iters, 5, sync);
    double graph_sum = time_us([&] { compiled_sum(x); }, iters, 5, sync);
    double eager_softmax = time_us([&] { softmax(x); }, iters, 5, sync);
    double graph_softmax = time_us([&] { compiled_softmax(x); }, iters, 5, sync);
    rows.push_back({sum_name, "eager", eager_sum, note(bytes, eager_sum)});
    Row sum{sum_name, "tf::function (a block per row)", graph_sum, note(bytes, graph_sum)};
    // Sums of `cols` terms in [-1, 1]: float32 rounding differs with the summation order.
    if (float d = max_abs_diff(compiled_sum(x), row_sum(x)); !(d <= 1e-6f * cols))
      fail(sum, "compiled row sums differ from eager by " + std::to_string(d));
    rows.push_back(sum);
    rows.push_back({softmax_name, "eager", eager_softmax, note(2.0 * bytes, eager_softmax)});
    Row soft{softmax_name, "tf::function", graph_softmax, note(2.0 * bytes, graph_softmax)};
    if (float d = max_abs_diff(compiled_softmax(x), softmax(x)); !(d <= 1e-6f))
      fail(soft, "compiled softmax differs from eager by " + std::to_string(d));
    rows.push_back(soft);
  }

  // 6. Overheads: a 1-element eager op and a cache-hit call of a tiny compiled function.
  {
    progress("dispatch overhead on 1-element tensors");
    auto s = tf::constant({1.0f});
    auto f = tf::function([](const tf::Tensor& t) { return t + t; });
    int iters = 20000 / scale;
    rows.push_back({"gpu overhead", "eager add, 1 element",
                    time_us([&] { tf::add(s, s); }, iters, 5, sync), "per op, launch included"});
    rows.push_back({"gpu overhead", "tf::function call, cache hit",
                    time_us([&] { f(s); }, iters, 5, sync), "per call"});
  }
}
