// The GPU path's host side on a stand-in driver (tests/fake_cuda/fake_cuda.cpp), on any machine:
// device setup and default placement, copies, the cuBLAS mapping (which the fake computes by the
// BLAS definition), compiled functions (PTX assembled once, module loaded, the plan's launches,
// CUDA Graph capture and replay, staging of arguments and results, unloading) and the disk
// cache of GPU programs. The fake runs the eager kernels (compiled for the host), a compiled
// program's kernels when a test registers their host builds (tests/fake_gpu_kernels.h), and
// assembles every program's PTX with ptxas; GPU-vs-CPU value comparisons are in device_test.cpp,
// which runs against the fake too.
#include <dlfcn.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include "frontend/src/distribute/distribute_internal.h"
#include "runtime/collectives.h"
#include "runtime/gpu.h"
#include "tests/fake_gpu_kernels.h"
#include "tests/helpers.h"
#include "tfjit/tfjit.h"

namespace {

struct FakeStats {
  int64_t launches, graph_launches, graph_kernels, captures, gemms;
  int64_t modules_loaded, modules_unloaded, links, bad_launches, bytes_allocated;
  int64_t failures_injected, blas_handles;  // cuBLAS handles alive
  int64_t batched_gemms;                    // cublasSgemmStridedBatched calls
};

FakeStats stats() {
  REQUIRE(tf::test::is_gpu_available());  // the driver is loaded on first use
  void* lib = dlopen(std::getenv("TFJIT_CUDA_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(lib);
  auto get = reinterpret_cast<FakeStats* (*)()>(dlsym(lib, "tfjit_fake_cuda_stats"));
  REQUIRE(get);
  return *get();
}

// The next `times` calls of the driver or cuBLAS entry point `call` fail with `error`.
void fail_next(const char* call, int error, int times = 1) {
  REQUIRE(tf::test::is_gpu_available());
  void* lib = dlopen(std::getenv("TFJIT_CUDA_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(lib);
  auto fail =
      reinterpret_cast<void (*)(const char*, int, int)>(dlsym(lib, "tfjit_fake_cuda_fail_next"));
  dlclose(lib);
  REQUIRE(fail);
  fail(call, error, times);
}

// From now on the fake reports compute capability `cc` (90 for 9.0).
void set_compute_capability(int cc) {
  REQUIRE(tf::test::is_gpu_available());
  void* lib = dlopen(std::getenv("TFJIT_CUDA_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(lib);
  auto set = reinterpret_cast<void (*)(int)>(dlsym(lib, "tfjit_fake_cuda_set_compute_capability"));
  dlclose(lib);
  REQUIRE(set);
  set(cc);
}

// Marks host memory page-locked in the fake (0 bytes: pageable again).
void pin_host(const void* p, size_t bytes) {
  REQUIRE(tf::test::is_gpu_available());
  void* lib = dlopen(std::getenv("TFJIT_CUDA_DRIVER"), RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(lib);
  auto pin =
      reinterpret_cast<void (*)(const void*, size_t)>(dlsym(lib, "tfjit_fake_cuda_pin_host"));
  dlclose(lib);
  REQUIRE(pin);
  pin(p, bytes);
}

// Row-major C = op(A) op(B) in float64.
std::vector<double> reference_matmul(const std::vector<float>& a, const std::vector<float>& b,
                                     int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
  std::vector<double> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t l = 0; l < k; ++l)
        c[i * n + j] += static_cast<double>(ta ? a[l * m + i] : a[i * k + l]) *
                        (tb ? b[j * k + l] : b[l * n + j]);
  return c;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(std::abs(got[i] - want[i]) <= 1e-5 * std::max(1.0, std::abs(want[i])));
  }
}

}  // namespace

TEST_CASE("the fake GPU is listed, used by default, and copies round-trip", "[fake_gpu]") {
  REQUIRE(tf::test::is_gpu_available());
  auto gpus = tf::config::list_physical_devices("GPU");
  REQUIRE(gpus.size() == 1);
  auto details = tf::config::get_device_details(gpus[0]);
  CHECK(details.device_name == "tfjit fake GPU");
  CHECK(details.compute_capability_major == 9);
  tf::Tensor t = tf::constant({1.f, 2.f, 3.f});
  CHECK(t.device().ends_with("GPU:0"));
  CHECK(t.to_vector<float>() == std::vector<float>{1, 2, 3});
  tf::Tensor moved;
  {
    auto scope = tf::device_scope("/CPU:0");
    moved = tf::identity(t);
  }
  CHECK(moved.device().ends_with("CPU:0"));
  CHECK(moved.to_vector<float>() == std::vector<float>{1, 2, 3});
}

TEST_CASE("a copy from page-locked host memory is done before its owner may free it",
          "[fake_gpu]") {
  // The DMA from pinned memory runs after cuMemcpyHtoDAsync returns (the fake defers it to the
  // stream's next work); the tensor's release callback frees (here: scribbles on) the memory.
  std::vector<float> host{1.f, 2.f, 3.f};
  pin_host(host.data(), host.size() * sizeof(float));
  tf::Tensor on_gpu;
  {
    tf::Tensor wrapped = tf::from_blob(host.data(), {3}, tf::float32,
                                       [&] { std::fill(host.begin(), host.end(), -1.f); });
    CHECK(wrapped.device().ends_with("CPU:0"));
    auto scope = tf::device_scope("/GPU:0");
    on_gpu = tf::identity(wrapped);
  }
  CHECK(host[0] == -1.f);  // released
  CHECK(on_gpu.device().ends_with("GPU:0"));
  CHECK(on_gpu.to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f});
  pin_host(host.data(), 0);
}

TEST_CASE("GPU matmul maps row-major products onto column-major cuBLAS", "[fake_gpu]") {
  const int64_t m = 3, k = 5, n = 4;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("transpose_a " << ta << ", transpose_b " << tb);
      auto a = tft::random_floats(m * k, 1), b = tft::random_floats(k * n, 2);
      tf::Tensor ta_ = tf::constant(a, ta ? tf::TensorShape{k, m} : tf::TensorShape{m, k});
      tf::Tensor tb_ = tf::constant(b, tb ? tf::TensorShape{n, k} : tf::TensorShape{k, n});
      tf::Tensor c = tf::matmul(ta_, tb_, ta, tb);
      CHECK(c.device().ends_with("GPU:0"));
      CHECK(c.shape() == tf::TensorShape{m, n});
      check_close(c.to_vector<float>(), reference_matmul(a, b, m, k, n, ta, tb));
    }
  // An empty sum is zeros, whatever the result buffer held.
  tf::Tensor z = tf::matmul(tf::ones({3, 0}), tf::ones({0, 2}));
  CHECK(z.to_vector<float>() == std::vector<float>(6, 0.f));
}

TEST_CASE("an eager batched matmul on the GPU is one strided-batched cuBLAS call", "[fake_gpu]") {
  const int64_t batch = 4, m = 3, k = 5, n = 2;
  auto a = tft::random_floats(batch * m * k, 3), b = tft::random_floats(batch * k * n, 4);
  const FakeStats before = stats();
  tf::Tensor c =
      tf::matmul(tf::constant(a, {batch, m, k}), tf::constant(b, {batch, n, k}), false, true);
  const std::vector<float> got = c.to_vector<float>();
  CHECK(stats().batched_gemms - before.batched_gemms == 1);  // not one call per product
  CHECK(c.device().ends_with("GPU:0"));
  for (int64_t i = 0; i < batch; ++i) {
    INFO("product " << i);
    const std::vector<float> ai(a.begin() + i * m * k, a.begin() + (i + 1) * m * k),
        bi(b.begin() + i * k * n, b.begin() + (i + 1) * k * n);
    check_close(std::vector<float>(got.begin() + i * m * n, got.begin() + (i + 1) * m * n),
                reference_matmul(ai, bi, m, k, n, false, true));
  }
}

TEST_CASE("compiled GEMMs with a transposed operand, plain and batched, on the GPU plan",
          "[fake_gpu][function]") {
  const int64_t batch = 3, m = 3, k = 5, n = 4;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("transpose_a " << ta << ", transpose_b " << tb);
      auto a = tft::random_floats(batch * m * k, 3), b = tft::random_floats(batch * k * n, 4);
      // The transposes are traced ops, as gradients produce them: the plan's Gemm takes them as
      // flags (one strided-batched cuBLAS call for the batch).
      auto f = tf::function([ta, tb](const tf::Tensor& x, const tf::Tensor& y) {
        return tf::matmul(ta ? tf::transpose(x, {0, 2, 1}) : x,
                          tb ? tf::transpose(y, {0, 2, 1}) : y);
      });
      tf::Tensor x =
          tf::constant(a, ta ? tf::TensorShape{batch, k, m} : tf::TensorShape{batch, m, k});
      tf::Tensor y =
          tf::constant(b, tb ? tf::TensorShape{batch, n, k} : tf::TensorShape{batch, k, n});
      tft::run_compiled_kernels_on_fake_gpu(f, x, y);  // a's transpose, when both are, is one
      tf::Tensor c = f(x, y);
      CHECK(c.device().ends_with("GPU:0"));
      auto got = c.to_vector<float>();
      for (int64_t i = 0; i < batch; ++i) {
        std::vector<float> ai(a.begin() + i * m * k, a.begin() + (i + 1) * m * k);
        std::vector<float> bi(b.begin() + i * k * n, b.begin() + (i + 1) * k * n);
        check_close(std::vector<float>(got.begin() + i * m * n, got.begin() + (i + 1) * m * n),
                    reference_matmul(ai, bi, m, k, n, ta, tb));
      }
    }
}

TEST_CASE("a compiled GEMM runs its plan, then replays as a CUDA Graph with staged operands",
          "[fake_gpu][function]") {
  tf::config::enable_disk_cache(false);
  tf::matmul(tf::ones({2, 2}), tf::ones({2, 2}));  // the device stream's cuBLAS handle exists
  const FakeStats before = stats();
  auto f = std::make_optional(
      tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::matmul(a, b); }));
  for (unsigned call = 0; call < 3; ++call) {
    INFO("call " << call);
    auto a = tft::random_floats(2 * 4 * 8, 10 + call), b = tft::random_floats(2 * 8 * 3, 20 + call);
    tf::Tensor c =
        (*f)(tf::constant(a, tf::TensorShape{2, 4, 8}), tf::constant(b, tf::TensorShape{2, 8, 3}));
    CHECK(c.device().ends_with("GPU:0"));
    auto got = c.to_vector<float>();
    for (int64_t batch = 0; batch < 2; ++batch) {
      std::vector<float> ab(a.begin() + batch * 32, a.begin() + (batch + 1) * 32);
      std::vector<float> bb(b.begin() + batch * 24, b.begin() + (batch + 1) * 24);
      check_close(std::vector<float>(got.begin() + batch * 12, got.begin() + (batch + 1) * 12),
                  reference_matmul(ab, bb, 4, 8, 3, false, false));
    }
  }
  const FakeStats after = stats();
  CHECK(after.captures - before.captures == 1);              // captured at the second call
  CHECK(after.graph_launches - before.graph_launches == 2);  // calls 2 and 3
  // One strided-batched cuBLAS call per run of the plan (call 1, and the capture at call 2;
  // replays re-run what was captured), which the stand-in computes batch by batch.
  CHECK(after.batched_gemms - before.batched_gemms == 2);
  CHECK(after.gemms - before.gemms == 3 * 2);
  CHECK(after.blas_handles == before.blas_handles + 1);  // the capture stream's
  {
    auto concrete = f->get_concrete_function(tf::zeros({2, 4, 8}), tf::zeros({2, 8, 3}));
    CHECK(concrete.device().ends_with("GPU:0"));
    CHECK(concrete.replays_cuda_graph());
    CHECK(f->trace_count() == 1);
  }
  f.reset();
  CHECK(stats().blas_handles == before.blas_handles);  // released with the program
}

