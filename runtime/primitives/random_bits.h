// The random_bits primitive's kernels, registered under ops::Primitive::random_bits for the int64
// key dtype. Every random op (frontend/src/random.cpp) draws its bits here, eager or compiled.
#pragma once

#include <cstdint>

#include "runtime/philox.h"

namespace tf::rt {

// n 32-bit words from Philox4x32-10 under `key`, for one draw `counter`. Block b (of
// blocks = ceil(n / 4)) is the generator at counter (counter, b) as four 32-bit words, low first;
// its word w becomes element w * blocks + b, so every word of a block is used and the elements a
// block feeds are `blocks` apart (the compiled lowering writes four contiguous slices).
struct RandomBitsPlan {
  uint64_t key, counter;
  int64_t n;
};
using RandomBitsKernel = void (*)(void* out, const RandomBitsPlan& plan);

TFJIT_HOST_DEVICE inline int64_t random_bits_blocks(int64_t n) { return n / 4 + (n % 4 != 0); }

TFJIT_HOST_DEVICE inline void random_bits_block(const RandomBitsPlan& p, uint64_t block,
                                                uint32_t out[4]) {
  const uint32_t key[2] = {static_cast<uint32_t>(p.key), static_cast<uint32_t>(p.key >> 32)};
  const uint32_t counter[4] = {static_cast<uint32_t>(p.counter),
                               static_cast<uint32_t>(p.counter >> 32), static_cast<uint32_t>(block),
                               static_cast<uint32_t>(block >> 32)};
  philox4x32_10(key, counter, out);
}

}  // namespace tf::rt
