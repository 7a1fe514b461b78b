// A stand-in for libcuda.so.1 and libcublas.so (and, in fake_cudnn.cpp, libcudnn.so.9) that runs
// on the CPU, so the host side of the GPU path (device setup, the caching allocator, copies,
// program loading, launch plans, CUDA Graph capture and replay, the row-major cuBLAS mapping)
// runs on machines without a GPU.
// "Device memory" is host memory, so copies move real bytes and the GEMM really computes, by
// the column-major BLAS definition (an independent reference for tfjit's mapping). The eager
// kernels (backends/cuda/kernels.cu) run too, compiled for the host (kernel_emulation.cpp).
// A compiled program's PTX is assembled by ptxas when $TFJIT_FAKE_CUDA_PTXAS names it (the real
// driver's JIT does the same work), and its launches are checked (a known entry point, non-empty
// grid) and counted; a kernel runs if a test registered a host build of it
// (tfjit_fake_cuda_add_host_kernel, from Graph::gpu_kernels_for_host). Work on a capturing stream
// is recorded and performed again by each graph launch; as with the real driver, a call that may
// synchronise (allocation, freeing, copies from or to pageable host memory, stream synchronisation)
// fails while a capture is in progress and invalidates it. Copies from host memory a test marked
// page-locked (tfjit_fake_cuda_pin_host) happen later, in stream order, as a DMA would.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/half.h"
#include "tests/fake_cuda/fake_internal.h"
#include "tests/fake_cuda/kernel_emulation.h"

namespace {

struct Graph {
  std::vector<std::function<void()>> work;
  int64_t kernels = 0;
  bool invalidated = false;  // a call not allowed during capture was made
};

struct Module {
  bool eager_kernels = false;  // the fatbin of kernels.cu (the only one tfjit loads)
  std::set<std::string> entries;
  size_t ptx_hash = 0;  // a compiled program's: which host kernels are its own
};

struct Function {
  std::string entry;
  size_t ptx_hash;
};

struct State {
  std::mutex mutex;
  std::map<uintptr_t, size_t> allocations;
  std::map<uintptr_t, size_t> pinned;  // page-locked host ranges (tfjit_fake_cuda_pin_host)
  // Copies from pinned memory, done later in stream order (before the next work or a sync), as
  // the DMA engine would: a source changed in between is what arrives.
  std::vector<std::function<void()>> pending_copies;
  std::set<void*> capturing;  // streams
  std::map<void*, std::unique_ptr<Graph>> recording;
  std::vector<std::unique_ptr<Module>> modules;
  std::map<void*, Function> functions;  // by handle
  std::vector<std::unique_ptr<char[]>> function_handles;
  std::vector<std::unique_ptr<Graph>> graphs;
  std::vector<std::unique_ptr<int>> streams;
  std::string linked;        // cuLinkComplete's output
  char* link_log = nullptr;  // cuLinkCreate's CU_JIT_ERROR_LOG_BUFFER
  size_t link_log_size = 0;
  std::vector<std::unique_ptr<void*>> blas_handles;  // each holds its stream
  struct HostKernel {
    void (*run_thread)(void**);
    size_t num_params;
  };
  // By program (the hash of its PTX) and entry name: programs of different functions reuse
  // entry names.
  std::map<std::pair<size_t, std::string>, HostKernel> host_kernels;
  struct Failure {
    int error, times;
  };
  std::map<std::string, Failure> failures;        // by entry point: the next calls fail
  std::map<std::string, int64_t> eager_launches;  // by kernel name (kernels.cu)
  // An H100's, or $TFJIT_FAKE_CUDA_COMPUTE_CAPABILITY ("75" for 7.5).
  int compute_capability = [] {
    const char* cc = std::getenv("TFJIT_FAKE_CUDA_COMPUTE_CAPABILITY");
    return cc && *cc ? std::atoi(cc) : 90;
  }();
  // CU_DEVICE_ATTRIBUTE_MAX_PITCH: a GPU's, or $TFJIT_FAKE_CUDA_MAX_PITCH.
  int max_pitch = [] {
    const char* pitch = std::getenv("TFJIT_FAKE_CUDA_MAX_PITCH");
    return pitch && *pitch ? std::atoi(pitch) : INT32_MAX;
  }();
};

State& state() {
  // Never destroyed: tfjit frees memory during static destruction.
  static State& s = *std::make_unique<State>().release();
  return s;
}

// A program's identity: its PTX without comments. NVPTX numbers call sequences in comments
// ("// callseq 3") from a counter that lives as long as the process, so compiling a program
// with calls twice (the test's host kernels, then tfjit) gives two texts of one program.
size_t ptx_hash(std::string_view ptx) {
  std::string code;
  for (size_t pos = 0; pos < ptx.size();) {
    size_t end = ptx.find('\n', pos);
    if (end == std::string_view::npos) end = ptx.size();
    std::string_view line = ptx.substr(pos, end - pos);
    code.append(line.substr(0, line.find("//"))).push_back('\n');
    pos = end + 1;
  }
  return std::hash<std::string>{}(code);
}

}  // namespace

