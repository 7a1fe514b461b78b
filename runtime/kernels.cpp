#include "runtime/kernels.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace tf::rt {

namespace {
std::vector<KernelFiller>& fillers(DeviceType device) {
  static std::vector<KernelFiller> cpu, gpu;
  return device == DeviceType::kCPU ? cpu : gpu;
}
std::mutex& fillers_mutex() {
  static std::mutex m;
  return m;
}
// Whether a device's table was built: a filler registered later would be lost, so it aborts.
bool& built(DeviceType device) {
  static bool cpu = false, gpu = false;
  return device == DeviceType::kCPU ? cpu : gpu;
}
KernelTable build(DeviceType device) {
  std::vector<KernelFiller> all;
  {
    std::lock_guard lock(fillers_mutex());
    built(device) = true;
    all = fillers(device);
  }
  KernelTable table;
  for (KernelFiller fill : all) fill(table);  // a GPU filler may load cuBLAS: not under the lock
  return table;
}
}  // namespace

bool register_kernels(DeviceType device, KernelFiller fill) {
  std::lock_guard lock(fillers_mutex());
  if (built(device)) {
    std::fputs("tfjit: a kernel family registered after its device's table was built\n", stderr);
    std::abort();
  }
  fillers(device).push_back(fill);
  return true;
}

// One function-local table per device, so the first CPU lookup never builds the GPU's.
const KernelTable& kernels(DeviceType device) {
  if (device == DeviceType::kCPU) {
    static const KernelTable cpu_table = build(DeviceType::kCPU);
    return cpu_table;
  }
  static const KernelTable gpu_table = build(DeviceType::kGPU);
  return gpu_table;
}

}  // namespace tf::rt
