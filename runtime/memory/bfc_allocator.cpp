#include "runtime/memory/bfc_allocator.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <limits>
#include <sstream>

#include "tfjit/errors.h"

namespace tf::rt {

namespace {

constexpr size_t kMin = BFCAllocator::kMinAllocationSize;

uintptr_t address(const void* p) { return reinterpret_cast<uintptr_t>(p); }
size_t round_down(size_t bytes) { return bytes / kMin * kMin; }

std::string human_bytes(size_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 6) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f %s", value, kUnits[unit]);
  return buf;
}

}  // namespace

BFCAllocator::BFCAllocator(std::unique_ptr<SubAllocator> sub, BFCOptions options)
    : sub_(std::move(sub)), options_(std::move(options)) {}

BFCAllocator::~BFCAllocator() {
  // Live allocations die with the allocator: their memory belongs to the regions.
  for (const Region& r : regions_) sub_->free(r.base, r.size);
}

int BFCAllocator::bin_index(size_t size) {
  int i = static_cast<int>(std::bit_width(size / kMin)) - 1;
  return std::clamp(i, 0, kNumBins - 1);
}

BFCAllocator::Chunk* BFCAllocator::find_free_chunk(size_t rounded) {
  // Bins hold disjoint, increasing size ranges, so the first fit found scanning upward is the
  // smallest fitting chunk overall; within a bin, (size, address) order breaks ties by address.
  for (int b = bin_index(rounded); b < kNumBins; ++b) {
    auto it = bins_[b].lower_bound(BinKey{rounded, 0});
    if (it == bins_[b].end()) continue;
    Chunk* chunk = *it;
    bins_[b].erase(it);
    return chunk;
  }
  return nullptr;
}

bool BFCAllocator::add_region(size_t bytes) {
  void* mem = sub_->alloc(bytes);
  if (mem == nullptr) return false;
  if (address(mem) % kMin != 0) {
    sub_->free(mem, bytes);
    std::ostringstream msg;
    msg << "BFC allocator on " << options_.device_name << ": SubAllocator returned " << mem
        << ", which is not " << kMin << "-byte aligned";
    throw InternalError(msg.str());
  }
  char* base = static_cast<char*>(mem);
  regions_.push_back(Region{base, bytes});
  Chunk& chunk = chunks_.emplace(address(base), Chunk{base, bytes}).first->second;
  insert_free(&chunk);
  stats_.bytes_reserved += bytes;
  return true;
}

bool BFCAllocator::extend(size_t rounded) {
  size_t available = round_down(options_.memory_limit - stats_.bytes_reserved);
  if (rounded > available) return false;
  // Without growth the whole limit is one region, taken once (until released).
  if (!options_.allow_growth) return add_region(available);

  size_t bytes = std::max(rounded, next_region_bytes_);
  if (bytes > available) bytes = rounded;  // the doubled size would pass the limit
  // A device too full for the larger region may still fit exactly the request.
  bool ok = add_region(bytes) || (bytes != rounded && add_region(rounded));
  if (ok && next_region_bytes_ <= std::numeric_limits<size_t>::max() / 2) next_region_bytes_ *= 2;
  return ok;
}

void* BFCAllocator::hand_out(Chunk* chunk, size_t rounded) {
  // Split rule: split whenever the remainder is >= 256 bytes (always, as sizes are multiples
  // of 256), so a chunk's size is exactly the rounded request.
  if (chunk->size - rounded >= kMin) {
    char* rest_ptr = chunk->ptr + rounded;
    Chunk& rest =
        chunks_.emplace(address(rest_ptr), Chunk{rest_ptr, chunk->size - rounded}).first->second;
    rest.prev = chunk;
    rest.next = chunk->next;
    if (chunk->next != nullptr) chunk->next->prev = &rest;
    chunk->next = &rest;
    chunk->size = rounded;
    insert_free(&rest);
  }
  chunk->in_use = true;
  stats_.bytes_in_use += chunk->size;
  stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  stats_.largest_alloc_size = std::max(stats_.largest_alloc_size, chunk->size);
  ++stats_.num_allocs;
  return chunk->ptr;
}

