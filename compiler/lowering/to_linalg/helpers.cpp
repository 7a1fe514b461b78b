#include <mutex>
#include <utility>
#include <vector>

#include "compiler/lowering/to_linalg/to_linalg.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {
std::vector<std::pair<Phase, Populate>>& families() {
  static std::vector<std::pair<Phase, Populate>> all;
  return all;
}
std::mutex& families_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

bool register_patterns(Phase phase, Populate populate) {
  std::lock_guard lock(families_mutex());
  families().emplace_back(phase, populate);
  return true;
}

void populate(Phase phase, RewritePatternSet& patterns, const Options& options) {
  std::lock_guard lock(families_mutex());
  for (auto [p, fill] : families())
    if (p == phase) fill(patterns, options);
}
// The run-time sizes of `out`'s dynamic dims, for tensor.empty: dim d is read with tensor.dim
// from the first source whose indexing map (loop dims -> source dims) sends loop dim d to a
// dynamic dim of the source. Empty if some dim has no source (the caller reports it).
std::optional<SmallVector<Value>> dynamic_sizes(OpBuilder& b, Location loc, RankedTensorType out,
                                                ArrayRef<Value> sources, ArrayRef<AffineMap> maps) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < out.getRank(); ++d) {
    if (!out.isDynamicDim(d)) continue;
    Value size;
    for (size_t k = 0; k < sources.size() && !size; ++k) {
      auto type = cast<RankedTensorType>(sources[k].getType());
      for (unsigned r = 0; r < maps[k].getNumResults() && !size; ++r) {
        auto e = dyn_cast<AffineDimExpr>(maps[k].getResult(r));
        if (e && e.getPosition() == d && type.isDynamicDim(r))
          size = b.create<tensor::DimOp>(loc, sources[k], r);
      }
    }
    if (!size) return std::nullopt;
    sizes.push_back(size);
  }
  return sizes;
}

// A linalg.generic over `out`'s iteration space; `maps` are the inputs' indexing maps. Dynamic
// sizes come from the inputs, then from `size_sources` (operands that only lend sizes). Null if
// a dynamic size has no source.
Value generic(OpBuilder& b, Location loc, ValueRange inputs, ArrayRef<AffineMap> maps,
              RankedTensorType out, BodyFn body, ArrayRef<Value> size_sources,
              ArrayRef<AffineMap> size_maps) {
  SmallVector<Value> sources(inputs.begin(), inputs.end());
  sources.append(size_sources.begin(), size_sources.end());
  SmallVector<AffineMap> source_maps(maps.begin(), maps.end());
  source_maps.append(size_maps.begin(), size_maps.end());
  auto sizes = dynamic_sizes(b, loc, out, sources, source_maps);
  if (!sizes) return {};
  Value init = b.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType(), *sizes);
  SmallVector<AffineMap> all(maps.begin(), maps.end());
  all.push_back(b.getMultiDimIdentityMap(out.getRank()));
  SmallVector<utils::IteratorType> iters(out.getRank(), utils::IteratorType::parallel);
  auto op = b.create<linalg::GenericOp>(loc, TypeRange{out}, inputs, ValueRange{init}, all, iters,
                                        [&](OpBuilder& nb, Location nl, ValueRange args) {
                                          Value r = body(nb, nl, args.drop_back());
                                          nb.create<linalg::YieldOp>(nl, r);
                                        });
  return op.getResult(0);
}

// Replaces `op` with `v`, or fails when `generic` found no source for a dynamic size.
LogicalResult replace_with(PatternRewriter& rw, Operation* op, Value v) {
  if (!v) return op->emitOpError("has a dynamic result dimension that no operand gives");
  rw.replaceOp(op, v);
  return success();
}

// Groups dims so that each group has exactly one kept dim (dropped dims join the next kept one,
// trailing ones the last); no groups when every dim is dropped. Used to collapse/expand unit dims.
SmallVector<ReassociationIndices> unit_dim_groups(ArrayRef<bool> dropped) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < static_cast<int64_t>(dropped.size()); ++i) {
    pending.push_back(i);
    if (!dropped[i]) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!groups.empty()) groups.back().append(pending.begin(), pending.end());
  return groups;
}

Value i64_list(OpBuilder& b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())}, b.getI64Type());
  Value constant = b.create<arith::ConstantOp>(loc, DenseIntElementsAttr::get(type, values));
  return b.create<memref::CastOp>(
      loc, MemRefType::get({ShapedType::kDynamic}, b.getI64Type()),
      b.create<bufferization::ToMemrefOp>(loc, MemRefType::get(type.getShape(), b.getI64Type()),
                                          constant, true));
}

Value call_into_new_buffer(OpBuilder& b, Location loc, ModuleOp module, StringRef callee,
                           ValueRange inputs, RankedTensorType result, ValueRange dynamic,
                           ValueRange trailing) {
  auto unranked = [](Type t) {
    return UnrankedMemRefType::get(cast<ShapedType>(t).getElementType(), 0);
  };
  // Each call reads its operands through its own to_memref, numbered so that CSE cannot merge
  // two calls' (bufferization would see the tensor's last use at the first call and may reuse its
  // buffer in place before the second reads it).
  int64_t calls = 0;
  module.walk([&](func::CallOp) { ++calls; });
  auto call_index = b.getNamedAttr("tfjit.call", b.getI64IntegerAttr(calls));
  SmallVector<Value> args;
  for (Value t : inputs) {
    auto type = cast<RankedTensorType>(t.getType());
    auto m = b.create<bufferization::ToMemrefOp>(
        loc, MemRefType::get(type.getShape(), type.getElementType()), t, /*read_only=*/true);
    m->setAttr(call_index.getName(), call_index.getValue());
    args.push_back(b.create<memref::CastOp>(loc, unranked(type), m));
  }
  Value out = b.create<memref::AllocOp>(
      loc, MemRefType::get(result.getShape(), result.getElementType()), dynamic);
  args.push_back(b.create<memref::CastOp>(loc, unranked(result), out));
  args.append(trailing.begin(), trailing.end());
  if (!module.lookupSymbol<func::FuncOp>(callee)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto decl =
        b.create<func::FuncOp>(loc, callee, b.getFunctionType(ValueRange(args).getTypes(), {}));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  b.create<func::CallOp>(loc, callee, TypeRange{}, args);
  return b.create<bufferization::ToTensorOp>(loc, result, out, /*restrict=*/true,
                                             /*writable=*/true);
}

}  // namespace tf::compiler::to_linalg
