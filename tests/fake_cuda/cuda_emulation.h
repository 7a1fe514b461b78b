// What CUDA C++ kernels expect of the device, on the host: with this header force-included,
// g++ compiles backends/cuda/kernels.cu into ordinary functions, and kernel_emulation.cpp runs
// them over a launch's grid, each GPU thread a fiber so that __syncthreads and shared memory
// behave as on a GPU. Blocks run one after another, so a block's __shared__ variables can be
// function statics.
#pragma once

#include <algorithm>
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