// What tests read back (dlsym'd from the loaded fake).
extern "C" {
struct TfjitFakeCudaStats {
  int64_t launches = 0, graph_launches = 0, graph_kernels = 0, captures = 0, gemms = 0;
  int64_t modules_loaded = 0, modules_unloaded = 0, links = 0, bad_launches = 0;
  int64_t bytes_allocated = 0, failures_injected = 0, blas_handles = 0;
  int64_t batched_gemms = 0;  // cublasSgemmStridedBatched calls
};
TfjitFakeCudaStats tfjit_fake_cuda_stats_value;
TfjitFakeCudaStats* tfjit_fake_cuda_stats() { return &tfjit_fake_cuda_stats_value; }
// Launches of entry `entry` of a module loaded from `ptx` run `run_thread` for each thread: the
// kernel's parameters, then block index, thread index, block size and grid size, each an
// int64_t.
void tfjit_fake_cuda_add_host_kernel(const char* ptx, const char* entry, void (*run_thread)(void**),
                                     size_t num_params);
// The next `times` calls of `call` (a driver or cuBLAS entry point) fail with `error`; times 0
// clears it.
void tfjit_fake_cuda_fail_next(const char* call, int error, int times);
// What the GPU reports from now on (90 for 9.0), as if the process had moved to another GPU.
void tfjit_fake_cuda_set_compute_capability(int cc);
// Host memory [p, p + bytes) is page-locked (as by cuMemHostRegister) from now on; 0 bytes undoes.
void tfjit_fake_cuda_pin_host(const void* p, size_t bytes);
// How many times the eager kernel `name` (of kernels.cu) has been launched.
int64_t tfjit_fake_cuda_eager_launches(const char* name);
}