TEST_CASE("compiled kernels are assembled once, loaded, launched per the plan, then graphed",
          "[fake_gpu][function]") {
  tf::config::enable_disk_cache(false);
  tf::Tensor x = tf::ones({1000});  // the device is set up (its eager kernels loaded) first
  const FakeStats before = stats();
  {
    auto f = tf::function([](const tf::Tensor& x) { return tf::tanh(x * 2.f + 1.f); });
    f(x);
    FakeStats first = stats();
    CHECK(first.links - before.links == 1);
    CHECK(first.modules_loaded - before.modules_loaded == 1);
    CHECK(first.launches - before.launches == 1);  // one fused kernel
    CHECK(first.bad_launches == 0);
    f(x);
    f(x);
    FakeStats later = stats();
    CHECK(later.launches - first.launches == 2);  // one kernel: launched directly, not graphed
    CHECK(later.graph_launches == first.graph_launches);
    // Several kernels (a reduction, then the product): graphed from the second call.
    auto g = tf::function([](const tf::Tensor& x) { return x * tf::reduce_sum(tf::tanh(x)); });
    g(x);
    FakeStats g_first = stats();
    const int64_t kernels = g_first.launches - later.launches;
    CHECK(kernels >= 2);
    g(x);
    g(x);
    FakeStats g_later = stats();
    CHECK(g_later.launches == g_first.launches);  // no more launches one by one
    CHECK(g_later.graph_launches - g_first.graph_launches == 2);
    CHECK(g_later.graph_kernels - g_first.graph_kernels == 2 * kernels);
    CHECK(g_later.modules_unloaded == before.modules_unloaded);
  }
  CHECK(stats().modules_unloaded - before.modules_unloaded == 2);  // with the functions
}

