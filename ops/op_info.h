// The op tables' facts as C++: an enum per table (one enumerator per line of ops/*.def), each
// op's name, accepted dtypes and properties, and the op ids that key the kernel registry. Every
// layer names table ops through these.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

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
  bool differentiable;  // the table defines a gradient (not NoGrad) for an input at least
};
const ElementwiseOpInfo& op_info(UnaryOp op);
const ElementwiseOpInfo& op_info(BinaryOp op);
struct ReduceOpInfo {
  const char* name;
  core::DTypeSet dtypes;
};
const ReduceOpInfo& op_info(ReduceOp op);
std::optional<ReduceOp> find_reduce_op(std::string_view name);
enum class ScanOp : uint8_t {
#define TFJIT_SCAN(name, ...) name,
#include "ops/scan_ops.def"
  kCount
};
struct ScanOpInfo {
  const char* name;
  core::DTypeSet dtypes;
  const char* combiner;  // a reduction's name, or "logaddexp"
};
const ScanOpInfo& op_info(ScanOp op);
std::optional<ScanOp> find_scan_op(std::string_view name);

enum class Primitive : uint8_t {
#define TFJIT_PRIMITIVE(name) name,
#include "ops/primitives.def"
  kCount
};
inline constexpr int kNumUnary = static_cast<int>(UnaryOp::kCount);
inline constexpr int kNumBinary = static_cast<int>(BinaryOp::kCount);
inline constexpr int kNumReduce = static_cast<int>(ReduceOp::kCount);
inline constexpr int kNumScans = static_cast<int>(ScanOp::kCount);
inline constexpr int kNumPrimitives = static_cast<int>(Primitive::kCount);

// Every op with eager kernels has one id: the table ops in table order, then the primitives.
// The kernel registry is indexed by it.
struct OpId {
  constexpr OpId(UnaryOp op) : value(static_cast<int>(op)) {}
  constexpr OpId(BinaryOp op) : value(kNumUnary + static_cast<int>(op)) {}
  constexpr OpId(ReduceOp op) : value(kNumUnary + kNumBinary + static_cast<int>(op)) {}
  constexpr OpId(Primitive op)
      : value(kNumUnary + kNumBinary + kNumReduce + static_cast<int>(op)) {}
  int value;
};
inline constexpr int kNumOpIds = kNumUnary + kNumBinary + kNumReduce + kNumPrimitives;

}  // namespace tf::ops
