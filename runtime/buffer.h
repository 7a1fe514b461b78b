// Device memory owned by tensors. A Buffer is immutable once its producer has written it and is
// shared by every Tensor handle that refers to it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "tfjit/dtype.h"

namespace tf::rt {

inline constexpr size_t kBufferAlignment = 64;

enum class DeviceType : uint8_t { kCPU, kGPU };

struct Device {
  DeviceType type = DeviceType::kCPU;
  int index = 0;
  // "/job:localhost/replica:0/task:0/device:CPU:0"
  std::string name() const;
  friend bool operator==(const Device&, const Device&) = default;
};

class Buffer {
 public:
  // Allocates room for `count` elements of `dtype`, 64-byte aligned. Strings are constructed
  // empty; other dtypes are left uninitialised. Throws ResourceExhaustedError on failure.
  static std::shared_ptr<Buffer> allocate(DType dtype, int64_t count, Device device = {});
  // Wraps memory owned elsewhere (no copy); `release` runs when the last reference goes.
  static std::shared_ptr<Buffer> wrap(void* data, size_t bytes, std::function<void()> release,
                                      Device device = {});
  struct Key {  // only allocate() may construct (passkey idiom)
   private:
    friend class Buffer;
    Key() = default;
  };
  Buffer(Key, void* data, size_t bytes, DType dtype, int64_t count, Device device,
         std::function<void()> release = {})
      : data_(data),
        bytes_(bytes),
        dtype_(dtype),
        count_(count),
        device_(device),
        release_(std::move(release)) {}
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  const Device& device() const { return device_; }
  bool owned() const { return !wrapped_; }  // false for wrap()'s memory

 private:
  void* data_;
  size_t bytes_;
  DType dtype_;
  int64_t count_;
  Device device_;
  std::function<void()> release_;  // set for wrapped memory
  bool wrapped_ = false;
};

}  // namespace tf::rt
