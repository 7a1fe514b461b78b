// Eager random bits on the CPU (runtime/primitives/random_bits.h): one Philox block per four
// output words, blocks split over the thread pool.
#include <algorithm>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"
#include "runtime/primitives/random_bits.h"

namespace tf::cpu {

namespace {

void random_bits(void* out, const rt::RandomBitsPlan& p) {
  auto* words = static_cast<uint32_t*>(out);
  const int64_t blocks = rt::random_bits_blocks(p.n);
  rt::parallel_for(blocks, rt::kParallelGrain / 64, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      uint32_t block[4];
      rt::random_bits_block(p, static_cast<uint64_t>(b), block);
      for (int64_t w = 0; w < 4 && w * blocks + b < p.n; ++w) words[w * blocks + b] = block[w];
    }
  });
}

void register_random_bits(rt::KernelTable& table) {
  table.set(ops::Primitive::random_bits, int64, &random_bits);
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_random_bits);

}  // namespace

}  // namespace tf::cpu
