// parallel_for over OpenMP's thread pool: the pool oneDNN runs its GEMMs on, so eager kernels,
// compiled loops and oneDNN share one set of threads (two pools on the same cores take turns
// spinning, which on a loaded machine costs more than the parallelism gains). Idle threads spin
// briefly, then sleep (libgomp's default; OMP_WAIT_POLICY and GOMP_SPINCOUNT tune it). Work below
// `grain` elements per thread stays on the calling thread.
#pragma once

#include <cstdint>
#include <functional>

#include "runtime/library_abi.h"

namespace tf::rt {

// Elements per thread below which splitting does not pay (memory-bound elementwise work).
inline constexpr int64_t kParallelGrain = abi::kParallelGrain;

// Calls fn(begin, end) over disjoint chunks covering [0, n); returns when all are done. The
// first exception thrown by a chunk is rethrown on the calling thread. Inside another
// parallel_for (or any OpenMP region) it runs on the calling thread. Each user thread calling it
// gets a team of its own (OpenMP's rule): N threads running large ops at once use N teams.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads parallel_for uses, the caller included: set_parallel_threads's value, else
// $TF_NUM_INTRAOP_THREADS, else OpenMP's default (OMP_NUM_THREADS, or the CPUs this process may
// run on, which honours taskset and cpusets).
int parallel_threads();
// 0 restores the default.
void set_parallel_threads(int threads);
// OpenMP's thread count is a per-thread setting that libraries (oneDNN) read from the calling
// thread: call before handing work to them.
void use_parallel_threads_here();

}  // namespace tf::rt
