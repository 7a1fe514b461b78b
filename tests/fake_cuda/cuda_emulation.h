// What CUDA C++ kernels expect of the device, on the host: with this header force-included,
// g++ compiles backends/cuda/kernels.cu into ordinary functions, and kernel_emulation.cpp runs
// them over a launch's grid, each GPU thread a fiber so that __syncthreads and shared memory
// behave as on a GPU. Blocks run one after another, so a block's __shared__ variables can be
// function statics.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct EmulatedDim3 {
  unsigned x = 1, y = 1, z = 1;
};
// Set by the emulator before it resumes each GPU thread.
inline thread_local EmulatedDim3 threadIdx, blockIdx, blockDim, gridDim;

// Suspends the calling GPU thread until every thread of its block has arrived or exited.
void __syncthreads();

// CUDA's device overloads of min and max.
using std::max;
using std::min;

// CUDA's atomic functions: each returns the value it found. (Kernels run one at a time, their
// threads interleaved only at barriers, but these are atomic all the same.)
inline unsigned atomicCAS(unsigned* p, unsigned expected, unsigned desired) {
  std::atomic_ref<unsigned>(*p).compare_exchange_strong(expected, desired);
  return expected;  // on failure, the value found
}
inline unsigned long long atomicCAS(unsigned long long* p, unsigned long long expected,
                                    unsigned long long desired) {
  std::atomic_ref<unsigned long long>(*p).compare_exchange_strong(expected, desired);
  return expected;
}
template <class T>
T atomicAdd(T* p, T v) {  // int, unsigned long long, float, double
  return std::atomic_ref<T>(*p).fetch_add(v);
}
inline long long atomicMax(long long* p, long long v) {
  std::atomic_ref<long long> a(*p);
  long long seen = a.load();
  while (seen < v && !a.compare_exchange_weak(seen, v)) {
  }
  return seen;
}
