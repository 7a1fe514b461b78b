#include "runtime/allocator.h"

#include <bit>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tf::rt {

namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMinCachedBytes = size_t{1} << 16;  // smaller blocks: malloc is fast enough
constexpr size_t kMaxCachedBytes = size_t{1} << 30;  // cap on memory held while unused

// Sizes >= kMinCachedBytes round up to one of four classes per power of two (<= 25% slack).
size_t size_class(size_t bytes) {
  if (bytes < kMinCachedBytes) return (bytes + kAlignment - 1) / kAlignment * kAlignment;
  size_t step = std::bit_floor(bytes) / 4;
  return (bytes + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t cached_bytes = 0;
};

Cache& cache() {
  // Never destroyed: buffers may be freed during static destruction.
  static Cache& c = *std::make_unique<Cache>().release();
  return c;
}

}  // namespace

void* host_allocate(size_t bytes) {
  size_t size = size_class(bytes ? bytes : 1);
  if (size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= size;
      return p;
    }
  }
  return std::aligned_alloc(kAlignment, size);
}

void host_deallocate(void* ptr, size_t bytes) {
  size_t size = size_class(bytes ? bytes : 1);
  if (size >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    if (c.cached_bytes + size <= kMaxCachedBytes) {
      c.free_blocks[size].push_back(ptr);
      c.cached_bytes += size;
      return;
    }
  }
  std::free(ptr);
}

}  // namespace tf::rt
