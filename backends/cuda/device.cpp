#include "backends/cuda/device.h"
#include "backends/cuda/launch_params.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/gpu.h"
#include "tfjit/errors.h"

#ifdef TFJIT_WITH_CUDA
// The eager kernels, compiled by nvcc into a fatbin (SASS for the configured architectures plus
// PTX for newer ones) and embedded by kernel_image.S.
extern "C" const unsigned char tfjit_cuda_kernel_image[];
#endif

namespace tf::cuda {

// The innermost RecordingGraph of the calling thread.
static thread_local RecordingGraph* active_recording = nullptr;

bool RecordingGraph::on_this_thread() { return active_recording != nullptr; }
void RecordingGraph::free_region_later(void* region) {
  active_recording->driver_frees_.push_back(region);
}

namespace {

struct DeviceConfig {
  CUdevice cuda_device = 0;  // the driver's ordinal (older GPUs are left out of tfjit's)
  bool memory_growth = false;
  std::optional<size_t> memory_limit;
  std::unique_ptr<Device> device;  // set once initialised
};

struct Registry {
  std::mutex mutex;
  std::vector<DeviceConfig> devices;
  std::string reason;
};

Registry& registry() {
  // Never destroyed: tensors freed during static destruction still return device memory.
  static Registry& r = *std::make_unique<Registry>().release();
  static std::once_flag once;
  std::call_once(once, [] {
#ifndef TFJIT_WITH_CUDA
    r.reason = "tfjit was built without the CUDA toolkit";
    return;
#else
    const Driver* d = driver();
    if (!d) {
      r.reason = driver_unavailable_reason();
      return;
    }
    // The kernels' fatbin (SASS and PTX) needs a driver at least as new as the toolkit's major,
    // and compiled functions' PTX 8.1 needs CUDA 12.1.
    const int needed = std::max(TFJIT_CUDA_TOOLKIT_MAJOR * 1000, 12010);
    auto cuda_version = [](int v) {
      return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
    };
    if (d->version < needed) {
      r.reason = "the CUDA driver supports CUDA " + cuda_version(d->version) +
                 ", older than CUDA " + cuda_version(needed) +
                 " that tfjit's GPU kernels need (update the driver, or build with an older "
                 "toolkit)";
      return;
    }
    int count = 0;
    if (d->DeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
      r.reason = "the CUDA driver reports no device";
      return;
    }
    // As TensorFlow does, GPUs older than the kernels were built for are ignored, with a reason.
    for (int i = 0; i < count; ++i) {
      CUdevice dev = 0;
      int major = 0, minor = 0;
      if (d->DeviceGet(&dev, i) != CUDA_SUCCESS ||
          d->DeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) ||
          d->DeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev))
        continue;
      if (major * 10 + minor < TFJIT_CUDA_MIN_ARCH) {
        r.reason += std::string(r.reason.empty() ? "" : "; ") + "CUDA device " +
                    std::to_string(i) + " (compute capability " + std::to_string(major) + "." +
                    std::to_string(minor) + ") is ignored: tfjit's GPU kernels were built for " +
                    "sm_" + std::to_string(TFJIT_CUDA_MIN_ARCH) +
                    " and newer (TFJIT_CUDA_ARCHITECTURES)";
        continue;
      }
      r.devices.emplace_back().cuda_device = dev;
    }
#endif
  });
  return r;
}

DeviceConfig& config(Registry& r, int ordinal) {
  if (ordinal < 0 || ordinal >= static_cast<int>(r.devices.size()))
    throw InvalidArgumentError("GPU:" + std::to_string(ordinal) + " does not exist (" +
                               std::to_string(r.devices.size()) + " GPU(s) visible" +
                               (r.reason.empty() ? "" : "; " + r.reason) + ")");
  return r.devices[ordinal];
}

