#include "runtime/buffer.h"

#include <cstdlib>
#include <new>
#include <string>

#include "core/shape_rules.h"
#include "runtime/allocator.h"
#include "runtime/gpu.h"
#include "tfjit/errors.h"

namespace tf::rt {

std::string Device::name() const {
  return std::string("/job:localhost/replica:0/task:0/device:") +
         (type == DeviceType::kCPU ? "CPU:" : "GPU:") + std::to_string(index);
}

std::shared_ptr<Buffer> Buffer::allocate(DType dtype, int64_t count, Device device) {
  const std::optional<size_t> checked = core::checked_bytes(count, dtype_size(dtype));
  if (!checked)
    throw ResourceExhaustedError("cannot allocate " + std::to_string(count) + " " +
                                 std::string(dtype_name(dtype)) + " elements on " + device.name() +
                                 ": more than 2^62 bytes");
  const size_t bytes = *checked;
  if (device.type == DeviceType::kGPU) {
    if (dtype == string)
      throw InvalidArgumentError("string tensors live on the CPU only, not on " + device.name());
    void* data = gpu::allocate(device.index, bytes);  // throws ResourceExhaustedError
    return std::make_shared<Buffer>(Key{}, data, bytes, dtype, count, device);
  }
  void* data = host_allocate(bytes);
  if (!data)
    throw ResourceExhaustedError("out of memory allocating " + std::to_string(bytes) +
                                 " bytes on " + device.name());
  if (dtype == string) {
    auto* s = static_cast<std::string*>(data);
    for (int64_t i = 0; i < count; ++i) new (s + i) std::string();
  }
  return std::make_shared<Buffer>(Key{}, data, bytes, dtype, count, device);
}

std::shared_ptr<Buffer> Buffer::wrap(void* data, size_t bytes, std::function<void()> release,
                                     Device device) {
  auto buffer = std::make_shared<Buffer>(Key{}, data, bytes, uint8, static_cast<int64_t>(bytes),
                                         device, std::move(release));
  buffer->wrapped_ = true;
  return buffer;
}

Buffer::~Buffer() {
  if (release_) {
    release_();
    return;
  }
  if (device_.type == DeviceType::kGPU) {
    try {
      gpu::deallocate(device_.index, data_);
    } catch (const std::exception&) {
      // A destructor must not throw; cannot happen for pointers the allocator handed out.
    }
    return;
  }
  if (dtype_ == string) {
    auto* s = static_cast<std::string*>(data_);
    for (int64_t i = 0; i < count_; ++i) s[i].~basic_string();
  }
  host_deallocate(data_, bytes_);
}

}  // namespace tf::rt
