#include "ops/op_info.h"

#include <string_view>

namespace tf::ops {

namespace {
using namespace core;                                    // the table's dtype sets
constexpr bool kSameResult = false, kBoolResult = true;  // the table's result column
constexpr ElementwiseOpInfo kUnaryInfo[] = {
#define TFJIT_UNARY(name, dtypes, result, expr, f, s, u, grad) \
  {#name, dtypes, k##result##Result, std::string_view(#grad) != "NoGrad"},
#include "ops/elementwise_ops.def"
};
constexpr ElementwiseOpInfo kBinaryInfo[] = {
#define TFJIT_BINARY(name, dtypes, result, expr, f, s, u, grad_x, grad_y) \
  {#name, dtypes, k##result##Result,                                      \
   std::string_view(#grad_x) != "NoGrad" || std::string_view(#grad_y) != "NoGrad"},
#include "ops/elementwise_ops.def"
};
constexpr ReduceOpInfo kReduceInfo[] = {
#define TFJIT_REDUCTION(name, dtypes, ...) {#name, dtypes},
#include "ops/reduction_ops.def"
};
constexpr ScanOpInfo kScanInfo[] = {
#define TFJIT_SCAN(name, dtypes, combiner) {#name, dtypes, #combiner},
#include "ops/scan_ops.def"
};
}  // namespace

const ScanOpInfo& op_info(ScanOp op) { return kScanInfo[static_cast<int>(op)]; }
std::optional<ReduceOp> find_reduce_op(std::string_view name) {
  for (int i = 0; i < static_cast<int>(ReduceOp::kCount); ++i)
    if (name == kReduceInfo[i].name) return static_cast<ReduceOp>(i);
  return std::nullopt;
}
std::optional<ScanOp> find_scan_op(std::string_view name) {
  for (int i = 0; i < kNumScans; ++i)
    if (name == kScanInfo[i].name) return static_cast<ScanOp>(i);
  return std::nullopt;
}
const ReduceOpInfo& op_info(ReduceOp op) { return kReduceInfo[static_cast<int>(op)]; }
const ElementwiseOpInfo& op_info(UnaryOp op) { return kUnaryInfo[static_cast<int>(op)]; }
const ElementwiseOpInfo& op_info(BinaryOp op) { return kBinaryInfo[static_cast<int>(op)]; }

}  // namespace tf::ops