namespace {
TfjitFakeCudaStats& stats() { return tfjit_fake_cuda_stats_value; }

// The error a test asked `call` to fail with (tfjit_fake_cuda_fail_next), else 0.
int injected(const char* call) {
  std::lock_guard lock(state().mutex);
  auto it = state().failures.find(call);
  if (it == state().failures.end()) return 0;
  const int error = it->second.error;
  if (--it->second.times == 0) state().failures.erase(it);
  ++stats().failures_injected;
  return error;
}

// CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED for a call that may synchronise while a capture is in
// progress (which it also invalidates), else 0.
int refused_while_capturing() {
  std::lock_guard lock(state().mutex);
  if (state().capturing.empty()) return 0;
  for (void* stream : state().capturing) state().recording[stream]->invalidated = true;
  return 900;
}
void on_stream(void* stream, std::function<void()> work, bool kernel = false);

// Performs the pending copies from pinned memory.
void finish_pending_copies() {
  std::vector<std::function<void()>> copies;
  {
    std::lock_guard lock(state().mutex);
    copies.swap(state().pending_copies);
  }
  for (auto& copy : copies) copy();
}

// Runs `work` now, or records it when `stream` is capturing; a kernel (not executed) is counted.
void on_stream(void* stream, std::function<void()> work, bool kernel) {
  State& s = state();
  std::unique_lock lock(s.mutex);
  if (s.capturing.count(stream)) {
    auto& g = s.recording[stream];
    if (work) g->work.push_back(std::move(work));
    g->kernels += kernel;
    return;
  }
  lock.unlock();
  finish_pending_copies();
  if (kernel) ++stats().launches;
  if (work) work();
}

bool is_pinned(const void* p) {
  std::lock_guard lock(state().mutex);
  auto a = reinterpret_cast<uintptr_t>(p);
  auto it = state().pinned.upper_bound(a);
  return it != state().pinned.begin() && a < std::prev(it)->first + std::prev(it)->second;
}

// An element of a cuBLAS data type (library_types.h) as double, and back.
double load(const void* p, int type, size_t i) {
  switch (type) {
    case 1:  // CUDA_R_64F
      return static_cast<const double*>(p)[i];
    case 2:  // CUDA_R_16F
      return tf::half::float_from_float16(static_cast<const uint16_t*>(p)[i]);
    case 14:  // CUDA_R_16BF
      return tf::half::float_from_bfloat16(static_cast<const uint16_t*>(p)[i]);
    default:  // CUDA_R_32F
      return static_cast<const float*>(p)[i];
  }
}
void store(void* p, int type, size_t i, double v) {
  switch (type) {
    case 1:
      static_cast<double*>(p)[i] = v;
      return;
    case 2:
      static_cast<uint16_t*>(p)[i] = tf::half::float16_from_float(static_cast<float>(v));
      return;
    case 14:
      static_cast<uint16_t*>(p)[i] = tf::half::bfloat16_from_float(static_cast<float>(v));
      return;
    default:
      static_cast<float*>(p)[i] = static_cast<float>(v);
  }
}

// Column-major C = alpha op(A) op(B) + beta C, summed in double.
int gemm(void* handle, int ta, int tb, int m, int n, int k, double alpha, const void* a, int lda,
         const void* b, int ldb, double beta, void* c, int ldc, int type) {
  on_stream(*static_cast<void**>(handle), [=] {
    ++stats().gemms;
    auto at = [](int row, int col, int ld) { return static_cast<size_t>(row + col * ld); };
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        double sum = 0;
        for (int l = 0; l < k; ++l)
          sum += load(a, type, ta ? at(l, i, lda) : at(i, l, lda)) *
                 load(b, type, tb ? at(j, l, ldb) : at(l, j, ldb));
        const double old = beta == 0 ? 0 : beta * load(c, type, at(i, j, ldc));
        store(c, type, at(i, j, ldc), alpha * sum + old);
      }
  });
  return 0;
}

// Runs a launch's work; a failure (a barrier not every thread of a block reached) is a failed
// launch.
void run_or_fail(const std::function<void()>& run, const std::string& kernel) {
  try {
    run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake CUDA: kernel %s failed: %s\n", kernel.c_str(), e.what());
    ++stats().bad_launches;
  }
}
}  // namespace