TEST_CASE("PTX the assembler rejects is an InternalError carrying the assembler's message",
          "[fake_gpu][function]") {
  if (!std::getenv("TFJIT_FAKE_CUDA_PTXAS")) {
    WARN("not checked: no ptxas (CUDA toolkit) for the fake driver to assemble PTX with");
    return;
  }
  CHECK(tf::ones({1}).item<float>() == 1.f);  // the GPU is initialised
  const std::string broken =
      "//\n.version 8.0\n.target sm_90\n.address_size 64\n"
      ".visible .entry broken()\n{\n  bogus.instruction;\n  ret;\n}\n";
  CHECK_THROWS_AS(tf::rt::gpu::assemble(0, broken), tf::InternalError);
  CHECK_THROWS_WITH(tf::rt::gpu::assemble(0, broken),
                    Catch::Contains("cuLinkAddData") && Catch::Contains("CUDA_ERROR_INVALID_PTX") &&
                        Catch::Contains("ptxas") && Catch::Contains("bogus"));
  auto f = tf::function([](const tf::Tensor& x) { return x * 3.f; });
  tft::run_compiled_kernels_on_fake_gpu(f, tf::ones({4}));
  CHECK(f(tf::ones({4})).to_vector<float>() == std::vector<float>(4, 3.f));
}

TEST_CASE("a fused kernel of 60 operands fits PTX's parameter space, assembles and runs",
          "[fake_gpu][function]") {
  // 61 rank-4 operands and a result: 62 memref descriptors of 11 values, 5456 bytes of
  // parameters, over PTX 8.0's 4352.
  std::vector<tf::Tensor> terms;
  std::vector<double> want(120, 0.0);
  for (unsigned i = 0; i < 60; ++i) {
    auto values = tft::random_floats(120, 100 + i);
    for (size_t j = 0; j < values.size(); ++j) want[j] += values[j];
    terms.push_back(tf::constant(values, tf::TensorShape{2, 3, 4, 5}));
  }
  auto f = tf::function([&](const tf::Tensor& x) {
    tf::Tensor sum = x;
    for (const tf::Tensor& t : terms) sum = sum + t;
    return sum;
  });
  tf::Tensor x = tf::zeros({2, 3, 4, 5});
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  const FakeStats before = stats();
  check_close(f(x).to_vector<float>(), want);
  CHECK(f.get_concrete_function(x).device().ends_with("GPU:0"));
  CHECK(stats().launches - before.launches == 1);  // one fused kernel
}

