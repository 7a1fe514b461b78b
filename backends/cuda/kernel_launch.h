// What the host launchers of the eager GPU kernels share (register.cpp and the kernel family
// files beside it: scan.cpp, scatter.cpp, ...): the current device, scratch memory, the dtypes
// the GPU computes, and vector plans made fixed-size kernel arguments.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/cuda/device.h"
#include "backends/cuda/launch_params.h"
#include "core/dtype_sets.h"
#include "ops/scalar.h"
#include "runtime/gpu.h"
#include "tfjit/errors.h"

namespace tf::cuda {

inline constexpr core::DTypeSet kGpuDTypes = core::kAll;  // complex64 and string stay on the CPU

inline Device& current() { return Device::get(rt::gpu::current_device()); }

// Device memory for one op's scratch, returned to the allocator when the op has enqueued its
// work (safe: the device's work is ordered on one stream), or kept for a graph recording it.
struct Scratch {
  Device& device;
  void* ptr;
  Scratch(Device& d, size_t bytes) : device(d), ptr(d.acquire(bytes)) {}
  ~Scratch() { device.release(ptr); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

inline CUdeviceptr device_ptr(const void* p) { return reinterpret_cast<CUdeviceptr>(p); }

// Calls f(dtype constant) for each dtype the GPU computes.
template <class F>
void for_gpu_dtypes(F f) {
  kernels::visit_all_dtypes([&](auto tag) {
    constexpr DType d = dtype_of_v<decltype(tag)>;
    if constexpr (kGpuDTypes.contains(d)) f(std::integral_constant<DType, d>{});
  });
}

// Copies a per-dim vector of a plan into a kernel argument's array; `op` names the op in the
// error for more than kMaxRank dims.
inline void fixed_dims(const std::vector<int64_t>& dims, int64_t (&out)[kMaxRank],
                       const std::string& op) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    throw UnimplementedError(op + " on GPU: " + std::to_string(dims.size()) +
                             " dimensions (at most " + std::to_string(kMaxRank) + ")");
  for (size_t d = 0; d < dims.size(); ++d) out[d] = dims[d];
}

}  // namespace tf::cuda
