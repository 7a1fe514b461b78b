#include "runtime/kernels.h"

#include <string_view>

#include "tfjit/errors.h"

namespace tf {
namespace cpu {
void register_kernels(rt::KernelTable& table);
}
namespace cuda {
void register_kernels(rt::KernelTable& table);
}

namespace rt {

namespace {
constexpr bool kSameResult = false, kBoolResult = true;  // the table's result column
constexpr ElementwiseOpInfo kUnaryInfo[] = {
#define TFJIT_UNARY(name, dtypes, result, expr, f, s, u, grad) \
  {#name, dtypes, k##result##Result, std::string_view(#grad) != "NoGrad"},
#include "tfjit/elementwise_ops.def"
};
constexpr ElementwiseOpInfo kBinaryInfo[] = {
#define TFJIT_BINARY(name, dtypes, result, expr, f, s, u, grad_x, grad_y) \
  {#name, dtypes, k##result##Result, std::string_view(#grad_x) != "NoGrad"},
#include "tfjit/elementwise_ops.def"
};
constexpr ReduceOpInfo kReduceInfo[] = {
#define TFJIT_REDUCTION(name, dtypes, ...) {#name, dtypes},
#include "tfjit/reduction_ops.def"
};
}  // namespace

const ReduceOpInfo& op_info(ReduceOp op) { return kReduceInfo[static_cast<int>(op)]; }
const ElementwiseOpInfo& op_info(UnaryOp op) { return kUnaryInfo[static_cast<int>(op)]; }
const ElementwiseOpInfo& op_info(BinaryOp op) { return kBinaryInfo[static_cast<int>(op)]; }

const KernelTable& kernels(DeviceType device) {
  static const KernelTable cpu_table = [] {
    KernelTable t;
    cpu::register_kernels(t);
    return t;
  }();
  static const KernelTable gpu_table = [] {
    KernelTable t;  // empty without the CUDA toolkit: every op then runs on the CPU
#ifdef TFJIT_WITH_CUDA
    cuda::register_kernels(t);
#endif
    return t;
  }();
  return device == DeviceType::kCPU ? cpu_table : gpu_table;
}

}  // namespace rt
}  // namespace tf