TEST_CASE("GPU programs come back from the disk cache without assembling again",
          "[fake_gpu][function][cache]") {
  const auto dir = std::filesystem::temp_directory_path() / "tfjit-fake-gpu-cache";
  std::filesystem::remove_all(dir);
  tf::config::set_disk_cache_dir(dir.string());
  tf::config::enable_disk_cache(true);
  auto body = [](const tf::Tensor& x) { return tf::sqrt(tf::abs(x) + 3.f); };
  tf::Tensor x = tf::ones({64, 3});
  tf::function(body)(x);
  const FakeStats compiled = stats();
  tf::config::clear_compile_cache();  // as a new process would start
  auto info = tf::config::compile_cache_info();
  tf::function(body)(x);
  CHECK(stats().links == compiled.links);
  CHECK(tf::config::compile_cache_info().disk_hits == info.disk_hits + 1);
  SECTION("but not on a GPU of another architecture, which shares the PTX target") {
    set_compute_capability(100);  // the driver's binary for sm_90 does not run on sm_100
    tf::config::clear_compile_cache();
    tf::function(body)(x);
    CHECK(stats().links == compiled.links + 1);
    set_compute_capability(90);
  }
  tf::config::enable_disk_cache(false);
  std::filesystem::remove_all(dir);
}

TEST_CASE("identity functions copy through the plan, also when replayed", "[fake_gpu][function]") {
  tf::config::enable_disk_cache(false);
  auto f = tf::function([](const tf::Tensor& x) { return x; });
  for (float v : {1.f, 2.f, 3.f}) {
    tf::Tensor y = f(tf::fill({5}, v));
    CHECK(y.to_vector<float>() == std::vector<float>(5, v));
  }
}

