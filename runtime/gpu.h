// The GPU runtime as the rest of tfjit sees it: device discovery, memory configuration and
// statistics, device memory and copies. Implemented by backends/cuda (device.cpp); with no
// usable GPU every query answers "none" and nothing here throws except the memory functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tfjit/dtype.h"

namespace tf::rt::gpu {

// Number of usable GPUs: 0 when tfjit was built without the CUDA toolkit, when no driver loads,
// or when the driver sees no device (then `unavailable_reason` says which).
int device_count();
const std::string& unavailable_reason();
bool built_with_cuda();

struct DeviceInfo {
  std::string name;  // "NVIDIA H100 80GB HBM3"
  int compute_capability_major = 0, compute_capability_minor = 0;
  int multiprocessors = 0;
  size_t total_memory = 0;
  int driver_version = 0;
};
DeviceInfo info(int ordinal);

// Memory configuration, as tf.config: only before the device is initialised (its first
// allocation); afterwards FailedPreconditionError. Growth and a logical memory limit exclude
// each other, as in TensorFlow.
bool initialized(int ordinal);
void set_memory_growth(int ordinal, bool enabled);
bool memory_growth(int ordinal);
void set_memory_limit(int ordinal, std::optional<size_t> bytes);
std::optional<size_t> memory_limit(int ordinal);

struct MemoryInfo {
  size_t current = 0, peak = 0;
};
MemoryInfo memory_info(int ordinal);
void reset_peak_memory(int ordinal);

// Device memory from the caching allocator (ResourceExhaustedError when out of memory, with the
// requested and available bytes), and copies ordered on the device's stream.
void* allocate(int ordinal, size_t bytes);
void deallocate(int ordinal, void* ptr);
void copy_to_device(int ordinal, void* dst, const void* host_src, size_t bytes);
void copy_to_host(int ordinal, void* host_dst, const void* src, size_t bytes);  // waits
void copy_on_device(int ordinal, void* dst, const void* src, size_t bytes);
void synchronize(int ordinal);

// Temporary device memory from `allocate`, returned when it goes (safe once the work using it is
// enqueued: a device's work is ordered on its stream). No allocation for 0 bytes.
class DeviceMemory {
 public:
  DeviceMemory(int ordinal, size_t bytes)
      : ordinal_(ordinal), bytes_(bytes), ptr_(bytes ? allocate(ordinal, bytes) : nullptr) {}
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  ~DeviceMemory() {
    if (ptr_) deallocate(ordinal_, ptr_);
  }
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  int ordinal_;
  size_t bytes_;
  void* ptr_;
};

// For a library that enqueues its own work on a GPU (NCCL: backends/nccl) and must bound its
// waits: the device's stream (a CUstream, which is the CUDA runtime's cudaStream_t too), with the
// device's context made current on the calling thread, so that the library's runtime calls find
// this GPU; whether all work enqueued on it so far has finished, without waiting (an error of
// that work raises as in synchronize); and whether `ptr` is device memory (not host memory,
// pageable or page-locked).
void* stream(int ordinal);
bool stream_done(int ordinal);
bool is_device_memory(const void* ptr);

// Compiled functions (runtime/gpu_program.h). The NVPTX target for GPU `ordinal` ("sm_90"; newer
// GPUs get sm_90 PTX, which their driver compiles), and PTX assembled by its driver into the
// binary the disk cache keeps (InternalError with the assembler's log on failure).
std::string arch(int ordinal);
std::string assemble(int ordinal, const std::string& ptx);
// Whether GEMMs can go to cuBLAS (else compiled functions generate their GEMM kernels).
bool gemm_library_available();
// Whether convolutions can go to cuDNN (else compiled functions generate their kernels).
bool conv_library_available();

struct Program;
// A program loaded on one GPU: its kernels, constants and, once it has run, a CUDA Graph of
// all its steps. run() takes device addresses (one per argument, then per result) and is
// asynchronous on the device's stream; thread-safe.
class LoadedProgram {
 public:
  virtual ~LoadedProgram() = default;
  virtual void run(const void* const* args, void* const* results) = 0;
  // Whether the last call was one CUDA Graph launch (rather than step by step), and why graph
  // replay is off for this program, if it is ("" otherwise).
  virtual bool last_call_replayed_graph() const = 0;
  virtual std::string graph_unavailable_reason() const = 0;
};
std::unique_ptr<LoadedProgram> load(int ordinal, std::shared_ptr<const Program> program);

// The GPU that this thread's GPU kernels launch on (set by placement before a kernel runs).
void set_current_device(int ordinal);
int current_device();

}  // namespace tf::rt::gpu
