// The BFC caching allocator, driven by a malloc-backed SubAllocator that records every region.
#include "runtime/memory/bfc_allocator.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "tfjit/errors.h"

namespace {

using Catch::Matchers::Contains;
using tf::rt::BFCAllocator;
using tf::rt::BFCOptions;

constexpr size_t KiB = size_t{1} << 10;
constexpr size_t MiB = size_t{1} << 20;

// What the test sub-allocator did; owned by the test so it outlives the allocator.
struct SubLog {
  size_t capacity = SIZE_MAX;        // alloc returns nullptr beyond this many outstanding bytes
  size_t outstanding = 0;            // bytes handed out and not yet freed
  std::vector<size_t> region_sizes;  // every successful alloc, in order
  int failed_allocs = 0;
  int frees = 0;
  int bad_frees = 0;  // frees of unknown pointers or with the wrong size (checked by the tests)
  std::map<void*, size_t> live;
};

class TestSubAllocator : public tf::rt::SubAllocator {
 public:
  explicit TestSubAllocator(SubLog& log) : log_(log) {}
  void* alloc(size_t bytes) override {
    if (bytes > log_.capacity - log_.outstanding) {
      ++log_.failed_allocs;
      return nullptr;
    }
    void* p = std::aligned_alloc(256, bytes);
    if (p == nullptr) return nullptr;
    log_.outstanding += bytes;
    log_.region_sizes.push_back(bytes);
    log_.live[p] = bytes;
    return p;
  }
  void free(void* ptr, size_t bytes) override {
    // No Catch macros here: this runs inside the allocator, possibly from its destructor.
    auto it = log_.live.find(ptr);
    if (it == log_.live.end() || it->second != bytes) {
      ++log_.bad_frees;
      return;
    }
    log_.live.erase(it);
    log_.outstanding -= bytes;
    ++log_.frees;
    std::free(ptr);
  }

 private:
  SubLog& log_;
};

char* at(void* p) { return static_cast<char*>(p); }

std::string pointer_text(void* p) {
  std::ostringstream s;
  s << p;
  return s.str();
}

}  // namespace

TEST_CASE("BFC allocator rounds sizes to 256 bytes and aligns pointers", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  for (size_t bytes : {size_t{1}, size_t{255}, size_t{256}, size_t{257}, size_t{1000}, 3 * MiB}) {
    void* p = a.allocate(bytes);
    CHECK(reinterpret_cast<uintptr_t>(p) % 256 == 0);
    CHECK(a.allocated_size(p) == (bytes + 255) / 256 * 256);
  }
  void* z1 = a.allocate(0);
  void* z2 = a.allocate(0);
  CHECK(z1 != z2);
  CHECK(a.allocated_size(z1) == 256);
  a.deallocate(z1);
  a.deallocate(z2);
}

TEST_CASE("BFC allocator reuses a freed block instead of growing", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  void* p = a.allocate(1000);
  size_t reserved = a.stats().bytes_reserved;
  CHECK(reserved == 2 * MiB);
  a.deallocate(p);
  void* q = a.allocate(900);
  CHECK(q == p);
  CHECK(a.stats().bytes_reserved == reserved);
  CHECK(log.region_sizes.size() == 1);
  a.deallocate(q);
}

TEST_CASE("BFC allocator splits a large free chunk and coalesces neighbours on free", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  void* pa = a.allocate(256 * KiB);
  void* pb = a.allocate(256 * KiB);
  void* pc = a.allocate(256 * KiB);
  void* pd = a.allocate(256 * KiB);  // keeps C from merging with the region's free tail
  CHECK(at(pb) == at(pa) + 256 * KiB);
  CHECK(at(pc) == at(pb) + 256 * KiB);
  CHECK(at(pd) == at(pc) + 256 * KiB);
  REQUIRE(log.region_sizes.size() == 1);

  a.deallocate(pa);
  a.deallocate(pc);
  // A and C are separate 256 KiB holes: 512 KiB fits in neither, so it comes from the tail.
  void* big = a.allocate(512 * KiB);
  CHECK(at(big) == at(pd) + 256 * KiB);
  a.deallocate(big);

  a.deallocate(pb);  // merges with A before it and C after it
  void* abc = a.allocate(768 * KiB);
  CHECK(abc == pa);
  CHECK(log.region_sizes.size() == 1);
  CHECK(a.stats().bytes_reserved == 2 * MiB);

  a.deallocate(abc);
  a.deallocate(pd);  // everything merges back into one chunk spanning the region
  void* whole = a.allocate(2 * MiB);
  CHECK(whole == pa);
  CHECK(log.region_sizes.size() == 1);
  a.deallocate(whole);
}