TEST_CASE("concat, stack and pad on the GPU are pitched copies that keep every value",
          "[fake_gpu]") {
  tf::Tensor a = tf::constant(std::vector<int32_t>{1, 2, 3, 4, 5, 6}, tf::TensorShape{3, 2});
  tf::Tensor none = tf::zeros({3, 0}, tf::int32);
  tf::Tensor b = tf::constant(std::vector<int32_t>{7, 8, 9}, tf::TensorShape{3, 1});
  const FakeStats before = stats();
  tf::Tensor c = tf::concat({a, none, b}, 1);
  CHECK(stats().launches == before.launches);  // copies, no kernel
  CHECK(c.device().ends_with("GPU:0"));
  CHECK(c.to_vector<int32_t>() == std::vector<int32_t>{1, 2, 7, 3, 4, 8, 5, 6, 9});
  CHECK(tf::concat({a, a}, 0).to_vector<int32_t>() ==
        std::vector<int32_t>{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
  tf::Tensor s =
      tf::stack({tf::constant({1.0, 2.0}, tf::float64), tf::constant({3.0, 4.0}, tf::float64)}, 1);
  CHECK(s.shape() == tf::TensorShape{2, 2});
  CHECK(s.to_vector<double>() == std::vector<double>{1, 3, 2, 4});
  tf::Tensor p =
      tf::pad(tf::constant(std::vector<float>{5, 6}, tf::TensorShape{1, 2}), {{1, 0}, {0, 2}}, 9.f);
  CHECK(p.device().ends_with("GPU:0"));
  CHECK(p.to_vector<float>() == std::vector<float>{9, 9, 9, 9, 5, 6, 9, 9});
}

TEST_CASE("concat of unknown parts, its gradient and x[-1] compile for the GPU per shape",
          "[fake_gpu]") {
  // d/dx sum(concat(x, x * x)) = 1 + 2x, plus the last element.
  auto f = tf::function(
      [](const tf::Tensor& x) {
        tf::GradientTape tape;
        tape.watch(x);
        tf::Tensor loss = tf::reduce_sum(tf::concat({x, x * x}, 0));
        return tape.gradient(loss, x) + x(-1);
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  for (int64_t n : {3, 2}) tft::run_compiled_kernels_on_fake_gpu(f, tf::ones({n}));
  CHECK(f(tf::constant({1.f, 2.f, 3.f})).to_vector<float>() == std::vector<float>{6, 8, 10});
  CHECK(f(tf::constant({4.f, 5.f})).to_vector<float>() == std::vector<float>{14, 16});
  CHECK(f.get_concrete_function(tf::constant({4.f, 5.f})).device().ends_with("GPU:0"));
  CHECK(f.trace_count() == 1);
}

TEST_CASE("a reshape to run-time sizes compiles for the GPU per shape", "[fake_gpu]") {
  // [tf.shape(x)[0], -1, 2]: rows kept, the rest split in pairs, then summed over the pairs.
  auto f = tf::function(
      [](const tf::Tensor& x) {
        tf::Tensor shape = tf::stack({tf::shape(x)(0), tf::constant(-1), tf::constant(2)});
        return tf::reduce_sum(tf::reshape(x, shape), {2});
      },
      {tf::TensorSpec({tf::unknown, tf::unknown}, tf::float32)});
  tf::Tensor a = tf::constant(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, tf::TensorShape{2, 4});
  tf::Tensor b = tf::constant(std::vector<float>{1, 2, 3, 4, 5, 6}, tf::TensorShape{1, 6});
  tft::run_compiled_kernels_on_fake_gpu(f, a);
  tft::run_compiled_kernels_on_fake_gpu(f, b);
  CHECK(f(a).to_vector<float>() == std::vector<float>{3, 7, 11, 15});
  CHECK(f(a).shape() == tf::TensorShape{2, 2});
  CHECK(f(b).to_vector<float>() == std::vector<float>{3, 7, 11});
  CHECK(f.get_concrete_function(b).device().ends_with("GPU:0"));
  CHECK(f.trace_count() == 1);
}

TEST_CASE("gather, argmax and reductions launch GPU kernels, gather checks indices on every device",
          "[fake_gpu]") {
  tf::Tensor params = tf::reshape(tf::range(0.f, 12.f), {4, 3});
  const FakeStats before = stats();
  tf::Tensor g = tf::gather(params, tf::constant(std::vector<int32_t>{3, 0}), 0);
  CHECK(g.device().ends_with("GPU:0"));
  CHECK(g.shape() == tf::TensorShape{2, 3});
  tf::Tensor m = tf::argmax(params, 1);
  CHECK(m.device().ends_with("GPU:0"));
  CHECK(m.dtype() == tf::int64);
  FakeStats after = stats();
  CHECK(g.to_vector<float>() == std::vector<float>{9, 10, 11, 0, 1, 2});
  CHECK(m.to_vector<int64_t>() == std::vector<int64_t>{2, 2, 2, 2});
  CHECK(after.launches - before.launches == 2);
  CHECK(after.bad_launches == 0);
  // A long reduction to one value spreads over many blocks, then combines their partials.
  tf::Tensor ones = tf::ones({1 << 20});
  const FakeStats before_sums = stats();
  tf::Tensor total = tf::reduce_sum(ones);
  CHECK(total.device().ends_with("GPU:0"));
  after = stats();
  CHECK(total.item<float>() == 1 << 20);
  CHECK(after.launches - before_sums.launches == 2);
  tf::reduce_sum(params, std::vector<int64_t>{1});  // short rows: one block each, one launch
  CHECK(stats().launches - after.launches == 1);
  CHECK_THROWS_WITH(tf::gather(params, tf::constant(std::vector<int64_t>{1, 4}), 0),
                    Catch::Contains("gather") && Catch::Contains("index 4 is out of range [0, 4)"));
}

TEST_CASE("bad input found by compiled GPU code raises after the call, also when replayed",
          "[fake_gpu][function]") {
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& d, const tf::Tensor& i) {
    return tf::gather(tf::floordiv(x, d), i);
  });
  tf::Tensor x = tf::constant({10, 20, 30}), d = tf::constant({5, 4, 3}), i = tf::constant({2, 0});
  tft::run_compiled_kernels_on_fake_gpu(f, x, d, i);
  for (int call = 0; call < 3; ++call)  // launches, captures, replays
    CHECK(f(x, d, i).to_vector<int32_t>() == std::vector<int32_t>{10, 2});
  auto concrete = f.get_concrete_function(x, d, i);
  CHECK(concrete.device().ends_with("GPU:0"));
  CHECK(concrete.replays_cuda_graph());
  CHECK_THROWS_WITH(f(x, d, tf::constant({2, 3})),
                    "gather: an index is out of range [0, 3) for axis 0 of shape (3,)");
  CHECK_THROWS_WITH(f(x, tf::constant({5, 0, 3}), i),
                    Catch::Contains("floordiv: integer division by zero"));
  CHECK(f(x, d, tf::constant({1, 1})).to_vector<int32_t>() == std::vector<int32_t>{5, 5});
  CHECK(concrete.replays_cuda_graph());
  // Inside control flow a check is read where it runs: not in a branch not taken, and at every
  // iteration of a loop (a failure in an early one is not overwritten by a later success).
  auto branchy = tf::function([](const tf::Tensor& x, const tf::Tensor& i, const tf::Tensor& p) {
    return tf::cond(
        p, [&] { return tf::gather(x, i); }, [&] { return x(tf::slice(0, 2)); });
  });
  tf::Tensor yes = tf::constant(true), no = tf::constant(false), far = tf::constant({0, 9});
  tft::run_compiled_kernels_on_fake_gpu(branchy, x, far, yes);
  CHECK_THROWS_WITH(branchy(x, far, yes), Catch::Contains("gather: an index is out of range"));
  CHECK(branchy(x, far, no).to_vector<int32_t>() == std::vector<int32_t>{10, 20});
  CHECK(branchy(x, tf::constant({2, 1}), yes).to_vector<int32_t>() == std::vector<int32_t>{30, 20});
  CHECK(branchy.get_concrete_function(x, far, yes).device().ends_with("GPU:0"));
  auto loop = tf::function([](const tf::Tensor& x, const tf::Tensor& d) {
    return tf::while_loop(
        [](const std::vector<tf::Tensor>& v) { return v[1] < 3; },
        [](const std::vector<tf::Tensor>& v) {  // divides by d - i at i = 0, 1, 2
          return std::vector<tf::Tensor>{v[0] + tf::floordiv(v[0], v[2] - v[1]), v[1] + 1, v[2]};
        },
        {x, tf::constant(0), d})[0];
  });
  tft::run_compiled_kernels_on_fake_gpu(loop, x, tf::constant(5));
  // x + x // 5, then + x // 4, then + x // 3: 10 -> 12 -> 15 -> 20, 20 -> 24 -> 30 -> 40, ...
  CHECK(loop(x, tf::constant(5)).to_vector<int32_t>() == std::vector<int32_t>{20, 40, 60});
  CHECK_THROWS_WITH(loop(x, tf::constant(1)), Catch::Contains("integer division by zero"));
  CHECK(loop.get_concrete_function(x, tf::constant(1)).device().ends_with("GPU:0"));
  // As on the CPU, the call runs to its end (later iterations print), then raises.
  auto noisy = tf::function([](const tf::Tensor& x, const tf::Tensor& d) {
    return tf::while_loop(
        [](const std::vector<tf::Tensor>& v) { return v[1] < 3; },
        [](const std::vector<tf::Tensor>& v) {
          tf::print("i =", v[1]);
          return std::vector<tf::Tensor>{tf::floordiv(v[0], v[2] - v[1]), v[1] + 1, v[2]};
        },
        {x, tf::constant(0), d})[0];
  });
  std::string printed[2];
  for (int d = 0; d < 2; ++d) {
    auto scope = tf::device_scope(d ? "/GPU:0" : "/CPU:0");
    tft::run_compiled_kernels_on_fake_gpu(noisy, x, tf::constant(1));
    std::ostringstream out;
    std::ostream* previous = tf::set_print_output(&out);
    CHECK_THROWS_WITH(noisy(x, tf::constant(1)), Catch::Contains("integer division by zero"));
    tf::set_print_output(previous);
    printed[d] = out.str();
  }
  CHECK(printed[0] == "i = 0\ni = 1\ni = 2\n");
  CHECK(printed[1] == printed[0]);

  auto program = concrete.graph("ptx");
  CHECK_THAT(program, Catch::Contains("check %") && Catch::Contains("integer division by zero"));
}

TEST_CASE("a training step with a scalar loss compiles for the GPU and replays as one graph",
          "[fake_gpu][function]") {
  tf::config::enable_disk_cache(false);
  tf::Variable w(tf::ones({16, 4})), b(tf::zeros({4}));
  auto step = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(tf::matmul(x, w) + b - y));  // a full reduction
    auto g = tape.gradient(loss, std::vector<tf::Source>{w, b});
    w.assign_sub(g[0] * 0.1f);
    b.assign_sub(g[1] * 0.1f);
    return loss;
  });
  tf::Tensor x = tf::ones({4096, 16}), y = tf::zeros({4096, 4});
  for (int i = 0; i < 3; ++i) step(x, y);
  auto concrete = step.get_concrete_function(x, y);
  CHECK(concrete.gpu_fallback_reason() == "");
  CHECK(concrete.device().ends_with("GPU:0"));
  CHECK(concrete.replays_cuda_graph());
  CHECK(stats().bad_launches == 0);
}

