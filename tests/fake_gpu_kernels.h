// Compiled functions on the stand-in CUDA driver (tests/fake_cuda): it runs a compiled kernel
// only once a host build of it is registered for its program. On the fake,
// run_compiled_kernels_on_fake_gpu builds the kernels of f's graph for `args`
// (Graph::gpu_kernels_for_host, the same lowering as the PTX; block barriers switch the fake's
// fibers) and registers them with the PTX of the program tfjit loads (Graph::gpu_program); with
// a real driver it does nothing. HostKernelsForEveryProgram does it for every program compiled
// while it lives.
#pragma once

#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "runtime/gpu.h"
#include "runtime/gpu_program.h"
#include "tfjit/tfjit.h"

namespace tft {

// The fake driver's registration of host kernels, or null with a real driver.
using AddHostKernel = void (*)(const char*, const char*, void (*)(void**), size_t);
inline AddHostKernel fake_add_host_kernel(void (**barrier)()) {
  const char* driver = std::getenv("TFJIT_CUDA_DRIVER");
  void* lib = driver ? dlopen(driver, RTLD_NOW | RTLD_NOLOAD) : nullptr;
  if (!lib) return nullptr;
  auto add = reinterpret_cast<AddHostKernel>(dlsym(lib, "tfjit_fake_cuda_add_host_kernel"));
  *barrier = reinterpret_cast<void (*)()>(dlsym(lib, "tfjit_fake_cuda_barrier"));
  dlclose(lib);  // RTLD_NOLOAD took a reference; tfjit keeps the driver loaded
  return add && *barrier ? add : nullptr;
}

// Builds the host versions of `graph`'s kernels and registers them with `ptx`, its program's.
inline void register_host_kernels(const tf::compiler::Graph& graph,
                                  const tf::compiler::CompileOptions& options,
                                  const std::string& ptx) {
  void (*barrier)() = nullptr;
  AddHostKernel add = fake_add_host_kernel(&barrier);
  if (!add) return;
  // Kept for the process's life; never destroyed, as LLVM's JIT must not be torn down during
  // static destruction.
  static auto& registered =
      *std::make_unique<std::vector<std::unique_ptr<tf::compiler::HostKernels>>>().release();
  static std::mutex mutex;  // an observer may be called from several threads
  std::lock_guard lock(mutex);
  auto kernels = graph.gpu_kernels_for_host(options, barrier);
  for (const auto& [name, k] : kernels->kernels())
    add(ptx.c_str(), name.c_str(), k.run_thread, k.num_params);
  registered.push_back(std::move(kernels));
}

// Returns the program's PTX (empty with a real driver).
template <class F, class... Args>
std::string run_compiled_kernels_on_fake_gpu(const F& f, const Args&... args) {
  void (*barrier)() = nullptr;
  if (!fake_add_host_kernel(&barrier)) return "";
  auto graph = tf::compiler::Graph::parse(f.get_concrete_function(args...).graph("traced"));
  std::vector<tf::TensorShape> shapes;
  bool dynamic = false;
  for (const auto& a : graph->arguments()) {
    shapes.push_back(a.shape);  // captures: as traced
    dynamic |= !a.shape.is_fully_defined();
  }
  size_t i = 0;
  ((shapes.at(i++) = args.shape()), ...);
  if (dynamic) graph = graph->specialize(shapes);
  // The options tfjit's GPU path takes (frontend/src/function_gpu.cpp): library calls where the
  // stand-in libraries load.
  tf::compiler::CompileOptions options;
  options.matmul_library_call = tf::rt::gpu::gemm_library_available();
  options.device_conv_calls = tf::rt::gpu::conv_library_available();
  const std::string ptx = graph->gpu_program(tf::rt::gpu::arch(0), options).image;
  register_host_kernels(*graph, options, ptx);
  return ptx;
}

// While it lives, every GPU program tfjit compiles (the graphs of a call under a tape too, which
// no tf::function hands out) gets host versions of its kernels on the fake.
struct HostKernelsForEveryProgram {
  HostKernelsForEveryProgram() { tf::compiler::set_gpu_program_observer(&register_host_kernels); }
  ~HostKernelsForEveryProgram() { tf::compiler::set_gpu_program_observer(nullptr); }
  HostKernelsForEveryProgram(const HostKernelsForEveryProgram&) = delete;
  HostKernelsForEveryProgram& operator=(const HostKernelsForEveryProgram&) = delete;
};

}  // namespace tft