TEST_CASE("BFC allocator picks the best-fitting free chunk", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  // Holes of 4 KiB, 1 KiB, 2 KiB, 6 KiB and 1 KiB, kept apart by live 256-byte separators.
  std::vector<void*> holes, separators;
  for (size_t size : {4 * KiB, 1 * KiB, 2 * KiB, 6 * KiB, 1 * KiB}) {
    holes.push_back(a.allocate(size));
    separators.push_back(a.allocate(256));
  }
  for (void* h : holes) a.deallocate(h);

  void* p1 = a.allocate(1536);  // smallest hole >= 1.5 KiB is the 2 KiB one
  CHECK(p1 == holes[2]);
  void* p2 = a.allocate(1 * KiB);  // two equal 1 KiB holes: the lower address wins
  CHECK(p2 == holes[1]);
  void* p3 = a.allocate(1 * KiB);
  CHECK(p3 == holes[4]);
  void* p4 = a.allocate(5 * KiB);  // same size class as the 4 KiB hole, which is too small
  CHECK(p4 == holes[3]);
  void* p5 = a.allocate(3000);  // splits the 4 KiB hole, leaving 1 KiB after it
  CHECK(p5 == holes[0]);
  void* p6 = a.allocate(1 * KiB);
  CHECK(at(p6) == at(holes[0]) + 3 * KiB);
  CHECK(log.region_sizes.size() == 1);
  for (void* p : {p1, p2, p3, p4, p5, p6}) a.deallocate(p);
  for (void* s : separators) a.deallocate(s);
}

TEST_CASE("BFC allocator grows by doubling regions up to the memory limit", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{20 * MiB});
  std::vector<void*> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(a.allocate(2 * MiB));
  // 2, 4, 8 MiB; then 16 MiB would pass the 20 MiB limit, so exactly the request each time.
  CHECK(log.region_sizes ==
        std::vector<size_t>{2 * MiB, 4 * MiB, 8 * MiB, 2 * MiB, 2 * MiB, 2 * MiB});
  CHECK(a.stats().bytes_reserved == 20 * MiB);
  CHECK_THROWS_AS(a.allocate(256), tf::ResourceExhaustedError);
  for (void* p : blocks) a.deallocate(p);

  SECTION("a request above the next region size gets a region of its own size") {
    SubLog log2;
    BFCAllocator b(std::make_unique<TestSubAllocator>(log2), BFCOptions{64 * MiB});
    void* p = b.allocate(5 * MiB);
    void* q = b.allocate(1 * MiB);
    CHECK(log2.region_sizes == std::vector<size_t>{5 * MiB, 4 * MiB});
    b.deallocate(p);
    b.deallocate(q);
  }
  SECTION("when the device cannot give the larger region, exactly the request is retried") {
    SubLog log2;
    log2.capacity = 3 * MiB;
    BFCAllocator b(std::make_unique<TestSubAllocator>(log2), BFCOptions{64 * MiB});
    void* p = b.allocate(1 * MiB);
    void* q = b.allocate(1 * MiB);
    void* r = b.allocate(1 * MiB);  // 4 MiB region refused; a 1 MiB one fits the device
    CHECK(log2.region_sizes == std::vector<size_t>{2 * MiB, 1 * MiB});
    CHECK(log2.failed_allocs == 1);
    for (void* x : {p, q, r}) b.deallocate(x);
  }
}

TEST_CASE("BFC allocator without growth reserves the whole limit at the first allocation",
          "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{10 * MiB + 100, false});
  CHECK(a.stats().bytes_reserved == 0);
  void* p = a.allocate(1);
  CHECK(log.region_sizes == std::vector<size_t>{10 * MiB});  // limit rounded down to 256
  CHECK(a.stats().bytes_reserved == 10 * MiB);
  void* q = a.allocate(10 * MiB - 256);
  CHECK(at(q) == at(p) + 256);
  CHECK_THROWS_AS(a.allocate(1), tf::ResourceExhaustedError);
  CHECK(a.release_free_regions() == 0);
  a.deallocate(p);
  a.deallocate(q);
  CHECK(log.region_sizes.size() == 1);
  CHECK(a.release_free_regions() == 10 * MiB);
  CHECK(log.outstanding == 0);
}