// Device memory straight from the driver, for the caching allocator to carve up. While the
// calling thread records a CUDA Graph, the driver would refuse (and end the capture): there is
// no more memory then, and regions given back are freed when the recording ends.
class DriverMemory : public rt::SubAllocator {
 public:
  explicit DriverMemory(const Driver& d) : driver_(d) {}
  void* alloc(size_t bytes) override {
    if (RecordingGraph::on_this_thread()) return nullptr;
    CUdeviceptr p = 0;
    CUresult result = driver_.MemAlloc(&p, bytes);
    // Out of memory is the allocator's to handle (release cached blocks, retry); any other
    // failure (a sticky error from an earlier kernel, say) is reported as it is.
    if (result == CUDA_ERROR_OUT_OF_MEMORY) return nullptr;
    check(result, "cuMemAlloc of " + std::to_string(bytes) + " bytes");
    return reinterpret_cast<void*>(p);
  }
  void free(void* ptr, size_t) override {
    if (RecordingGraph::on_this_thread())
      RecordingGraph::free_region_later(ptr);
    else
      driver_.MemFree(reinterpret_cast<CUdeviceptr>(ptr));
  }

 private:
  const Driver& driver_;
};

bool env_true(const char* name) {
  const char* v = std::getenv(name);
  return v && (std::strcmp(v, "true") == 0 || std::strcmp(v, "1") == 0);
}

// Left to the driver (local memory, module data), cuBLAS workspaces and other users.
constexpr size_t kReservedBytes = size_t{768} << 20;

}  // namespace

Device::Device(int ordinal, const Driver& driver) : ordinal_(ordinal), driver_(driver) {
  const CUdevice dev = config(registry(), ordinal).cuda_device;
  check(driver_.PrimaryCtxRetain(&context_, dev), "cuDevicePrimaryCtxRetain");
  make_current();
  int max_pitch = 0;
  check(driver_.DeviceGetAttribute(&max_pitch, CU_DEVICE_ATTRIBUTE_MAX_PITCH, dev),
        "cuDeviceGetAttribute(MAX_PITCH)");
  max_pitch_ = static_cast<size_t>(max_pitch);
  check(driver_.StreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
#ifdef TFJIT_WITH_CUDA
  // Before the allocator reserves memory, so the module's own memory is not counted as free.
  check(driver_.ModuleLoadData(&module_, tfjit_cuda_kernel_image),
        "loading tfjit's eager CUDA kernels (cuModuleLoadData)");
#endif
}

void Device::make_current() const { check(driver_.CtxSetCurrent(context_), "cuCtxSetCurrent"); }

CUstream Device::stream() const { return recording() ? active_recording->stream_ : stream_; }

bool Device::recording() const { return active_recording && &active_recording->device_ == this; }

void* Device::acquire(size_t bytes) {
  if (!recording()) return allocator_->allocate(bytes);
  RecordingGraph& r = *active_recording;
  // The smallest block released earlier in this recording that fits.
  auto fit = r.free_.end();
  for (auto it = r.free_.begin(); it != r.free_.end(); ++it)
    if (it->bytes >= bytes && (fit == r.free_.end() || it->bytes < fit->bytes)) fit = it;
  RecordingGraph::Block block;
  if (fit != r.free_.end()) {
    block = *fit;
    r.free_.erase(fit);
  } else {
    block.ptr = allocator_->allocate(bytes);
    block.bytes = block.ptr ? allocator_->allocated_size(block.ptr) : 0;
    if (block.ptr) r.kept_.push_back(block.ptr);
  }
  if (block.ptr) r.held_.push_back(block);
  return block.ptr;
}

void Device::release(void* ptr) {
  if (!recording()) return allocator_->deallocate(ptr);
  RecordingGraph& r = *active_recording;
  auto held = std::find_if(r.held_.begin(), r.held_.end(),
                           [&](const RecordingGraph::Block& b) { return b.ptr == ptr; });
  if (held != r.held_.end()) {
    r.free_.push_back(*held);
    r.held_.erase(held);
  } else {
    r.kept_.push_back(ptr);  // taken before the recording: the graph may read it too
  }
}

RecordingGraph::RecordingGraph(Device& device, CUstream stream)
    : device_(device), stream_(stream), outer_(active_recording) {
  active_recording = this;
}

std::vector<void*> RecordingGraph::take_kept() {
  if (!held_.empty())
    throw InternalError(std::to_string(held_.size()) +
                        " block(s) of device memory taken while recording a CUDA Graph are still "
                        "in use");
  free_.clear();
  return std::move(kept_);
}

RecordingGraph::~RecordingGraph() {
  active_recording = outer_;
  for (void* p : kept_)
    if (std::none_of(held_.begin(), held_.end(), [&](const Block& b) { return b.ptr == p; }))
      device_.allocator().deallocate(p);
  for (void* p : driver_frees_) driver()->MemFree(reinterpret_cast<CUdeviceptr>(p));
}

Device& Device::get(int ordinal) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  DeviceConfig& c = config(r, ordinal);
  if (!c.device) {
    auto device = std::make_unique<Device>(ordinal, *driver());
    size_t free_bytes = 0, total = 0;
    check(driver()->MemGetInfo(&free_bytes, &total), "cuMemGetInfo");
    rt::BFCOptions options;
    options.device_name = "GPU:" + std::to_string(ordinal);
    // TensorFlow's defaults: without growth, reserve (nearly) all free memory at once.
    options.memory_limit = c.memory_limit.value_or(
        free_bytes > 2 * kReservedBytes ? free_bytes - kReservedBytes : free_bytes / 2);
    options.allow_growth = c.memory_growth || env_true("TF_FORCE_GPU_ALLOW_GROWTH");
    device->allocator_ =
        std::make_unique<rt::BFCAllocator>(std::make_unique<DriverMemory>(*driver()), options);
    c.device = std::move(device);
  }
  c.device->make_current();
  return *c.device;
}

