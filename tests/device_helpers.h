// What the GPU-against-CPU comparisons share (tests/device_test.cpp, device_nn_test.cpp): they
// run on a GPU when there is one and on the stand-in driver (tests/fake_cuda), and are skipped,
// saying why, elsewhere.
#pragma once

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/elementwise_cases.h"
#include "tests/helpers.h"

namespace tft {

inline bool have_gpu() { return tf::test::is_gpu_available(); }

// Catch2 v2 has no SKIP: say why, once per test case, and let the caller return.
inline bool skip_without_gpu() {
  if (have_gpu()) return false;
  WARN("skipped: no GPU available (" << tf::test::gpu_unavailable_reason() << ")");
  return true;
}

inline std::vector<double> random_values(int64_t n, Range r, tf::DType dtype, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(r.lo, r.hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) {
    x = u(rng);
    if (r.integral || !tf::is_floating(dtype)) x = std::round(x);
    if (dtype == tf::uint8) x = std::abs(x);
    if (x == 0 && r.lo > 0) x = r.hi;
  }
  return v;
}

// GPU and CPU results agree to 1e-3 (relative, absolute near zero); NaN where the other is NaN,
// the same infinity where the other is infinite (lgamma's poles).
// bfloat16 resolves only 2^-8: one float ulp of difference in a math function can round to the
// neighbouring bfloat16, so there the tolerance is one bfloat16 step.
inline void check_same(const tf::Tensor& gpu, const tf::Tensor& cpu, const std::string& what) {
  INFO(what);
  CHECK(gpu.device().ends_with("GPU:0"));
  CHECK(cpu.device().ends_with("CPU:0"));
  REQUIRE(gpu.dtype() == cpu.dtype());
  REQUIRE(gpu.shape() == cpu.shape());
  auto g = values_of(gpu), c = values_of(cpu);
  const double tolerance = gpu.dtype() == tf::bfloat16 ? 1.0 / 128 : 1e-3;
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": GPU " << g[i] << ", CPU " << c[i]);
    if (std::isnan(c[i]))
      CHECK(std::isnan(g[i]));
    else if (std::isinf(c[i]))
      CHECK(g[i] == c[i]);
    else
      CHECK(std::abs(g[i] - c[i]) <= tolerance * std::max(1.0, std::abs(c[i])));
  }
}

// How many times the stand-in driver (tests/fake_cuda) has launched the eager kernel `name` (of
// backends/cuda/kernels.cu); nullopt on a real GPU, which counts nothing.
inline std::optional<int64_t> fake_gpu_launches(const char* name) {
  const char* driver = std::getenv("TFJIT_CUDA_DRIVER");
  void* lib = driver ? dlopen(driver, RTLD_NOW | RTLD_NOLOAD) : nullptr;
  if (!lib) return std::nullopt;
  auto count =
      reinterpret_cast<int64_t (*)(const char*)>(dlsym(lib, "tfjit_fake_cuda_eager_launches"));
  dlclose(lib);  // RTLD_NOLOAD took a reference; tfjit keeps the driver loaded
  if (!count) return std::nullopt;
  return count(name);
}

// Runs f on the GPU and on the CPU (inputs made on the CPU, moved by the op itself).
template <class F>
void compare_devices(const std::string& what, F f) {
  tf::Tensor on_cpu, on_gpu;
  {
    auto scope = tf::device_scope("/CPU:0");
    on_cpu = f();
  }
  {
    auto scope = tf::device_scope("/GPU:0");
    on_gpu = f();
  }
  check_same(on_gpu, on_cpu, what);
}

}  // namespace tft