void* BFCAllocator::allocate(size_t bytes) {
  std::lock_guard lock(mutex_);
  if (bytes > std::numeric_limits<size_t>::max() - kMin) throw_oom(bytes, bytes);
  size_t rounded = std::max(kMin, (bytes + kMin - 1) / kMin * kMin);
  Chunk* chunk = find_free_chunk(rounded);
  if (chunk == nullptr && extend(rounded)) chunk = find_free_chunk(rounded);
  // Cached but unused regions may be what blocks a new region (limit or device full): give
  // them back and retry once. Skipped when it cannot help, so a hopeless request keeps the
  // cache; without growth the single region is wholly free only if the request exceeds it.
  if (chunk == nullptr && options_.allow_growth &&
      rounded <= options_.memory_limit - stats_.bytes_in_use && release_free_regions_locked() > 0 &&
      extend(rounded)) {
    chunk = find_free_chunk(rounded);
  }
  if (chunk == nullptr) throw_oom(bytes, rounded);
  return hand_out(chunk, rounded);
}

void BFCAllocator::deallocate(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard lock(mutex_);
  auto it = chunks_.find(address(ptr));
  if (it == chunks_.end() || !it->second.in_use) throw_unknown(ptr, "deallocate");
  Chunk* chunk = &it->second;
  chunk->in_use = false;
  stats_.bytes_in_use -= chunk->size;

  // Coalesce with free neighbours so that a later large request can reuse the space.
  auto absorb_next = [this](Chunk* c) {
    Chunk* next = c->next;
    c->size += next->size;
    c->next = next->next;
    if (next->next != nullptr) next->next->prev = c;
    chunks_.erase(address(next->ptr));
  };
  if (chunk->next != nullptr && !chunk->next->in_use) {
    remove_free(chunk->next);
    absorb_next(chunk);
  }
  if (chunk->prev != nullptr && !chunk->prev->in_use) {
    chunk = chunk->prev;
    remove_free(chunk);  // before its size (part of the bin key) changes
    absorb_next(chunk);
  }
  insert_free(chunk);
}

size_t BFCAllocator::allocated_size(void* ptr) const {
  std::lock_guard lock(mutex_);
  auto it = chunks_.find(address(ptr));
  if (it == chunks_.end() || !it->second.in_use) throw_unknown(ptr, "allocated_size");
  return it->second.size;
}

MemoryStats BFCAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void BFCAllocator::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

size_t BFCAllocator::release_free_regions() {
  std::lock_guard lock(mutex_);
  return release_free_regions_locked();
}

size_t BFCAllocator::release_free_regions_locked() {
  size_t released = 0;
  std::erase_if(regions_, [&](const Region& r) {
    // A region is wholly free when its first chunk is free and spans all of it.
    auto it = chunks_.find(address(r.base));
    if (it->second.in_use || it->second.size != r.size) return false;
    remove_free(&it->second);
    chunks_.erase(it);
    sub_->free(r.base, r.size);
    stats_.bytes_reserved -= r.size;
    released += r.size;
    return true;
  });
  return released;
}

size_t BFCAllocator::largest_free_chunk() const {
  for (int b = kNumBins - 1; b >= 0; --b) {
    if (!bins_[b].empty()) return (*bins_[b].rbegin())->size;
  }
  return 0;
}

void BFCAllocator::throw_oom(size_t bytes, size_t rounded) const {
  size_t limit = options_.memory_limit;
  std::ostringstream msg;
  msg << "OOM when allocating " << bytes << " bytes (" << human_bytes(bytes) << ")";
  if (rounded != bytes) msg << " (rounded to " << rounded << ")";
  msg << " on " << options_.device_name << ": " << stats_.bytes_in_use << " bytes in use, "
      << limit - stats_.bytes_in_use << " bytes available under the limit of " << limit
      << " bytes (" << human_bytes(limit) << "), " << largest_free_chunk()
      << " bytes in the largest free chunk, " << stats_.bytes_reserved << " bytes reserved";
  throw ResourceExhaustedError(msg.str());
}

void BFCAllocator::throw_unknown(void* ptr, const char* what) const {
  std::ostringstream msg;
  msg << "BFC allocator on " << options_.device_name << ": " << what << " got pointer " << ptr
      << ", which is not a live allocation of this allocator (never allocated, already freed, "
         "or not the start of a block)";
  throw InternalError(msg.str());
}

}  // namespace tf::rt