TEST_CASE(
    "BFC allocator out of memory throws ResourceExhaustedError naming requested and available "
    "bytes, and keeps working",
    "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB, false, "GPU:1"});
  void* pa = a.allocate(16 * MiB);
  void* pb = a.allocate(8 * MiB);
  void* pc = a.allocate(8 * MiB);
  a.deallocate(pb);  // 24 MiB in use; free: the 8 MiB hole and a 32 MiB tail
  auto before = a.stats();

  CHECK_THROWS_MATCHES(
      a.allocate(48 * MiB), tf::ResourceExhaustedError,
      Catch::Matchers::Predicate<tf::ResourceExhaustedError>([](const auto& e) {
        std::string m = e.what();
        return m.find("OOM when allocating 50331648 bytes (48.00 MiB)") != std::string::npos &&
               m.find("on GPU:1") != std::string::npos &&
               m.find("25165824 bytes in use") != std::string::npos &&
               m.find("41943040 bytes available") != std::string::npos &&
               m.find("33554432 bytes in the largest free chunk") != std::string::npos &&
               m.find("limit of 67108864") != std::string::npos;
      }));
  try {
    a.allocate(100 * MiB + 1);
    FAIL("expected ResourceExhaustedError");
  } catch (const tf::ResourceExhaustedError& e) {
    CHECK_THAT(e.what(), Contains("104857601 bytes") && Contains("GPU:1") &&
                             Contains("25165824 bytes in use") &&
                             Contains("41943040 bytes available"));
  }
  CHECK_THROWS_AS(a.allocate(SIZE_MAX), tf::ResourceExhaustedError);

  auto after = a.stats();
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.bytes_reserved == before.bytes_reserved);
  CHECK(after.num_allocs == before.num_allocs);
  void* big = a.allocate(32 * MiB);  // the largest free chunk is still whole
  CHECK(at(big) == at(pc) + 8 * MiB);
  void* hole = a.allocate(8 * MiB);
  CHECK(hole == pb);
  for (void* p : {pa, pc, big, hole}) a.deallocate(p);
}

TEST_CASE("BFC allocator releases wholly free regions and retries before reporting out of memory",
          "[bfc]") {
  SubLog log;
  log.capacity = 8 * MiB;  // the device is smaller than the allocator's limit
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  void* p = a.allocate(2 * MiB);
  void* q = a.allocate(4 * MiB);
  void* r = a.allocate(2 * MiB);  // 8 MiB refused by the device; exactly 2 MiB taken
  CHECK(log.region_sizes == std::vector<size_t>{2 * MiB, 4 * MiB, 2 * MiB});
  CHECK(log.outstanding == 8 * MiB);
  for (void* x : {p, q, r}) a.deallocate(x);

  // No cached region holds 6 MiB and the device is full: the allocator must give the cached
  // regions back and then take a 6 MiB one.
  void* big = a.allocate(6 * MiB);
  CHECK(log.frees == 3);
  CHECK(log.region_sizes.back() == 6 * MiB);
  CHECK(a.stats().bytes_reserved == 6 * MiB);
  CHECK(log.outstanding == 6 * MiB);

  // A region with a live block is never released.
  CHECK(a.release_free_regions() == 0);
  a.deallocate(big);
  CHECK(a.release_free_regions() == 6 * MiB);
  CHECK(a.stats().bytes_reserved == 0);
  CHECK(log.outstanding == 0);
}

TEST_CASE("BFC allocator tracks bytes in use and peak, and reset_peak", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  void* p = a.allocate(1000);  // 1024
  void* q = a.allocate(3 * MiB);
  auto s = a.stats();
  CHECK(s.bytes_in_use == 1024 + 3 * MiB);
  CHECK(s.peak_bytes_in_use == 1024 + 3 * MiB);
  CHECK(s.num_allocs == 2);
  CHECK(s.largest_alloc_size == 3 * MiB);
  CHECK(s.bytes_reserved == 2 * MiB + 4 * MiB);
  a.deallocate(q);
  s = a.stats();
  CHECK(s.bytes_in_use == 1024);
  CHECK(s.peak_bytes_in_use == 1024 + 3 * MiB);
  a.reset_peak();
  CHECK(a.stats().peak_bytes_in_use == 1024);
  void* r = a.allocate(512);
  CHECK(a.stats().peak_bytes_in_use == 1024 + 512);
  CHECK(a.stats().num_allocs == 3);
  CHECK(a.stats().largest_alloc_size == 3 * MiB);
  a.deallocate(p);
  a.deallocate(r);
  CHECK(a.stats().bytes_in_use == 0);
}

