#include "runtime/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>

namespace tf::rt {

namespace {

int default_threads() {
  if (const char* env = std::getenv("TF_NUM_INTRAOP_THREADS")) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n <= 4096) return static_cast<int>(n);
  }
  return std::max(1, omp_get_max_threads());
}

std::atomic<int> configured{0};  // 0: the default, resolved on first use

}  // namespace

int parallel_threads() {
  int n = configured.load(std::memory_order_relaxed);
  if (n == 0) {
    static const int fallback = default_threads();
    n = fallback;
  }
  return n;
}

void set_parallel_threads(int threads) {
  configured.store(std::max(0, threads), std::memory_order_relaxed);
  use_parallel_threads_here();
}

void use_parallel_threads_here() {
  int n = parallel_threads();
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  int64_t chunks = std::min<int64_t>(parallel_threads(), n / std::max<int64_t>(grain, 1));
  if (chunks <= 1 || omp_in_parallel()) {  // small work, or nested: run here
    if (n > 0) fn(0, n);
    return;
  }
  const int64_t per = (n + chunks - 1) / chunks;
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(static_cast <int>(chunks))
  {
    // The team may be smaller than asked for (OMP_THREAD_LIMIT): its threads share the chunks.
    const int64_t team = omp_get_num_threads();
    for (int64_t c = omp_get_thread_num(); c < chunks; c += team) {
      int64_t begin = c * per, end = std::min(n, begin + per);
      if (begin >= end) continue;
      try {
        fn(begin, end);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace tf::rt
