#include "backends/cuda/driver.h"

#include <dlfcn.h>

#include <cstdlib>

#include "tfjit/errors.h"

namespace tf::cuda {

namespace {

struct Loaded {
  Driver driver;
  bool ok = false;
  std::string reason;
};

Loaded load() {
  Loaded l;
  const char* path = std::getenv("TFJIT_CUDA_DRIVER");
  if (!path || !*path) path = "libcuda.so.1";
  // Never dlclose'd: the driver must outlive every static that frees device memory.
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* error = dlerror();
    l.reason = std::string("the CUDA driver could not be loaded (") + (error ? error : path) + ")";
    return l;
  }
#define TFJIT_X(member, symbol, type)                                           \
  l.driver.member = reinterpret_cast<type>(dlsym(handle, symbol));              \
  if (!l.driver.member) {                                                       \
    l.reason = std::string("the CUDA driver at ") + path + " lacks " + symbol + \
               " (driver too old for tfjit, which needs CUDA 12 or newer)";     \
    return l;                                                                   \
  }
  TFJIT_CUDA_DRIVER_FUNCTIONS(TFJIT_X)
#undef TFJIT_X
  if (CUresult r = l.driver.Init(0); r != CUDA_SUCCESS) {
    const char* name = nullptr;
    l.driver.GetErrorName(r, &name);
    l.reason = std::string("cuInit failed: ") + (name ? name : std::to_string(r));
    return l;
  }
  l.driver.DriverGetVersion(&l.driver.version);
  l.ok = true;
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

const Driver* driver() { return loaded().ok ? &loaded().driver : nullptr; }
const std::string& driver_unavailable_reason() { return loaded().reason; }

void check(CUresult result, const std::string& what) {
  if (result == CUDA_SUCCESS) return;
  const char* name = nullptr;
  const char* text = nullptr;
  if (const Driver* d = driver()) {
    d->GetErrorName(result, &name);
    d->GetErrorString(result, &text);
  }
  std::string message = what +
                        " failed: " + (name ? name : "CUDA error " + std::to_string(result)) +
                        (text ? std::string(" (") + text + ")" : "");
  if (result == CUDA_ERROR_OUT_OF_MEMORY) throw ResourceExhaustedError(message);
  throw InternalError(message);
}

}  // namespace tf::cuda