extern "C" {

int cuInit(unsigned) { return 0; }
int cuDriverGetVersion(int* v) { return *v = 13000, 0; }
int cuGetErrorName(int e, const char** s) {
  *s = e == 2     ? "CUDA_ERROR_OUT_OF_MEMORY"
       : e == 218 ? "CUDA_ERROR_INVALID_PTX"
       : e == 700 ? "CUDA_ERROR_ILLEGAL_ADDRESS"
       : e == 719 ? "CUDA_ERROR_LAUNCH_FAILED"
       : e == 900 ? "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"
       : e == 901 ? "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"
                  : "CUDA_ERROR_UNKNOWN";
  return 0;
}
int cuGetErrorString(int, const char** s) { return *s = "fake driver error", 0; }
int cuDeviceGetCount(int* n) { return *n = 1, 0; }
int cuDeviceGet(int* d, int ordinal) { return *d = ordinal, ordinal == 0 ? 0 : 101; }
int cuDeviceGetName(char* name, int len, int) {
  std::strncpy(name, "tfjit fake GPU", static_cast<size_t>(len));
  return 0;
}
int cuDeviceGetAttribute(int* v, int attribute, int) {
  std::lock_guard lock(state().mutex);
  *v = state().compute_capability / 10;
  if (attribute == 76) *v = state().compute_capability % 10;
  if (attribute == 16) *v = 132;  // multiprocessors
  if (attribute == 11) *v = state().max_pitch;
  if (attribute != 75 && attribute != 76 && attribute != 16 && attribute != 11) *v = 0;
  return 0;
}
// 8 GiB, enough for the GPU rows of tfjit-bench (host memory, committed only when touched).
constexpr size_t kMemoryBytes = size_t{8} << 30;
int cuDeviceTotalMem_v2(size_t* bytes, int) { return *bytes = kMemoryBytes, 0; }
int cuDevicePrimaryCtxRetain(void** ctx, int) {
  static int context;
  return *ctx = &context, 0;
}
int cuCtxSetCurrent(void*) { return 0; }
int cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
  *free_bytes = *total = kMemoryBytes;
  return 0;
}
int cuMemAlloc_v2(uintptr_t* p, size_t bytes) {
  if (int e = injected("cuMemAlloc_v2")) return e;
  if (int e = refused_while_capturing()) return e;
  void* memory = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!memory) return 2;
  std::lock_guard lock(state().mutex);
  *p = reinterpret_cast<uintptr_t>(memory);
  state().allocations[*p] = bytes;
  stats().bytes_allocated += static_cast<int64_t>(bytes);
  return 0;
}
int cuMemFree_v2(uintptr_t p) {
  if (int e = refused_while_capturing()) return e;
  std::lock_guard lock(state().mutex);
  auto it = state().allocations.find(p);
  if (it == state().allocations.end()) return 1;
  stats().bytes_allocated -= static_cast<int64_t>(it->second);
  state().allocations.erase(it);
  std::free(reinterpret_cast<void*>(p));
  return 0;
}
int cuMemcpyHtoDAsync_v2(uintptr_t dst, const void* src, size_t n, void* stream) {
  if (is_pinned(src)) {  // fully asynchronous: the bytes are read when the copy runs
    std::lock_guard lock(state().mutex);
    state().pending_copies.push_back([=] { std::memcpy(reinterpret_cast<void*>(dst), src, n); });
    return 0;
  }
  if (int e = refused_while_capturing()) return e;       // from pageable memory
  std::string staged(static_cast<const char*>(src), n);  // pageable: staged before returning
  on_stream(stream, [=] { std::memcpy(reinterpret_cast<void*>(dst), staged.data(), n); });
  return 0;
}
int cuMemcpyDtoHAsync_v2(void* dst, uintptr_t src, size_t n, void* stream) {
  if (int e = injected("cuMemcpyDtoHAsync_v2")) return e;
  if (int e = refused_while_capturing()) return e;
  on_stream(stream, [=] { std::memcpy(dst, reinterpret_cast<const void*>(src), n); });
  return 0;
}
int cuMemcpyDtoDAsync_v2(uintptr_t dst, uintptr_t src, size_t n, void* stream) {
  on_stream(stream, [=] {
    std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), n);
  });
  return 0;
}
struct FakeMemcpy2D {  // cuda.h's CUDA_MEMCPY2D
  size_t srcXInBytes, srcY;
  int srcMemoryType;
  const void* srcHost;
  uintptr_t srcDevice;
  void* srcArray;
  size_t srcPitch;
  size_t dstXInBytes, dstY;
  int dstMemoryType;
  void* dstHost;
  uintptr_t dstDevice;
  void* dstArray;
  size_t dstPitch;
  size_t WidthInBytes, Height;
};
int cuMemcpy2DAsync_v2(const FakeMemcpy2D* c, void* stream) {
  constexpr int kDevice = 2;  // the only kind tfjit copies between with this call
  const auto max_pitch = static_cast<size_t>(state().max_pitch);
  if (c->srcMemoryType != kDevice || c->dstMemoryType != kDevice || c->WidthInBytes > c->srcPitch ||
      c->WidthInBytes > c->dstPitch || c->srcPitch > max_pitch || c->dstPitch > max_pitch)
    return 1;  // CUDA_ERROR_INVALID_VALUE
  auto* src = reinterpret_cast<const char*>(c->srcDevice) + c->srcY * c->srcPitch + c->srcXInBytes;
  auto* dst = reinterpret_cast<char*>(c->dstDevice) + c->dstY * c->dstPitch + c->dstXInBytes;
  const FakeMemcpy2D copy = *c;
  on_stream(stream, [=] {
    for (size_t r = 0; r < copy.Height; ++r)
      std::memmove(dst + r * copy.dstPitch, src + r * copy.srcPitch, copy.WidthInBytes);
  });
  return 0;
}
int cuMemsetD8Async(uintptr_t dst, unsigned char v, size_t n, void* stream) {
  on_stream(stream, [=] { std::memset(reinterpret_cast<void*>(dst), v, n); });
  return 0;
}
int cuStreamCreate(void** stream, unsigned) {
  std::lock_guard lock(state().mutex);
  *stream = state().streams.emplace_back(std::make_unique<int>()).get();
  return 0;
}
int cuStreamSynchronize(void*) {  // other work ran when enqueued
  if (int e = refused_while_capturing()) return e;
  finish_pending_copies();
  return 0;
}
int cuPointerGetAttributes(unsigned count, const int* attributes, void** data, uintptr_t ptr) {
  if (count != 1 || attributes[0] != 2) return 1;  // only CU_POINTER_ATTRIBUTE_MEMORY_TYPE
  unsigned& type = *static_cast<unsigned*>(data[0]);
  type = 0;  // pageable host memory, unknown to the driver: 0, and success
  if (is_pinned(reinterpret_cast<const void*>(ptr))) return type = 1, 0;
  std::lock_guard lock(state().mutex);
  auto it = state().allocations.upper_bound(ptr);
  if (it != state().allocations.begin() && ptr < std::prev(it)->first + std::prev(it)->second)
    type = 2;
  return 0;
}
int cuStreamDestroy_v2(void*) { return 0; }