TEST_CASE("failed driver and cuBLAS calls are typed errors naming the call, the GPU keeps working",
          "[fake_gpu]") {
  tf::Tensor x = tf::constant({0.f, 1.f, 2.f});
  fail_next("cuLaunchKernel", 719);
  CHECK_THROWS_AS(tf::exp(x), tf::InternalError);
  fail_next("cuLaunchKernel", 719);
  CHECK_THROWS_WITH(tf::exp(x), Catch::Contains("tfjit_unary_exp") &&
                                    Catch::Contains("CUDA_ERROR_LAUNCH_FAILED"));
  check_close(tf::exp(x).to_vector<float>(), {1.0, std::exp(1.0), std::exp(2.0)});

  tf::Tensor a = tf::ones({2, 2});
  fail_next("cublasSgemm_v2", 13);  // CUBLAS_STATUS_EXECUTION_FAILED
  CHECK_THROWS_AS(tf::matmul(a, a), tf::InternalError);
  CHECK(tf::matmul(a, a).to_vector<float>() == std::vector<float>{2, 2, 2, 2});

  fail_next("cuMemcpyDtoHAsync_v2", 719);
  CHECK_THROWS_AS(x.to_vector<float>(), tf::InternalError);
  CHECK(x.to_vector<float>() == std::vector<float>{0, 1, 2});

  // A compiled function: a failed module load or launch fails that call only. (From the second
  // call on, a launch failing while the CUDA Graph is captured only costs the graph.)
  auto f = tf::function([](const tf::Tensor& t) { return tf::tanh(t) * 2.f; });
  fail_next("cuModuleLoadData", 218);  // CUDA_ERROR_INVALID_PTX
  CHECK_THROWS_AS(f(x), tf::InternalError);
  fail_next("cuModuleLoadData", 0, 0);
  const FakeStats before_lookup = stats();
  fail_next("cuModuleGetFunction", 500);  // CUDA_ERROR_NOT_FOUND, after the module loaded
  CHECK_THROWS_WITH(f(x), Catch::Contains("cuModuleGetFunction"));
  CHECK(stats().modules_unloaded == before_lookup.modules_unloaded + 1);  // not leaked
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  fail_next("cuLaunchKernel", 719);
  CHECK_THROWS_WITH(f(x), Catch::Contains("launching compiled kernel"));
  check_close(f(x).to_vector<float>(), {0.0, 2 * std::tanh(1.0), 2 * std::tanh(2.0)});
  CHECK(stats().bad_launches == 0);
}

