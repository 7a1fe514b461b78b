// Devices and device memory, as tf.device, tf.config and tf.test. When a GPU is present, eager
// ops run on GPU:0 by default (TensorFlow's rule); tf::device_scope places work explicitly, and
// tensors move between devices automatically when an op needs them. An op with no GPU kernel
// for its dtype runs on the CPU (soft device placement, on by default as in TensorFlow 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjit/export.h"

TFJIT_API_BEGIN
namespace tf {

// RAII form of `with tf.device(name):`. Accepts "/CPU:0", "/GPU:0", "GPU:0", "/device:GPU:0",
// and full names "/job:localhost/replica:0/task:0/device:GPU:0" (device type in any case).
// A malformed name raises InvalidArgumentError. Scopes nest and are per thread.
class DeviceScope {
 public:
  explicit DeviceScope(std::string_view device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
};
// auto scope = tf::device_scope("/CPU:0");
[[nodiscard]] inline DeviceScope device_scope(std::string_view device) {
  return DeviceScope(device);
}

namespace config {

struct PhysicalDevice {
  std::string name;         // "/physical_device:GPU:0"
  std::string device_type;  // "CPU" or "GPU"
  friend bool operator==(const PhysicalDevice&, const PhysicalDevice&) = default;
};
struct LogicalDevice {
  std::string name;  // "/device:GPU:0"
  std::string device_type;
};
// Every device, or those of one type ("CPU", "GPU"); GPUs only when tfjit was built with CUDA
// and a driver and device are present.
std::vector<PhysicalDevice> list_physical_devices(std::string_view device_type = "");
std::vector<LogicalDevice> list_logical_devices(std::string_view device_type = "");

struct DeviceDetails {
  std::string device_name;  // "NVIDIA H100 80GB HBM3"
  int compute_capability_major = 0, compute_capability_minor = 0;
};
DeviceDetails get_device_details(const PhysicalDevice& device);

// GPU memory, with TensorFlow's semantics: by default the first use of a GPU reserves nearly all
// of its free memory for tfjit's caching allocator; with memory growth it takes memory as needed
// (also TF_FORCE_GPU_ALLOW_GROWTH=true); a logical device configuration caps it at
// memory_limit MiB. Both must be set before the GPU is initialised (its first op), else
// FailedPreconditionError, and they exclude each other (InvalidArgumentError). Non-GPU devices:
// InvalidArgumentError.
void set_memory_growth(const PhysicalDevice& device, bool enable);
bool get_memory_growth(const PhysicalDevice& device);
struct LogicalDeviceConfiguration {
  std::optional<int64_t> memory_limit;  // MiB
};
// One configuration per physical GPU (splitting a GPU into several logical ones: Unimplemented).
void set_logical_device_configuration(const PhysicalDevice& device,
                                      const std::vector<LogicalDeviceConfiguration>& logical);
std::vector<LogicalDeviceConfiguration> get_logical_device_configuration(
    const PhysicalDevice& device);

// Bytes held by tensors on a GPU ("GPU:0"), now and at the peak since the last reset.
struct MemoryInfo {
  int64_t current = 0, peak = 0;
};
MemoryInfo get_memory_info(std::string_view device);
void reset_memory_stats(std::string_view device);

// When off, an op placed on a device that does not exist or has no kernel for it raises
// InvalidArgumentError instead of running on the CPU.
void set_soft_device_placement(bool enabled);
bool get_soft_device_placement();

// TensorFlow's tf.config.experimental spellings of the same functions.
namespace experimental {
using config::get_memory_growth;
using config::get_memory_info;
using config::reset_memory_stats;
using config::set_memory_growth;
}  // namespace experimental

}  // namespace config

namespace debugging {
// tf.debugging.set_log_device_placement: while on, every eager op writes where it runs to
// std::cerr ("Executing op add in device /job:localhost/replica:0/task:0/device:GPU:0"), and
// every tf::function signature where its compiled code runs when it is compiled.
void set_log_device_placement(bool enabled);
}  // namespace debugging

namespace test {
bool is_built_with_cuda();
bool is_gpu_available();
// Why no GPU is available, or some are not: no toolkit at build time, no driver, no device, a
// driver or GPUs older than tfjit's kernels need (such GPUs are ignored, as TensorFlow does).
// "" when every GPU the driver reports is available.
std::string gpu_unavailable_reason();
// Waits until every GPU has finished the work queued so far (TensorFlow's
// tf.test.experimental.sync_devices): GPU ops are asynchronous, so timings need it.
void sync_devices();
}  // namespace test

}  // namespace tf
TFJIT_API_END