int cuModuleLoadData(void** module, const void* image) {
  if (int e = injected("cuModuleLoadData")) return e;
  auto m = std::make_unique<Module>();
  const char* text = static_cast<const char*>(image);
  // PTX (or the fake "cubin" cuLinkComplete returns, which is the PTX): entry names are known.
  if (std::strncmp(text, "//", 2) == 0) {
    std::string ptx(text);
    m->ptx_hash = ptx_hash(ptx);
    std::regex entry(R"(\.entry (\w+)\()");
    for (auto it = std::sregex_iterator(ptx.begin(), ptx.end(), entry);
         it != std::sregex_iterator(); ++it)
      m->entries.insert((*it)[1]);
  } else {
    m->eager_kernels = true;
  }
  std::lock_guard lock(state().mutex);
  ++stats().modules_loaded;
  *module = state().modules.emplace_back(std::move(m)).get();
  return 0;
}
int cuModuleUnload(void*) {
  std::lock_guard lock(state().mutex);
  ++stats().modules_unloaded;
  return 0;
}
int cuModuleGetFunction(void** f, void* module, const char* name) {
  if (int e = injected("cuModuleGetFunction")) return e;
  auto* m = static_cast<Module*>(module);
  if (m->eager_kernels ? !tfjit_fake::is_emulated_kernel(name) : !m->entries.count(name))
    return 500;  // CUDA_ERROR_NOT_FOUND
  std::lock_guard lock(state().mutex);
  auto& handle = state().function_handles.emplace_back(std::make_unique<char[]>(1));
  state().functions[handle.get()] = {name, m->ptx_hash};
  *f = handle.get();
  return 0;
}
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned, void* stream, void** params, void**) {
  if (int e = injected("cuLaunchKernel")) return e;
  Function function;
  {
    std::lock_guard lock(state().mutex);
    if (!state().functions.count(f) || !gx || !gy || !gz || !bx || !by || !bz ||
        bx * by * bz > 1024 || !params) {
      ++stats().bad_launches;
      return 1;
    }
    function = state().functions[f];
  }
  const std::string& name = function.entry;
  if (!tfjit_fake::is_emulated_kernel(name)) {
    std::unique_lock lock(state().mutex);
    auto host = state().host_kernels.find({function.ptx_hash, name});
    if (host == state().host_kernels.end()) {
      lock.unlock();
      on_stream(stream, nullptr, /*kernel=*/true);
      return 0;
    }
    if (gy != 1 || gz != 1 || by != 1 || bz != 1) {
      ++stats().bad_launches;
      return 1;
    }
    const State::HostKernel kernel = host->second;
    lock.unlock();
    const int64_t failed = stats().bad_launches;
    // Parameters are copied at launch, as the driver does; tfjit passes 8-byte slots. Each GPU
    // thread is a fiber with its own arguments (a block's threads interleave at barriers).
    std::vector<uint64_t> values(kernel.num_params);
    for (size_t i = 0; i < kernel.num_params; ++i) std::memcpy(&values[i], params[i], 8);
    auto run = tfjit_fake::emulated_grid(
        {{gx, 1, 1}, {bx, 1, 1}}, [kernel, values, gx, bx](unsigned block, unsigned thread) {
          std::vector<uint64_t> slots = values;
          int64_t index[4] = {block, thread, bx, gx};  // block, thread, block size, grid size
          std::vector<void*> args;
          for (uint64_t& v : slots) args.push_back(&v);
          for (int64_t& i : index) args.push_back(&i);
          kernel.run_thread(args.data());
        });
    on_stream(
        stream, [run, name] { run_or_fail(run, name); }, /*kernel=*/true);
    return stats().bad_launches == failed ? 0 : 719;  // CUDA_ERROR_LAUNCH_FAILED
  }
  // An eager kernel.
  const int64_t failed = stats().bad_launches;
  {
    std::lock_guard lock(state().mutex);
    ++state().eager_launches[name];
  }
  auto run = tfjit_fake::emulated_launch(name, {{gx, gy, gz}, {bx, by, bz}}, params);
  on_stream(
      stream, [run, name] { run_or_fail(run, name); }, /*kernel=*/true);
  return stats().bad_launches == failed ? 0 : 719;  // CUDA_ERROR_LAUNCH_FAILED
}

