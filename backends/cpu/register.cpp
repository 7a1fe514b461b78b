#include "backends/cpu/kernels.h"

namespace tf::cpu {
void register_kernels(rt::KernelTable& table) {
  register_elementwise(table);
  register_copy(table);
  register_cast(table);
  register_matmul(table);
  register_reduce(table);
}
}  // namespace tf::cpu
