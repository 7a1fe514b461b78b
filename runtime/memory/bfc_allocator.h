// A best-fit-with-coalescing ("BFC") caching allocator, after TensorFlow's
// tensorflow/core/common_runtime/bfc_allocator.cc. It takes large regions from a SubAllocator
// (cuMemAlloc on a GPU, malloc in tests) and carves them into 256-byte-aligned chunks, so that
// steady-state allocation never goes back to the (slow, synchronizing) device allocator.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tf::rt {

// Where the allocator gets big regions from. alloc must return memory aligned to at least
// BFCAllocator::kMinAllocationSize (256) bytes, as cuMemAlloc does.
class SubAllocator {
 public:
  virtual ~SubAllocator() = default;
  virtual void* alloc(size_t bytes) = 0;  // nullptr when the device is out of memory
  virtual void free(void* ptr, size_t bytes) = 0;
};

struct BFCOptions {
  size_t memory_limit;  // most bytes ever taken from the SubAllocator in total
  // false: take one region of memory_limit at the first allocation (TensorFlow's default
  // without set_memory_growth).
  bool allow_growth = true;
  std::string device_name = "GPU:0";  // for error messages
};

struct MemoryStats {
  size_t bytes_in_use = 0;        // sum of the rounded sizes of live allocations
  size_t peak_bytes_in_use = 0;   // since construction or the last reset_peak()
  size_t bytes_reserved = 0;      // taken from the SubAllocator and not yet given back
  size_t largest_alloc_size = 0;  // largest rounded size ever handed out
  int64_t num_allocs = 0;         // successful allocate() calls
};

class BFCAllocator {
 public:
  static constexpr size_t kMinAllocationSize = 256;  // alignment and size granularity
  static constexpr int kNumBins = 21;  // bin i: sizes in [256 * 2^i, 256 * 2^(i+1)); last: above

  BFCAllocator(std::unique_ptr<SubAllocator> sub, BFCOptions options);
  ~BFCAllocator();  // returns every region to the SubAllocator
  BFCAllocator(const BFCAllocator&) = delete;
  BFCAllocator& operator=(const BFCAllocator&) = delete;

  // 256-byte-aligned memory of at least `bytes` (bytes == 0 gives a unique minimal chunk).
  // Throws tf::ResourceExhaustedError when the memory limit or the device is exhausted; the
  // allocator stays usable afterwards.
  void* allocate(size_t bytes);
  // ptr must come from allocate (nullptr is a no-op); anything else throws tf::InternalError.
  void deallocate(void* ptr);
  size_t allocated_size(void* ptr) const;  // rounded size of the chunk; InternalError if unknown
  MemoryStats stats() const;
  void reset_peak();              // peak_bytes_in_use = bytes_in_use
  size_t release_free_regions();  // gives wholly free regions back; returns the bytes released

 private:
  // A contiguous piece of one region, either handed out or free. prev/next link the chunks of
  // the same region by address, so freeing can merge with free neighbours in O(1).
  struct Chunk {
    char* ptr = nullptr;
    size_t size = 0;  // multiple of kMinAllocationSize
    bool in_use = false;
    Chunk* prev = nullptr;
    Chunk* next = nullptr;
  };
  // Orders free chunks by (size, address): the first chunk not below a size is the best fit.
  using BinKey = std::pair<size_t, uintptr_t>;
  struct ChunkOrder {
    using is_transparent = void;
    static BinKey key(const Chunk* c) { return {c->size, reinterpret_cast<uintptr_t>(c->ptr)}; }
    bool operator()(const Chunk* a, const Chunk* b) const { return key(a) < key(b); }
    bool operator()(const Chunk* a, const BinKey& b) const { return key(a) < b; }
    bool operator()(const BinKey& a, const Chunk* b) const { return a < key(b); }
  };
  struct Region {
    char* base;
    size_t size;
  };

  static int bin_index(size_t size);
  Chunk* find_free_chunk(size_t rounded);  // best fit, removed from its bin; nullptr if none
  bool extend(size_t rounded);             // adds a region that can hold `rounded` bytes
  bool add_region(size_t bytes);
  void* hand_out(Chunk* chunk, size_t rounded);
  void insert_free(Chunk* chunk) { bins_[bin_index(chunk->size)].insert(chunk); }
  void remove_free(Chunk* chunk) { bins_[bin_index(chunk->size)].erase(chunk); }
  size_t release_free_regions_locked();
  size_t largest_free_chunk() const;
  [[noreturn]] void throw_oom(size_t bytes, size_t rounded) const;
  [[noreturn]] void throw_unknown(void* ptr, const char* what) const;

  std::unique_ptr<SubAllocator> sub_;
  BFCOptions options_;
  mutable std::mutex mutex_;
  // Every chunk, free or in use, by address. Map nodes never move, so the Chunk* in bins_ and
  // in the prev/next links stay valid until the chunk is erased here.
  std::map<uintptr_t, Chunk> chunks_;
  std::array<std::set<Chunk*, ChunkOrder>, kNumBins> bins_;
  std::vector<Region> regions_;
  size_t next_region_bytes_ = size_t{2} << 20;  // doubles with each region (TF's growth policy)
  MemoryStats stats_;
};

}  // namespace tf::rt
