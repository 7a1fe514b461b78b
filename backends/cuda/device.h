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
  // Memory an eager kernel takes for its call (workspace, scratch) and gives back with release.
  // While the calling thread records a CUDA Graph of this device (RecordingGraph), both go
  // through the recording's pool: released memory stays with the graph, which reads it at every
  // replay, and serves later steps of the same recording (they run after it in the graph).
  void* acquire(size_t bytes);
  void release(void* ptr);
  // Whether the calling thread is recording a CUDA Graph of this device.
  bool recording() const;
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
// steps (cuDNN convolutions, scatters) enqueue there, and the memory they take and give back is
// the recording's (Device::acquire). The driver is not asked for memory meanwhile (that would end
// the capture); regions the allocator gives back are freed when the recording ends.
class RecordingGraph {
 public:
  RecordingGraph(Device& device, CUstream stream);
  // Returns the memory take_kept did not hand out to the allocator (a failed capture: nothing
  // ran), except blocks still held by whoever took them.
  ~RecordingGraph();
  RecordingGraph(const RecordingGraph&) = delete;
  RecordingGraph& operator=(const RecordingGraph&) = delete;
  // The memory the graph reads, for its owner to free with it. InternalError if memory taken
  // during the recording is still held by someone (it could not stay the graph's).
  std::vector<void*> take_kept();

  // For the allocator's source of driver memory: whether the calling thread records a graph,
  // and a region to free once it has ended.
  static bool on_this_thread();
  static void free_region_later(void* region);

 private:
  friend class Device;
  struct Block {
    void* ptr;
    size_t bytes;
  };
  Device& device_;
  CUstream stream_;
  std::vector<void*> kept_;          // every block the graph holds
  std::vector<Block> free_;          // of those, the ones released: reusable by later steps
  std::vector<Block> held_;          // taken during the recording and not yet released
  std::vector<void*> driver_frees_;  // regions the allocator gave back meanwhile
  RecordingGraph* outer_;
};

}  // namespace tf::cuda
