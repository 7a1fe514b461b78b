// tf::device_scope, device listing, memory configuration and placement state.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <iostream>
#include <mutex>
#include <vector>

#include "frontend/src/placement.h"
#include "frontend/src/tensor_impl.h"
#include "tfjit/device.h"

namespace tf {

namespace detail {

namespace {
thread_local std::vector<rt::Device> scope_stack;
std::atomic<bool> soft_placement_enabled{true};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

rt::Device parse_device(std::string_view name, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError(std::string(what) + ": invalid device name '" + std::string(name) +
                                "': " + why +
                                " (expected e.g. \"/CPU:0\", \"/GPU:0\" or "
                                "\"/job:localhost/replica:0/task:0/device:GPU:0\")");
  };
  std::string s = lower(name);
  // Strip the optional "/job:localhost/replica:0/task:0" prefix and "/device:" / "/".
  for (std::string_view prefix : {"/job:localhost", "/replica:0", "/task:0"})
    if (s.starts_with(prefix)) s.erase(0, prefix.size());
  if (s.starts_with("/job:") || s.starts_with("/replica:") || s.starts_with("/task:"))
    throw bad("only the local job, replica 0 and task 0 exist");
  if (s.starts_with("/device:"))
    s.erase(0, 8);
  else if (s.starts_with("device:"))
    s.erase(0, 7);
  else if (s.starts_with("/"))
    s.erase(0, 1);
  rt::Device d;
  if (s.starts_with("cpu:"))
    d.type = rt::DeviceType::kCPU;
  else if (s.starts_with("gpu:"))
    d.type = rt::DeviceType::kGPU;
  else
    throw bad("unknown device type");
  std::string index = s.substr(4);
  if (index.empty() || index.size() > 4 ||
      !std::all_of(index.begin(), index.end(), [](char c) { return std::isdigit(c); }))
    throw bad("the device index must be a number");
  d.index = std::stoi(index);
  if (d.type == rt::DeviceType::kCPU && d.index != 0) throw bad("there is one CPU device, CPU:0");
  return d;
}

std::optional<rt::Device> scoped_device() {
  if (scope_stack.empty()) return std::nullopt;
  return scope_stack.back();
}

rt::Device default_device() {
  static const rt::Device d =
      rt::gpu::device_count() > 0 ? rt::Device{rt::DeviceType::kGPU, 0} : rt::Device{};
  return d;
}

rt::Device creation_device(DType dtype) {
  rt::Device d = scoped_device().value_or(default_device());
  if (d.type == rt::DeviceType::kGPU &&
      (d.index >= rt::gpu::device_count() ||
       !rt::kernels(rt::DeviceType::kGPU).get<rt::CastKernel>(ops::Primitive::cast, dtype)))
    return rt::Device{};
  return d;
}

bool soft_placement() { return soft_placement_enabled.load(std::memory_order_relaxed); }

std::atomic<bool> log_placement_enabled{false};

void log_placement(std::string_view op, const rt::Device& device) {
  static std::mutex mutex;  // whole lines from concurrent threads
  std::lock_guard guard(mutex);
  std::cerr << "Executing op " << op << " in device " << device.name() << std::endl;
}

Tensor to_device(const Tensor& t, const rt::Device& device) {
  const auto& impl = *t.impl();
  if (!impl.buffer || impl.buffer->device() == device) return t;
  const rt::Device from = impl.buffer->device();
  if (impl.dtype == string)
    throw InvalidArgumentError("string tensors live on the CPU only; cannot copy one to " +
                               device.name());
  auto out = std::make_shared<TensorImpl>();
  out->shape = impl.shape;
  out->dtype = impl.dtype;
  out->buffer = rt::Buffer::allocate(impl.dtype, impl.shape.num_elements(), device);
  size_t bytes = impl.buffer->bytes();
  const void* src = impl.buffer->data();
  void* dst = out->buffer->data();
  if (from.type == rt::DeviceType::kCPU) {
    rt::gpu::copy_to_device(device.index, dst, src, bytes);
  } else if (device.type == rt::DeviceType::kCPU) {
    rt::gpu::copy_to_host(from.index, dst, src, bytes);
  } else {  // GPU to another GPU: through the host (peer access is not set up)
    std::vector<char> staging(bytes);
    rt::gpu::copy_to_host(from.index, staging.data(), src, bytes);
    rt::gpu::copy_to_device(device.index, dst, staging.data(), bytes);
    rt::gpu::synchronize(device.index);
  }
  return Tensor(std::move(out));
}

}  // namespace detail

DeviceScope::DeviceScope(std::string_view device) {
  detail::scope_stack.push_back(detail::parse_device(device, "device_scope"));
}
DeviceScope::~DeviceScope() { detail::scope_stack.pop_back(); }

namespace config {

namespace {
int gpu_ordinal(const PhysicalDevice& device, std::string_view what) {
  auto all = list_physical_devices("GPU");
  if (std::find(all.begin(), all.end(), device) == all.end())
    throw InvalidArgumentError(std::string(what) + ": '" + device.name +
                               "' is not a GPU of this machine (" + std::to_string(all.size()) +
                               " GPU(s): see list_physical_devices(\"GPU\"))");
  return std::stoi(device.name.substr(device.name.rfind(':') + 1));
}

int gpu_ordinal(std::string_view name, std::string_view what) {
  rt::Device d = detail::parse_device(name, what);
  if (d.type != rt::DeviceType::kGPU)
    throw InvalidArgumentError(std::string(what) + ": only GPU devices report memory, not '" +
                               std::string(name) + "'");
  if (d.index >= rt::gpu::device_count())
    throw InvalidArgumentError(std::string(what) + ": no device '" + std::string(name) + "' (" +
                               std::to_string(rt::gpu::device_count()) + " GPU(s))");
  return d.index;
}
}  // namespace

std::vector<PhysicalDevice> list_physical_devices(std::string_view device_type) {
  std::string type = detail::lower(device_type);
  std::vector<PhysicalDevice> out;
  if (type.empty() || type == "cpu") out.push_back({"/physical_device:CPU:0", "CPU"});
  if (type.empty() || type == "gpu")
    for (int i = 0; i < rt::gpu::device_count(); ++i)
      out.push_back({"/physical_device:GPU:" + std::to_string(i), "GPU"});
  return out;
}

std::vector<LogicalDevice> list_logical_devices(std::string_view device_type) {
  std::vector<LogicalDevice> out;
  for (const auto& p : list_physical_devices(device_type))
    out.push_back({"/device:" + p.name.substr(p.name.find(':') + 1), p.device_type});
  return out;
}

DeviceDetails get_device_details(const PhysicalDevice& device) {
  if (device.device_type == "CPU") return {};
  rt::gpu::DeviceInfo info = rt::gpu::info(gpu_ordinal(device, "get_device_details"));
  return {info.name, info.compute_capability_major, info.compute_capability_minor};
}

void set_memory_growth(const PhysicalDevice& device, bool enable) {
  rt::gpu::set_memory_growth(gpu_ordinal(device, "set_memory_growth"), enable);
}
bool get_memory_growth(const PhysicalDevice& device) {
  return rt::gpu::memory_growth(gpu_ordinal(device, "get_memory_growth"));
}

void set_logical_device_configuration(const PhysicalDevice& device,
                                      const std::vector<LogicalDeviceConfiguration>& logical) {
  int ordinal = gpu_ordinal(device, "set_logical_device_configuration");
  if (logical.size() > 1)
    throw UnimplementedError("set_logical_device_configuration: splitting " + device.name +
                             " into " + std::to_string(logical.size()) +
                             " logical devices is not supported (one configuration per GPU)");
  std::optional<size_t> bytes;
  if (!logical.empty() && logical[0].memory_limit) {
    int64_t mib = *logical[0].memory_limit;
    if (mib <= 0)
      throw InvalidArgumentError(
          "set_logical_device_configuration: memory_limit must be a "
          "positive number of MiB, got " +
          std::to_string(mib));
    bytes = static_cast<size_t>(mib) << 20;
  }
  rt::gpu::set_memory_limit(ordinal, bytes);
}

std::vector<LogicalDeviceConfiguration> get_logical_device_configuration(
    const PhysicalDevice& device) {
  auto limit = rt::gpu::memory_limit(gpu_ordinal(device, "get_logical_device_configuration"));
  if (!limit) return {};
  return {LogicalDeviceConfiguration{static_cast<int64_t>(*limit >> 20)}};
}

MemoryInfo get_memory_info(std::string_view device) {
  rt::gpu::MemoryInfo m = rt::gpu::memory_info(gpu_ordinal(device, "get_memory_info"));
  return {static_cast<int64_t>(m.current), static_cast<int64_t>(m.peak)};
}
void reset_memory_stats(std::string_view device) {
  rt::gpu::reset_peak_memory(gpu_ordinal(device, "reset_memory_stats"));
}

void set_soft_device_placement(bool enabled) { detail::soft_placement_enabled = enabled; }
bool get_soft_device_placement() { return detail::soft_placement(); }

}  // namespace config

namespace debugging {
void set_log_device_placement(bool enabled) { detail::log_placement_enabled = enabled; }
}  // namespace debugging

namespace test {
bool is_built_with_cuda() { return rt::gpu::built_with_cuda(); }
bool is_gpu_available() { return rt::gpu::device_count() > 0; }
std::string gpu_unavailable_reason() { return rt::gpu::unavailable_reason(); }
void sync_devices() {
  for (int i = 0; i < rt::gpu::device_count(); ++i)
    if (rt::gpu::initialized(i)) rt::gpu::synchronize(i);
}
}  // namespace test

}  // namespace tf
