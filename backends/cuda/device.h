// One CUDA device as the eager kernels use it: its primary context, one stream on which all of
// its work is ordered (so memory freed by a tensor is safe to reuse at once, as in TensorFlow),
// its caching allocator, and the eager kernel image built by nvcc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "backends/cuda/driver.h"
#include "runtime/memory/bfc_allocator.h"

namespace tf::cuda {

class Device {
 public:
  // The device for `ordinal`, initialised on first use (context, stream, allocator).
  static Device& get(int ordinal);

  CUstream stream() const { return stream_; }
  // The widest pitch cuMemcpy2D accepts (2^31 - 1 bytes on current GPUs).
  size_t max_pitch() const { return max_pitch_; }
  rt::BFCAllocator& allocator() { return *allocator_; }
  // Makes this device's context current on the calling thread (cheap when it already is).
  void make_current() const;

  // Launches kernel `name` of the eager kernel image with `args` (pointers to each argument):
  // a 1-D grid for a grid-stride kernel over `elements`, or an explicit grid.
  void launch(const char* name, int64_t elements, void** args);
  void launch(const char* name, unsigned grid, unsigned block, void** args);

  Device(int ordinal, const Driver& driver);
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

 private:
  CUfunction function(const char* name);

  int ordinal_;
  const Driver& driver_;
  CUcontext context_ = nullptr;
  CUstream stream_ = nullptr;
  size_t max_pitch_ = 0;
  std::unique_ptr<rt::BFCAllocator> allocator_;
  CUmodule module_ = nullptr;  // loaded on the first launch
  std::mutex mutex_;           // guards module_ and functions_
  std::unordered_map<std::string, CUfunction> functions_;
};

}  // namespace tf::cuda