TEST_CASE(
    "an allocation the driver refuses once is retried, a lasting refusal is"
    " ResourceExhaustedError and the GPU keeps working",
    "[fake_gpu][memory]") {
  tf::Tensor warm = tf::ones({1});
  CHECK(warm.item<float>() == 1.f);                              // the GPU is initialised
  CHECK(tf::reduce_sum(tf::ones({1 << 24})).item<float>() > 0);  // leaves a free cached region
  const FakeStats before = stats();
  fail_next("cuMemAlloc_v2", 2);         // CUDA_ERROR_OUT_OF_MEMORY, once
  tf::Tensor big = tf::ones({1 << 25});  // 128 MiB: a new region
  CHECK(tf::reduce_sum(big).item<float>() == static_cast<float>(1 << 25));
  CHECK(stats().failures_injected == before.failures_injected + 1);
  CHECK(stats().bytes_allocated >= (int64_t{1} << 27));  // (cached regions were released)
  fail_next("cuMemAlloc_v2", 2, 1000);
  CHECK_THROWS_AS(tf::ones({1 << 28}), tf::ResourceExhaustedError);
  fail_next("cuMemAlloc_v2", 0, 0);
  CHECK((warm + 1.f).item<float>() == 2.f);
  CHECK(tf::reduce_sum(big).item<float>() == static_cast<float>(1 << 25));
  // Another failure is not mistaken for a full device.
  fail_next("cuMemAlloc_v2", 700);  // CUDA_ERROR_ILLEGAL_ADDRESS
  CHECK_THROWS_WITH(tf::ones({1 << 28}),
                    Catch::Contains("cuMemAlloc") && Catch::Contains("CUDA_ERROR_ILLEGAL_ADDRESS"));
  CHECK((warm + 1.f).item<float>() == 2.f);
}

TEST_CASE("a failed CUDA Graph capture leaves a function launching step by step, saying why",
          "[fake_gpu][function]") {
  tf::Tensor x = tf::constant({0.f, 1.f, 2.f});
  // Two kernels (a reduction, then the product): one kernel alone is never graphed.
  auto f = tf::function([](const tf::Tensor& t) { return tf::tanh(t) * tf::reduce_sum(t); });
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  fail_next("cuStreamBeginCapture_v2", 900);
  for (int call = 0; call < 3; ++call)
    check_close(f(x).to_vector<float>(), {0.0, 3 * std::tanh(1.0), 3 * std::tanh(2.0)});
  auto concrete = f.get_concrete_function(x);
  CHECK(concrete.device().ends_with("GPU:0"));
  CHECK_FALSE(concrete.replays_cuda_graph());
  CHECK_THAT(concrete.cuda_graph_unavailable_reason(),
             Catch::Contains("capture failed") &&
                 Catch::Contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"));
}

TEST_CASE("on a GPU, TFJIT_DUMP_DIR dumps the GPU path's stages and code sizes count its programs",
          "[fake_gpu][function]") {
  const std::string dir = std::filesystem::temp_directory_path() / "tfjit_fake_gpu_dump_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  tf::Tensor x = tf::constant({1.f, 2.f});
  auto f = tf::function([](const tf::Tensor& t) { return t * t * 5.25f; });
  setenv("TFJIT_DUMP_DIR", dir.c_str(), 1);
  tft::run_compiled_kernels_on_fake_gpu(f, x);  // compiles (and dumps) for the GPU
  unsetenv("TFJIT_DUMP_DIR");
  check_close(f(x).to_vector<float>(), {5.25, 21});
  std::vector<std::string> stages;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    stages.push_back(name.substr(name.rfind('_') + 1));
  }
  std::sort(stages.begin(), stages.end());
  CHECK(stages == std::vector<std::string>{"bufferized.txt", "linalg.txt", "optimized.txt",
                                           "ptx.txt", "traced.txt"});
  std::filesystem::remove_all(dir);

  auto concrete = f.get_concrete_function(x);
  CHECK(concrete.device().ends_with("GPU:0"));
  CHECK(concrete.code_bytes() > 0);
  CHECK(f.cache_stats().code_bytes == static_cast<int64_t>(concrete.code_bytes()));
  // Unknown dims: a program per shape, counted as it is built.
  auto g = tf::function([](const tf::Tensor& t) { return t * 3.5f; },
                        {tf::TensorSpec({tf::unknown}, tf::float32)});
  for (int64_t n : {3, 5}) tft::run_compiled_kernels_on_fake_gpu(g, tf::ones({n}));
  g(tf::ones({3}));
  const int64_t one_shape = g.cache_stats().code_bytes;
  CHECK(one_shape > 0);
  g(tf::ones({5}));
  CHECK(g.cache_stats().code_bytes > one_shape);
}

