#include "runtime/kernels.h"

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
KernelTable build(DeviceType device) {
  std::lock_guard lock(fillers_mutex());
  KernelTable table;
  for (KernelFiller fill : fillers(device)) fill(table);
  return table;
}
}  // namespace

bool register_kernels(DeviceType device, KernelFiller fill) {
  std::lock_guard lock(fillers_mutex());
  fillers(device).push_back(fill);
  return true;
}

const KernelTable& kernels(DeviceType device) {
  static const KernelTable cpu_table = build(DeviceType::kCPU);
  static const KernelTable gpu_table = build(DeviceType::kGPU);
  return device == DeviceType::kCPU ? cpu_table : gpu_table;
}

}  // namespace tf::rt
