// The random_bits primitive's GPU kernel (runtime/primitives/random_bits.h): random_kernels.cu's
// tfjit_random_bits, one thread per Philox block, the same words as the CPU's.
#include "runtime/primitives/random_bits.h"
#include "backends/cuda/kernel_launch.h"
#include "runtime/kernels.h"

namespace tf::cuda {

namespace {

void random_bits(void* out, const rt::RandomBitsPlan& p) {
  rt::RandomBitsPlan plan = p;
  void* args[] = {&out, &plan};
  current().launch("tfjit_random_bits", rt::random_bits_blocks(p.n), args);
}

void register_random_bits(rt::KernelTable& table) {
  table.set(ops::Primitive::random_bits, int64, &random_bits);
}
const bool registered = rt::register_kernels(rt::DeviceType::kGPU, &register_random_bits);

}  // namespace

}  // namespace tf::cuda
