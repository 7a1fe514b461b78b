// tfjit's one pool of threads, shared by eager kernels, compiled loops and oneDNN (which runs
// single-threaded on each of its threads: see OneDnnThreads). A job is split into
// chunks that the caller and the awake workers claim one at a time, so a thread descheduled on a
// busy machine holds up at most the chunk it is running. Idle threads poll for 50 microseconds
// ($TFJIT_SPIN_US), then sleep. Work below `grain` elements per chunk stays on the calling thread.
#pragma once

#include <cstdint>
#include <functional>

#include "runtime/library_abi.h"

namespace tf::rt {

// Elements per thread below which splitting does not pay (memory-bound elementwise work).
inline constexpr int64_t kParallelGrain = abi::kParallelGrain;

// Calls fn(begin, end) over disjoint chunks covering [0, n), each but the last at least `grain`
// long (their bounds depend on n, grain and the thread count only); returns when all are done. The
// first exception thrown by a chunk is rethrown on the calling thread. Inside another parallel_for
// it runs on the calling thread, as it does while another user thread's job holds the pool.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads parallel_for uses, the caller included: set_parallel_threads's value, else
// $TF_NUM_INTRAOP_THREADS, else $OMP_NUM_THREADS, else the CPUs this process may run on (which
// honours taskset and cpusets).
int parallel_threads();
// 0 restores the default.
void set_parallel_threads(int threads);
// Whether this thread is running a chunk of a parallel_for (a pool thread, or a caller inside
// its job): work started here runs on this thread alone.
bool inside_parallel_for();

// oneDNN (built on OpenMP) runs on as many threads as OpenMP's per-thread setting of its caller
// says. While one of these lives, that setting is `threads` on this thread (restored after, so a
// user's own OpenMP code keeps its threads). With one thread, a oneDNN call runs on the calling
// thread alone: kernels split their work over parallel_for, and OpenMP's pool never starts. The
// pool's threads keep the setting at one for good.
class OneDnnThreads {
 public:
  explicit OneDnnThreads(int threads = 1);
  ~OneDnnThreads();
  OneDnnThreads(const OneDnnThreads&) = delete;
  OneDnnThreads& operator=(const OneDnnThreads&) = delete;

 private:
  int saved_, threads_;
};

}  // namespace tf::rt
