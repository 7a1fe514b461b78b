// parallel_for over a small persistent thread pool. Work below `grain` elements per thread stays
// on the calling thread: waking a thread costs about as much as an empty OpenMP region (~1 us).
#pragma once

#include <cstdint>
#include <functional>

namespace tf::rt {

// Elements per thread below which splitting does not pay (memory-bound elementwise work).
inline constexpr int64_t kParallelGrain = int64_t{1} << 16;

// Calls fn(begin, end) over disjoint chunks covering [0, n); returns when all are done. The
// first exception thrown by a chunk is rethrown on the calling thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads parallel_for uses (the caller included).
int parallel_threads();

}  // namespace tf::rt