void tfjit_fake_cuda_add_host_kernel(const char* ptx, const char* entry, void (*run_thread)(void**),
                                     size_t num_params) {
  std::lock_guard lock(state().mutex);
  state().host_kernels[{ptx_hash(ptx), entry}] = {run_thread, num_params};
}

int64_t tfjit_fake_cuda_eager_launches(const char* name) {
  std::lock_guard lock(state().mutex);
  auto it = state().eager_launches.find(name);
  return it == state().eager_launches.end() ? 0 : it->second;
}

void tfjit_fake_cuda_pin_host(const void* p, size_t bytes) {
  std::lock_guard lock(state().mutex);
  if (bytes)
    state().pinned[reinterpret_cast<uintptr_t>(p)] = bytes;
  else
    state().pinned.erase(reinterpret_cast<uintptr_t>(p));
}

void tfjit_fake_cuda_set_compute_capability(int cc) {
  std::lock_guard lock(state().mutex);
  state().compute_capability = cc;
}

void tfjit_fake_cuda_fail_next(const char* call, int error, int times) {
  std::lock_guard lock(state().mutex);
  if (times > 0)
    state().failures[call] = {error, times};
  else
    state().failures.erase(call);
}

int cuLinkCreate_v2(unsigned n, int* options, void** values, void** link) {
  static int link_state;
  state().link_log = nullptr;
  state().link_log_size = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (options[i] == 5) state().link_log = static_cast<char*>(values[i]);  // ERROR_LOG_BUFFER
    if (options[i] == 6) state().link_log_size = reinterpret_cast<size_t>(values[i]);
  }
  return *link = &link_state, 0;
}

namespace {

// Assembles `ptx` for the target it names, as the driver's JIT would; false with ptxas's messages
// in the link's error log if it does not assemble.
bool ptx_assembles(const std::string& ptx) {
  const char* ptxas = std::getenv("TFJIT_FAKE_CUDA_PTXAS");
  if (!ptxas || !*ptxas) return true;
  std::smatch target;
  std::string arch = std::regex_search(ptx, target, std::regex(R"(\.target (sm_\d+))"))
                         ? target[1].str()
                         : "sm_90";
  char path[] = "/tmp/tfjit-fake-cuda-XXXXXX.ptx";
  int fd = mkstemps(path, 4);
  if (fd < 0) return false;
  bool written = write(fd, ptx.data(), ptx.size()) == static_cast<ssize_t>(ptx.size());
  close(fd);
  std::string command = std::string(ptxas) + " -arch=" + arch + " " + path + " -o /dev/null 2>&1";
  std::string messages;
  int status = -1;
  if (written) {
    if (FILE* out = popen(command.c_str(), "r")) {
      char buffer[512];
      while (size_t n = fread(buffer, 1, sizeof buffer, out)) messages.append(buffer, n);
      status = pclose(out);
    }
  }
  unlink(path);
  if (status == 0) return true;
  if (State& s = state(); s.link_log && s.link_log_size > 0) {
    std::string log = messages.empty() ? command + " failed" : messages;
    std::snprintf(s.link_log, s.link_log_size, "%s", log.c_str());
  }
  return false;
}

}  // namespace

int cuLinkAddData_v2(void*, int type, void* data, size_t size, const char*, unsigned, int*,
                     void**) {
  if (type != 1 || size == 0 || static_cast<char*>(data)[size - 1] != 0) return 1;
  state().linked = static_cast<char*>(data);
  if (!ptx_assembles(state().linked)) return 218;  // CUDA_ERROR_INVALID_PTX
  return 0;
}
int cuLinkComplete(void*, void** cubin, size_t* size) {
  ++stats().links;
  *cubin = state().linked.data();
  *size = state().linked.size() + 1;
  return 0;
}
int cuLinkDestroy(void*) { return 0; }

