// runtime/parallel.cpp under ThreadSanitizer: jobs from several user threads at once (one holds
// the pool, the others run inline), nested jobs, jobs that throw, and thread counts changed
// between jobs and while they run. Every job must cover its range exactly once; a data race in the
// pool makes ThreadSanitizer report it and the process exit non-zero.
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/parallel.h"

namespace {

std::atomic<int> failures{0};

void fail(const char* what, int64_t n) {
  std::fprintf(stderr, "parallel_stress: %s (n = %lld)\n", what, static_cast<long long>(n));
  failures.fetch_add(1);
}

// One job over n elements with `grain`, each element counted; optionally a nested job per chunk.
void covered_once(int64_t n, int64_t grain, bool nested) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::vector<int> plain(static_cast<size_t>(n), 0);  // written by one chunk each: no atomics
  tf::rt::parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) plain[static_cast<size_t>(i)] += 1;
    if (nested)
      tf::rt::parallel_for(end - begin, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = begin + b; i < begin + e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
    else
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i)
    if (hits[static_cast<size_t>(i)].load() != 1 || plain[static_cast<size_t>(i)] != 1)
      return fail("an element was not covered exactly once", n);
}

void throwing_job(int64_t n) {
  try {
    tf::rt::parallel_for(n, 1, [&](int64_t begin, int64_t) {
      if (begin == 0) throw std::runtime_error("chunk failed");
    });
    fail("a chunk's exception was not rethrown", n);
  } catch (const std::runtime_error&) {
  }
}

void user_thread(int id, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    const int64_t n = 1 + (r * 37 + id * 11) % 500;
    covered_once(n, 1 + r % 7, r % 3 == 0);
    if (r % 10 == id) throwing_job(n + 8);
  }
}

}  // namespace

int main() {
  for (int threads : {2, 3, 4}) {
    tf::rt::set_parallel_threads(threads);
    std::vector<std::thread> users;
    for (int id = 0; id < 3; ++id) users.emplace_back(user_thread, id, 200);
    user_thread(3, 200);
    for (auto& t : users) t.join();
  }
  // The thread count changed while jobs run: teams grow and shrink between jobs.
  std::atomic<bool> running{true};
  std::thread resizer([&] {
    for (int i = 0; running.load(); ++i) {
      tf::rt::set_parallel_threads(1 + i % 4);
      std::this_thread::yield();
    }
  });
  std::thread other(user_thread, 1, 200);
  user_thread(0, 200);
  other.join();
  running.store(false);
  resizer.join();
  tf::rt::set_parallel_threads(2);  // fewer threads than the pool has: the rest sit out
  user_thread(0, 100);
  if (failures.load() == 0) std::puts("parallel_stress: every job covered its range once");
  return failures.load() == 0 ? 0 : 1;
}