CUfunction Device::function(const char* name) {
  std::lock_guard lock(mutex_);
  if (auto it = functions_.find(name); it != functions_.end()) return it->second;
  CUfunction f = nullptr;
  check(driver_.ModuleGetFunction(&f, module_, name), std::string("cuModuleGetFunction ") + name);
  functions_.emplace(name, f);
  return f;
}

void Device::launch(const char* name, int64_t elements, void** args) {
  if (elements <= 0) return;
  constexpr unsigned kBlock = 256;
  // Grid-stride kernels: a thread per element, or per kLanes elements from kLanesFrom on
  // (launch_params.h); never more blocks than needed, nor than 65535.
  const int64_t per_block = kBlock * (elements >= kLanesFrom ? kLanes : 1);
  int64_t blocks = std::min<int64_t>((elements + per_block - 1) / per_block, 65535);
  launch(name, static_cast<unsigned>(blocks), kBlock, args);
}

void Device::launch(const char* name, unsigned grid, unsigned block, void** args) {
  CUfunction f = function(name);
  check(driver_.LaunchKernel(f, grid, 1, 1, block, 1, 1, 0, stream(), args, nullptr),
        std::string("launching CUDA kernel ") + name);
}

}  // namespace tf::cuda

namespace tf::rt::gpu {

using cuda::check;
using cuda::CUdeviceptr;

int device_count() { return static_cast<int>(cuda::registry().devices.size()); }
const std::string& unavailable_reason() { return cuda::registry().reason; }
bool built_with_cuda() {
#ifdef TFJIT_WITH_CUDA
  return true;
#else
  return false;
#endif
}

DeviceInfo info(int ordinal) {
  auto& r = cuda::registry();
  const cuda::CUdevice dev = cuda::config(r, ordinal).cuda_device;
  const cuda::Driver& d = *cuda::driver();
  DeviceInfo i;
  char name[256] = {};
  check(d.DeviceGetName(name, sizeof name, dev), "cuDeviceGetName");
  i.name = name;
  d.DeviceGetAttribute(&i.compute_capability_major,
                       cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  d.DeviceGetAttribute(&i.compute_capability_minor,
                       cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
  d.DeviceGetAttribute(&i.multiprocessors, cuda::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
  d.DeviceTotalMem(&i.total_memory, dev);
  i.driver_version = d.version;
  return i;
}

namespace {
cuda::DeviceConfig& unininitialised_config(int ordinal, const char* what) {
  auto& r = cuda::registry();
  cuda::DeviceConfig& c = cuda::config(r, ordinal);
  if (c.device)
    throw FailedPreconditionError(std::string(what) + ": GPU:" + std::to_string(ordinal) +
                                  " is already initialized (physical devices cannot be modified "
                                  "after being initialized; configure them before the first op)");
  return c;
}
}  // namespace

bool initialized(int ordinal) {
  auto& r = cuda::registry();
  std::lock_guard lock(r.mutex);
  return cuda::config(r, ordinal).device != nullptr;
}

void set_memory_growth(int ordinal, bool enabled) {
  std::lock_guard lock(cuda::registry().mutex);
  cuda::DeviceConfig& c = unininitialised_config(ordinal, "set_memory_growth");
  if (enabled && c.memory_limit)
    throw InvalidArgumentError("set_memory_growth: GPU:" + std::to_string(ordinal) +
                               " has a logical device configuration (memory_limit); memory "
                               "growth and a memory limit cannot both be set");
  c.memory_growth = enabled;
}

bool memory_growth(int ordinal) {
  auto& r = cuda::registry();
  std::lock_guard lock(r.mutex);
  return cuda::config(r, ordinal).memory_growth;
}

void set_memory_limit(int ordinal, std::optional<size_t> bytes) {
  std::lock_guard lock(cuda::registry().mutex);
  cuda::DeviceConfig& c = unininitialised_config(ordinal, "set_logical_device_configuration");
  if (bytes && c.memory_growth)
    throw InvalidArgumentError("set_logical_device_configuration: GPU:" + std::to_string(ordinal) +
                               " has memory growth enabled; memory growth and a memory limit "
                               "cannot both be set");
  c.memory_limit = bytes;
}

std::optional<size_t> memory_limit(int ordinal) {
  auto& r = cuda::registry();
  std::lock_guard lock(r.mutex);
  return cuda::config(r, ordinal).memory_limit;
}

MemoryInfo memory_info(int ordinal) {
  rt::MemoryStats s = cuda::Device::get(ordinal).allocator().stats();
  return {s.bytes_in_use, s.peak_bytes_in_use};
}

void reset_peak_memory(int ordinal) { cuda::Device::get(ordinal).allocator().reset_peak(); }

void* allocate(int ordinal, size_t bytes) { return cuda::Device::get(ordinal).acquire(bytes); }

void deallocate(int ordinal, void* ptr) {
  // Host-side bookkeeping only: no context switch, and the device exists (ptr came from it).
  auto& r = cuda::registry();
  cuda::Device* device = nullptr;
  {
    std::lock_guard lock(r.mutex);
    device = cuda::config(r, ordinal).device.get();
  }
  device->release(ptr);
}

void copy_to_device(int ordinal, void* dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return;
  auto& dev = cuda::Device::get(ordinal);
  const cuda::Driver& d = *cuda::driver();
  const std::string what =
      "copying " + std::to_string(bytes) + " bytes to GPU:" + std::to_string(ordinal);
  check(d.MemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(dst), host_src, bytes, dev.stream()), what);
  // From pageable memory the driver stages the bytes before returning, so the source may go at
  // once. From page-locked memory (a user's pinned buffer, DLPack kDLCUDAHost) the copy is still
  // queued: wait for it, as the caller may free or change the source next. (For pageable memory,
  // unknown to the driver, the plural query answers 0 where the singular one fails, which
  // compute-sanitizer reports as an API error.)
  unsigned memory_type = 0;
  const int attribute = cuda::CU_POINTER_ATTRIBUTE_MEMORY_TYPE;
  void* answer = &memory_type;
  if (d.PointerGetAttributes(1, &attribute, &answer, reinterpret_cast<CUdeviceptr>(host_src)) ==
          cuda::CUDA_SUCCESS &&
      memory_type == cuda::CU_MEMORYTYPE_HOST)
    check(d.StreamSynchronize(dev.stream()), what);
}

void copy_to_host(int ordinal, void* host_dst, const void* src, size_t bytes) {
  auto& dev = cuda::Device::get(ordinal);
  if (bytes)
    check(cuda::driver()->MemcpyDtoHAsync(host_dst, reinterpret_cast<CUdeviceptr>(src), bytes,
                                          dev.stream()),
          "copying " + std::to_string(bytes) + " bytes from GPU:" + std::to_string(ordinal));
  // Also reports errors of earlier asynchronous kernels, here where the data is read.
  check(cuda::driver()->StreamSynchronize(dev.stream()),
        "GPU:" + std::to_string(ordinal) + " stream");
}

void copy_on_device(int ordinal, void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  auto& dev = cuda::Device::get(ordinal);
  check(cuda::driver()->MemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(dst),
                                        reinterpret_cast<CUdeviceptr>(src), bytes, dev.stream()),
        "device-to-device copy on GPU:" + std::to_string(ordinal));
}

void synchronize(int ordinal) {
  auto& dev = cuda::Device::get(ordinal);
  check(cuda::driver()->StreamSynchronize(dev.stream()),
        "GPU:" + std::to_string(ordinal) + " stream");
}

void* stream(int ordinal) { return cuda::Device::get(ordinal).stream(); }

namespace {
using StreamQuery = cuda::CUresult (*)(cuda::CUstream);
constexpr cuda::CUresult kNotReady = 600;  // CUDA_ERROR_NOT_READY

// cuStreamQuery is not in driver.h's table, which the stand-in driver (tests/fake_cuda) must
// match symbol for symbol: it is looked up in the library the table came from, and where it is
// missing (the stand-in) stream_done waits for the stream instead.
StreamQuery stream_query() {
  static const StreamQuery query = []() -> StreamQuery {
    Dl_info library{};
    void* handle = nullptr;
    if (dladdr(reinterpret_cast<void*>(cuda::driver()->StreamSynchronize), &library) &&
        library.dli_fname && (handle = dlopen(library.dli_fname, RTLD_NOW | RTLD_NOLOAD)))
      return reinterpret_cast<StreamQuery>(dlsym(handle, "cuStreamQuery"));
    return nullptr;
  }();
  return query;
}
}  // namespace

bool stream_done(int ordinal) {
  auto& dev = cuda::Device::get(ordinal);
  StreamQuery query = stream_query();
  if (!query) {
    synchronize(ordinal);
    return true;
  }
  const cuda::CUresult result = query(dev.stream());
  if (result == kNotReady) return false;
  check(result, "GPU:" + std::to_string(ordinal) + " stream");
  return true;
}

bool is_device_memory(const void* ptr) {
  const cuda::Driver* d = cuda::driver();
  if (!d || !ptr) return false;
  // As in copy_to_device: the plural query answers 0 for pageable memory the driver never saw.
  unsigned memory_type = 0;
  const int attribute = cuda::CU_POINTER_ATTRIBUTE_MEMORY_TYPE;
  void* answer = &memory_type;
  return d->PointerGetAttributes(1, &attribute, &answer, reinterpret_cast<CUdeviceptr>(ptr)) ==
             cuda::CUDA_SUCCESS &&
         memory_type == cuda::CU_MEMORYTYPE_DEVICE;
}

namespace {
thread_local int current_ordinal = 0;
}
void set_current_device(int ordinal) { current_ordinal = ordinal; }
int current_device() { return current_ordinal; }

}  // namespace tf::rt::gpu