TEST_CASE("a function of one kernel launches it directly rather than replaying a CUDA Graph",
          "[fake_gpu][function]") {
  tf::Tensor x = tf::constant({0.f, 1.f, 2.f});
  auto f = tf::function([](const tf::Tensor& t) { return tf::tanh(t) * 2.f; });
  tft::run_compiled_kernels_on_fake_gpu(f, x);
  const FakeStats before = stats();
  for (int call = 0; call < 3; ++call)
    check_close(f(x).to_vector<float>(), {0.0, 2 * std::tanh(1.0), 2 * std::tanh(2.0)});
  CHECK(stats().captures == before.captures);
  auto concrete = f.get_concrete_function(x);
  CHECK(concrete.device().ends_with("GPU:0"));
  CHECK_FALSE(concrete.replays_cuda_graph());
  CHECK_THAT(concrete.cuda_graph_unavailable_reason(), Catch::Contains("at most one launch"));
}

TEST_CASE("bad input is the same typed error on the GPU as on the CPU", "[fake_gpu]") {
  auto message = [](const char* device, const std::function<void()>& f) -> std::string {
    auto scope = tf::device_scope(device);
    try {
      f();
    } catch (const tf::InvalidArgumentError& e) {
      return e.what();
    }
    return "no InvalidArgumentError";
  };
  auto compiled = tf::function([](const tf::Tensor& a) { return tf::tanh(a) + 1.f; });
  const std::vector<std::pair<const char*, std::function<void()>>> cases = {
      {"integer division by zero",
       [] {
         tf::floordiv(tf::constant({4, 5}), tf::constant({1, 0}));
       }},
      {"matmul of mismatched shapes",
       [] {
         tf::matmul(tf::ones({2, 3}), tf::ones({2, 3}));
       }},
      {"broadcast of incompatible shapes",
       [] {
         tf::add(tf::ones({2, 3}), tf::ones({4}));
       }},
      {"gather out of range",
       [] {
         tf::gather(tf::ones({3, 2}), tf::constant(std::vector<int32_t>{3}), 0);
       }},
      {"compiled function with unknown dims called with unequal sizes",
       [] {
         const tf::TensorSpec any({tf::unknown}, tf::float32);
         auto g = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return x + y; },
                               {any, any});
         g(tf::ones({3}), tf::ones({4}));
       }},
      {"compiled integer division by zero",
       [] {
         auto f = tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return a % b; });
         tf::Tensor a = tf::constant({4, 5}), b = tf::constant({1, 0});
         tft::run_compiled_kernels_on_fake_gpu(f, a, b);
         f(a, b);
       }},
      {"compiled function called with another dtype",
       [&] {
         compiled(tf::ones({3}));
         compiled(tf::constant({1, 2, 3}));
       }},
  };
  for (const auto& [what, f] : cases) {
    INFO(what);
    const std::string cpu = message("/CPU:0", f), gpu = message("/GPU:0", f);
    CHECK(cpu.find("no InvalidArgumentError") == std::string::npos);
    CHECK(gpu == cpu);
  }
}

// Run by CTest with TFJIT_FAKE_CUDA_COMPUTE_CAPABILITY=75 (tests/CMakeLists.txt): the fake GPU is
// a Turing, older than the sm_80 kernels tfjit builds by default.
TEST_CASE("a GPU older than the kernels were built for is ignored, saying why", "[.old_gpu]") {
  const char* cc = std::getenv("TFJIT_FAKE_CUDA_COMPUTE_CAPABILITY");
  REQUIRE(cc);
  REQUIRE(std::string(cc) == "75");
  CHECK_FALSE(tf::test::is_gpu_available());
  CHECK(tf::config::list_physical_devices("GPU").empty());
  CHECK_THAT(tf::test::gpu_unavailable_reason(),
             Catch::Contains("compute capability 7.5") && Catch::Contains("sm_80"));
  tf::Tensor x = tf::constant({1.f, 2.f});
  CHECK(x.device().ends_with("CPU:0"));
  CHECK((x * 2.f).to_vector<float>() == std::vector<float>{2.f, 4.f});
  auto f = tf::function([](const tf::Tensor& t) { return t + 1.f; });
  CHECK(f(x).to_vector<float>() == std::vector<float>{2.f, 3.f});
}

// A collective runs only in host code: a compiled step holding one, placed on the GPU, is
// compiled for the CPU and says why; its values are the replicas' sum.
TEST_CASE("a compiled step with an all-reduce placed on the GPU runs on the CPU", "[fake_gpu]") {
  auto group = tf::rt::collectives::create_in_process_group(2, {});
  std::vector<std::exception_ptr> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      try {
        auto impl = std::make_shared<tf::distribute::detail::StrategyImpl>(
            "TestStrategy", std::move(group[static_cast<size_t>(r)]), int64_t{1} << 20);
        auto on_gpu = tf::device_scope("/GPU:0");
        auto step = tf::function([&](const tf::Tensor& x) {
          return tf::distribute::detail::all_reduce(*impl, tf::distribute::ReduceOp::SUM, x * 2.0f);
        });
        tf::Tensor x = tf::fill({4}, static_cast<float>(r + 1));
        CHECK(step(x).to_vector<float>() == std::vector<float>(4, 6.0f));
        auto concrete = step.get_concrete_function(x);
        CHECK(concrete.device() == "/job:localhost/replica:0/task:0/device:CPU:0");
        CHECK_THAT(concrete.gpu_fallback_reason(),
                   Catch::Contains("tfjit.all_reduce runs only on the host"));
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}