TEST_CASE("BFC allocator rejects a pointer it did not allocate with InternalError", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{64 * MiB});
  void* p = a.allocate(1024);
  void* q = a.allocate(1024);
  int on_stack = 0;
  CHECK_THROWS_WITH(a.deallocate(&on_stack), Contains(pointer_text(&on_stack)));
  CHECK_THROWS_AS(a.deallocate(&on_stack), tf::InternalError);
  CHECK_THROWS_AS(a.deallocate(at(p) + 256), tf::InternalError);  // inside a block
  CHECK_THROWS_AS(a.allocated_size(at(p) + 256), tf::InternalError);
  CHECK_NOTHROW(a.deallocate(nullptr));
  a.deallocate(q);
  CHECK_THROWS_AS(a.deallocate(q), tf::InternalError);  // double free, merged into the tail
  a.deallocate(p);
  CHECK_THROWS_WITH(a.deallocate(p), Contains(pointer_text(p)));  // double free at region start
  CHECK(a.stats().bytes_in_use == 0);
}

TEST_CASE("BFC allocator survives random allocate/free with no overlap or corruption", "[bfc]") {
  SubLog log;
  auto a = std::make_unique<BFCAllocator>(std::make_unique<TestSubAllocator>(log),
                                          BFCOptions{1024 * MiB});
  struct Block {
    size_t size;     // requested
    size_t rounded;  // allocated_size
    unsigned char tag;
  };
  std::map<uintptr_t, Block> live;  // start address -> block
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> log_size(0.0, 20.0);  // log2 of 1..1 MiB
  size_t in_use = 0;
  int ops = 0;

  auto free_block = [&](std::map<uintptr_t, Block>::iterator it) {
    auto* p = reinterpret_cast<unsigned char*>(it->first);
    const Block& b = it->second;
    bool intact = true;
    for (size_t i = 0; i < b.size; ++i) intact &= p[i] == b.tag;
    REQUIRE(intact);
    in_use -= b.rounded;
    a->deallocate(p);
    live.erase(it);
  };

  for (; ops < 20000; ++ops) {
    if (live.empty() || rng() % 100 < 55) {
      size_t size = static_cast<size_t>(std::exp2(log_size(rng)));
      auto* p = static_cast<unsigned char*>(a->allocate(size));
      size_t rounded = a->allocated_size(p);
      REQUIRE(rounded >= size);
      REQUIRE(reinterpret_cast<uintptr_t>(p) % 256 == 0);
      uintptr_t start = reinterpret_cast<uintptr_t>(p);
      auto next = live.lower_bound(start);
      if (next != live.end()) REQUIRE(start + rounded <= next->first);
      if (next != live.begin()) {
        auto prev = std::prev(next);
        REQUIRE(prev->first + prev->second.rounded <= start);
      }
      auto tag = static_cast<unsigned char>(rng());
      std::memset(p, tag, size);
      live.emplace(start, Block{size, rounded, tag});
      in_use += rounded;
    } else {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      free_block(it);
    }
    REQUIRE(a->stats().bytes_in_use == in_use);
    if (ops % 2500 == 0) a->release_free_regions();  // regions come and go mid-run
    REQUIRE(a->stats().bytes_reserved == log.outstanding);
  }
  while (!live.empty()) free_block(live.begin());
  auto s = a->stats();
  CHECK(s.bytes_in_use == 0);
  CHECK(s.num_allocs > 10000);
  CHECK(a->release_free_regions() == s.bytes_reserved);
  CHECK(a->stats().bytes_reserved == 0);
  CHECK(log.outstanding == 0);
  CHECK(log.live.empty());
  CHECK(log.bad_frees == 0);
}

TEST_CASE("BFC allocator is safe to use from several threads", "[bfc]") {
  SubLog log;
  BFCAllocator a(std::make_unique<TestSubAllocator>(log), BFCOptions{256 * MiB});
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&a, &failures, t] {
      std::mt19937 rng(t);
      std::vector<std::pair<unsigned char*, size_t>> mine;
      for (int i = 0; i < 2000; ++i) {
        if (mine.empty() || rng() % 2 == 0) {
          size_t size = 1 + rng() % (64 * KiB);
          auto* p = static_cast<unsigned char*>(a.allocate(size));
          std::memset(p, t + 1, size);
          mine.emplace_back(p, size);
        } else {
          auto [p, size] = mine.back();
          mine.pop_back();
          for (size_t k = 0; k < size; ++k) failures[t] += p[k] != t + 1;
          a.deallocate(p);
        }
      }
      for (auto [p, size] : mine) a.deallocate(p);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<int>(4, 0));
  CHECK(a.stats().bytes_in_use == 0);
}