int cuStreamBeginCapture_v2(void* stream, int) {
  if (int e = injected("cuStreamBeginCapture_v2")) return e;
  std::lock_guard lock(state().mutex);
  state().capturing.insert(stream);
  state().recording[stream] = std::make_unique<Graph>();
  return 0;
}
int cuStreamEndCapture(void* stream, void** graph) {
  std::lock_guard lock(state().mutex);
  state().capturing.erase(stream);
  ++stats().captures;
  if (state().recording[stream]->invalidated) {
    *graph = nullptr;
    return 901;  // CUDA_ERROR_STREAM_CAPTURE_INVALIDATED
  }
  *graph = state().graphs.emplace_back(std::move(state().recording[stream])).get();
  return 0;
}
int cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long) {
  return *exec = graph, 0;
}
int cuGraphLaunch(void* exec, void* stream) {
  if (int e = injected("cuGraphLaunch")) return e;
  auto* g = static_cast<Graph*>(exec);
  on_stream(stream, [g] {
    ++stats().graph_launches;
    stats().graph_kernels += g->kernels;
    for (auto& work : g->work) work();
  });
  return 0;
}
int cuGraphExecDestroy(void*) { return 0; }
int cuGraphDestroy(void*) { return 0; }

// cuBLAS: handles remember their stream; GEMM by the column-major definition.
int cublasCreate_v2(void** handle) {
  std::lock_guard lock(state().mutex);
  *handle = state().blas_handles.emplace_back(std::make_unique<void*>(nullptr)).get();
  ++stats().blas_handles;
  return 0;
}
int cublasDestroy_v2(void* handle) {
  std::lock_guard lock(state().mutex);
  auto& handles = state().blas_handles;
  auto it =
      std::find_if(handles.begin(), handles.end(), [&](auto& h) { return h.get() == handle; });
  if (it == handles.end()) return 1;  // CUBLAS_STATUS_NOT_INITIALIZED
  handles.erase(it);
  --stats().blas_handles;
  return 0;
}
int cublasSetStream_v2(void* handle, void* stream) {
  *static_cast<void**>(handle) = stream;
  return 0;
}
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a,
                   int lda, const float* b, int ldb, const float* beta, float* c, int ldc) {
  if (int e = injected("cublasSgemm_v2")) return e;
  return gemm(h, ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc, 0);
}
int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha,
                              const float* a, int lda, long long stride_a, const float* b, int ldb,
                              long long stride_b, const float* beta, float* c, int ldc,
                              long long stride_c, int batch) {
  if (int e = injected("cublasSgemmStridedBatched")) return e;
  ++stats().batched_gemms;
  for (int i = 0; i < batch; ++i)
    if (int e = gemm(h, ta, tb, m, n, k, *alpha, a + i * stride_a, lda, b + i * stride_b, ldb,
                     *beta, c + i * stride_c, ldc, 0))
      return e;
  return 0;
}
int cublasDgemm_v2(void* h, int ta, int tb, int m, int n, int k, const double* alpha,
                   const double* a, int lda, const double* b, int ldb, const double* beta,
                   double* c, int ldc) {
  return gemm(h, ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc, 1);
}
// float16/bfloat16 operands with float scalars (CUBLAS_COMPUTE_32F), one type for all three.
int cublasGemmEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* a,
                 int atype, int lda, const void* b, int btype, int ldb, const void* beta, void* c,
                 int ctype, int ldc, int compute, int) {
  if (atype != btype || atype != ctype || (atype != 2 && atype != 14) || compute != 68)
    return 15;  // CUBLAS_STATUS_NOT_SUPPORTED
  return gemm(h, ta, tb, m, n, k, *static_cast<const float*>(alpha), a, lda, b, ldb,
              *static_cast<const float*>(beta), c, ldc, atype);
}

}  // extern "C"

// For the stand-in cuDNN in this library (fake_cudnn.cpp, fake_internal.h).
namespace tfjit_fake {
int injected_error(const char* call) { return injected(call); }
void run_on_stream(void* stream, std::function<void()> work) { on_stream(stream, std::move(work)); }
int refused_while_capturing() { return ::refused_while_capturing(); }
}  // namespace tfjit_fake
