// Where eager ops run (TensorFlow's placement rules) and moving tensors between devices.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "frontend/src/tensor_impl.h"
#include "runtime/gpu.h"
#include "runtime/kernels.h"
#include "tfjit/errors.h"
#include "tfjit/tensor.h"

namespace tf::detail {

// Parses "/GPU:0", "cpu:0", "/device:GPU:0", "/job:localhost/replica:0/task:0/device:GPU:0";
// InvalidArgumentError naming `what` otherwise.
rt::Device parse_device(std::string_view name, std::string_view what);
// The innermost tf::device_scope of this thread, if any.
std::optional<rt::Device> scoped_device();
// Where an op runs without a scope: GPU:0 when a GPU is available, else the CPU.
rt::Device default_device();
bool soft_placement();

// A copy of t on `device` (t itself when it is there already).
Tensor to_device(const Tensor& t, const rt::Device& device);
inline Tensor to_cpu(const Tensor& t) { return to_device(t, rt::Device{}); }

// The raw buffer of a concrete tensor, on whatever device it lives (for kernels).
inline const void* raw(const Tensor& t) { return t.impl()->buffer->data(); }
inline void* raw_mut(const Tensor& t) { return t.impl()->buffer->data(); }

// Where a new tensor made from host values goes: the scope's or default device when that device
// exists and computes `dtype`, else the CPU.
rt::Device creation_device(DType dtype);

// tf::debugging::set_log_device_placement: one relaxed load per eager op when off.
extern std::atomic<bool> log_placement_enabled;
void log_placement(std::string_view op, const rt::Device& device);

// Chooses the device of an eager op and its kernel there: the scope's device, else the default;
// a GPU without the kernel (or without a usable GPU) falls back to the CPU, except that a device
// requested by a scope raises InvalidArgumentError when soft placement is off. `pick` selects the
// kernel from a KernelTable.
template <class Pick>
auto place(std::string_view op, DType dtype, Pick pick) {
  using Kernel = decltype(pick(rt::kernels(rt::DeviceType::kCPU)));
  const std::optional<rt::Device> scoped = scoped_device();
  rt::Device device = scoped.value_or(default_device());
  if (device.type == rt::DeviceType::kGPU) {
    std::string missing;
    if (device.index >= rt::gpu::device_count()) {
      missing =
          "no such GPU (" + std::to_string(rt::gpu::device_count()) + " available" +
          (rt::gpu::unavailable_reason().empty() ? "" : ": " + rt::gpu::unavailable_reason()) + ")";
    } else if (Kernel k = pick(rt::kernels(rt::DeviceType::kGPU))) {
      rt::gpu::set_current_device(device.index);
      if (log_placement_enabled.load(std::memory_order_relaxed)) log_placement(op, device);
      return std::pair<rt::Device, Kernel>{device, k};
    } else {
      missing = "no GPU kernel for dtype " + std::string(dtype_name(dtype));
    }
    if (scoped && !soft_placement())  // without a scope the op simply goes where it can run
      throw InvalidArgumentError(std::string(op) + ": cannot place the op on " + device.name() +
                                 ": " + missing + " (soft device placement is off)");
    device = rt::Device{};
  }
  Kernel k = pick(rt::kernels(rt::DeviceType::kCPU));
  if (!k)
    throw UnimplementedError(std::string(op) + ": no CPU kernel for dtype " +
                             std::string(dtype_name(dtype)));
  if (log_placement_enabled.load(std::memory_order_relaxed)) log_placement(op, device);
  return std::pair<rt::Device, Kernel>{device, k};
}
// The same for the kernel registered for (id, dtype[, to]), of the family's signature Kernel.
template <class Kernel>
auto place(std::string_view op, ops::OpId id, DType dtype, DType to) {
  return place(op, dtype, [&](const rt::KernelTable& t) { return t.get<Kernel>(id, dtype, to); });
}
template <class Kernel>
auto place(std::string_view op, ops::OpId id, DType dtype) {
  return place<Kernel>(op, id, dtype, dtype);
}

}  // namespace tf::detail
