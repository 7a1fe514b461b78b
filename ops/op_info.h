// The op tables' facts as C++: an enum per table (one enumerator per line of ops/*.def) and
// each op's name, accepted dtypes and properties. Every layer names table ops through these.
#pragma once

#include <cstdint>

#include "core/dtype_sets.h"

namespace tf::ops {

enum class UnaryOp : uint8_t {
#define TFJIT_UNARY(name, ...) name,
#include "ops/elementwise_ops.def"
  kCount
};
enum class BinaryOp : uint8_t {
#define TFJIT_BINARY(name, ...) name,
#include "ops/elementwise_ops.def"
  kCount
};
enum class ReduceOp : uint8_t {
#define TFJIT_REDUCTION(name, ...) name,
#include "ops/reduction_ops.def"
  kCount
};
struct ElementwiseOpInfo {
  const char* name;
  core::DTypeSet dtypes;
  bool bool_result;     // the table's result column: Bool (true) or Same
  bool differentiable;  // the table defines a gradient (not NoGrad)
};
const ElementwiseOpInfo& op_info(UnaryOp op);
const ElementwiseOpInfo& op_info(BinaryOp op);
struct ReduceOpInfo {
  const char* name;
  core::DTypeSet dtypes;
};
const ReduceOpInfo& op_info(ReduceOp op);
inline constexpr int kNumUnary = static_cast<int>(UnaryOp::kCount);
inline constexpr int kNumBinary = static_cast<int>(BinaryOp::kCount);
inline constexpr int kNumReduce = static_cast<int>(ReduceOp::kCount);

}  // namespace tf::ops
