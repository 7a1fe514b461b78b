// Eager random bits on the GPU (runtime/primitives/random_bits.h), a family file of kernels.cu:
// one thread per Philox block, by the same functions as the CPU (runtime/philox.h), so both
// devices draw the same words for a key and counter.
#pragma once

#include "backends/cuda/kernel_support.cuh"
#include "runtime/primitives/random_bits.h"

extern "C" __global__ void tfjit_random_bits(uint32_t* out, tf::rt::RandomBitsPlan plan) {
  const int64_t blocks = tf::rt::random_bits_blocks(plan.n);
  for (int64_t b = tf::cuda::thread_index(); b < blocks; b += tf::cuda::thread_count()) {
    uint32_t block[4];
    tf::rt::random_bits_block(plan, static_cast<uint64_t>(b), block);
    for (int64_t w = 0; w < 4 && w * blocks + b < plan.n; ++w) out[w * blocks + b] = block[w];
  }
}
