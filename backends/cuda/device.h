// One CUDA device as the eager kernels use it: its primary context, one stream on which all of
// its work is ordered (so memory freed by a tensor is safe to reuse at once, as in TensorFlow),
// its caching allocator, and the eager kernel image built by nvcc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cuda/driver.h"
#include "runtime/memory/bfc_allocator.h"

namespace tf::cuda {

class Device {
 public:
  // The device for `ordinal`, initialised on first use (context, stream, allocator).
  static Device& get(int ordinal);

  // The stream this device's work goes to: its own, or the capture stream while the calling
  // thread records a CUDA Graph of it (RecordingGraph).
  CUstream stream() const;
  // The widest pitch cuMemcpy2D accepts (2^31 - 1 bytes on current GPUs).
  size_t max_pitch() const { return max_pitch_; }
  rt::BFCAllocator& allocator() { return *allocator_; }
  // Returns memory an eager kernel took for its call (workspace, scratch) to the allocator; while
  // the calling thread records a CUDA Graph of this device, keeps it for the graph instead.
  void release(void* ptr);
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

// While alive, the calling thread records `device`'s work into a CUDA Graph on `stream` (a
// compiled program capturing its steps, backends/cuda/program.cpp): eager kernels called as
// steps (cuDNN convolutions, scatters) enqueue there, and the memory they release is kept, as
// the graph reads it at every replay, until take_kept() hands it to the graph's owner.
class RecordingGraph {
 public:
  RecordingGraph(const Device& device, CUstream stream);
  ~RecordingGraph();
  RecordingGraph(const RecordingGraph&) = delete;
  RecordingGraph& operator=(const RecordingGraph&) = delete;
  std::vector<void*> take_kept() { return std::move(kept_); }

 private:
  friend class Device;
  const Device& device_;
  CUstream stream_;
  std::vector<void*> kept_;
  RecordingGraph* outer_;
};

}  // namespace tf::cuda
