// The sorting family. tfjit.argsort on the CPU (Options::host_library_calls) is a call of the
// eager kernel (a stable sort per line); elsewhere (GPU kernels) two generics by ranks, quadratic
// in the sorted axis but without a loop on the host: rank[i] counts the elements ordered before
// element i (ties by index), then out[p] is the i whose rank is p. tfjit.take_along_axis is one
// generic reading x with tensor.extract at the (clamped) index.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

SmallVector<Value> dynamic_sizes_of(OpBuilder& b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d)) sizes.push_back(b.create<tensor::DimOp>(loc, t, d));
  return sizes;
}

// Whether element `a` (at index ia along the axis) is ordered before `b` (at ib): by value,
// NaN above every number, ties by index.
Value ordered_before(OpBuilder& b, Location loc, Value a, Value ia, Value bv, Value ib,
                     bool descending, bool is_unsigned) {
  Value index_first = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, ia, ib);
  if (isa<FloatType>(a.getType())) {
    using P = arith::CmpFPredicate;
    Value a_nan = b.create<arith::CmpFOp>(loc, P::UNO, a, a);
    Value b_nan = b.create<arith::CmpFOp>(loc, P::UNO, bv, bv);
    Value strictly = descending ? b.create<arith::CmpFOp>(loc, P::OGT, a, bv)
                                : b.create<arith::CmpFOp>(loc, P::OLT, a, bv);
    // NaN against a number: before when descending and a is the NaN, or ascending and b is.
    Value nan_order =
        descending
            ? b.create<arith::AndIOp>(
                  loc, a_nan,
                  b.create<arith::XOrIOp>(loc, b_nan, b.create<arith::ConstantIntOp>(loc, 1, 1)))
            : b.create<arith::AndIOp>(
                  loc, b_nan,
                  b.create<arith::XOrIOp>(loc, a_nan, b.create<arith::ConstantIntOp>(loc, 1, 1)));
    Value tie = b.create<arith::OrIOp>(loc, b.create<arith::CmpFOp>(loc, P::OEQ, a, bv),
                                       b.create<arith::AndIOp>(loc, a_nan, b_nan));
    return b.create<arith::OrIOp>(loc, b.create<arith::OrIOp>(loc, strictly, nan_order),
                                  b.create<arith::AndIOp>(loc, tie, index_first));
  }
  using P = arith::CmpIPredicate;
  Value strictly = b.create<arith::CmpIOp>(
      loc, descending ? (is_unsigned ? P::ugt : P::sgt) : (is_unsigned ? P::ult : P::slt), a, bv);
  Value tie = b.create<arith::CmpIOp>(loc, P::eq, a, bv);
  return b.create<arith::OrIOp>(loc, strictly, b.create<arith::AndIOp>(loc, tie, index_first));
}

struct LowerArgsort : OpRewritePattern<tfjit::ArgsortOp> {
  LowerArgsort(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::ArgsortOp op, PatternRewriter& rw) const override {
    Location loc = op.getLoc();
    Value x = op.getX();
    auto type = cast<RankedTensorType>(x.getType());
    auto out_type = cast<RankedTensorType>(op.getType());
    const auto axis = static_cast<int64_t>(op.getAxis());
    const bool descending = op.getDescending();
    if (options.host_library_calls) {
      auto dtype = tfjit::dtype_of(type.getElementType());
      if (!dtype) return op.emitOpError() << "cannot sort " << type.getElementType();
      Value axis_v = rw.create<arith::ConstantIntOp>(loc, axis, 64);
      Value desc_v = rw.create<arith::ConstantIntOp>(loc, descending, 64);
      rw.replaceOp(
          op, call_into_new_buffer(rw, loc, op->getParentOfType<ModuleOp>(),
                                   rt::abi::kArgsortPrefix + std::string(tf::dtype_name(*dtype)),
                                   {x}, out_type, dynamic_sizes_of(rw, loc, x), {axis_v, desc_v}));
      return success();
    }
    MLIRContext* ctx = rw.getContext();
    const int64_t rank = type.getRank();
    const bool is_unsigned = type.getElementType().isUnsignedInteger() ||
                             tfjit::dtype_of(type.getElementType()) == uint8;
    // Loops: x's dims, then the other element's index along the axis (a reduction).
    SmallVector<AffineExpr> self, other;
    for (int64_t d = 0; d < rank; ++d) {
      self.push_back(getAffineDimExpr(d, ctx));
      other.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    }
    auto self_map = AffineMap::get(rank + 1, 0, self, ctx);
    auto other_map = AffineMap::get(rank + 1, 0, other, ctx);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    Value zero = rw.create<arith::ConstantIntOp>(loc, 0, 32);
    auto counts = [&]() {
      return rw
          .create<linalg::FillOp>(
              loc, zero,
              rw.create<tensor::EmptyOp>(loc, out_type.getShape(), rw.getI32Type(),
                                         dynamic_sizes_of(rw, loc, x))
                  .getResult())
          .getResult(0);
    };
    Value ranks =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{out_type}, ValueRange{x, x}, counts(),
              SmallVector<AffineMap>{self_map, other_map, self_map}, iters,
              [&](OpBuilder& b, Location l, ValueRange args) {
                Value i = b.create<linalg::IndexOp>(l, axis),
                      j = b.create<linalg::IndexOp>(l, rank);
                Value before =
                    ordered_before(b, l, args[1], j, args[0], i, descending, is_unsigned);
                Value one = b.create<arith::ExtUIOp>(l, b.getI32Type(), before);
                b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::AddIOp>(l, args[2], one)});
              })
            .getResult(0);
    // out[p] = the i with rank[i] == p: loops over out's dims, then i (a reduction).
    Value sorted =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{out_type}, ValueRange{ranks}, counts(),
              SmallVector<AffineMap>{other_map, self_map}, iters,
              [&](OpBuilder& b, Location l, ValueRange args) {
                Value p = b.create<arith::IndexCastOp>(l, b.getI32Type(),
                                                       b.create<linalg::IndexOp>(l, axis));
                Value i = b.create<arith::IndexCastOp>(l, b.getI32Type(),
                                                       b.create<linalg::IndexOp>(l, rank));
                Value hit = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, args[0], p);
                Value add =
                    b.create<arith::SelectOp>(l, hit, i, b.create<arith::ConstantIntOp>(l, 0, 32));
                b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::AddIOp>(l, args[1], add)});
              })
            .getResult(0);
    rw.replaceOp(op, sorted);
    return success();
  }
  Options options;
};

struct LowerTakeAlongAxis : OpRewritePattern<tfjit::TakeAlongAxisOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::TakeAlongAxisOp op, PatternRewriter& rw) const override {
    Location loc = op.getLoc();
    Value x = op.getX(), indices = op.getIndices();
    auto out_type = cast<RankedTensorType>(op.getType());
    const auto axis = static_cast<int64_t>(op.getAxis());
    const int64_t rank = out_type.getRank();
    // Indices are checked before compiled code runs; a graph read from a file is not, so they
    // are clamped into [0, n) rather than read out of bounds.
    Value n = rw.create<tensor::DimOp>(loc, x, axis);
    Value init = rw.create<tensor::EmptyOp>(loc, out_type.getShape(), out_type.getElementType(),
                                            dynamic_sizes_of(rw, loc, indices));
    auto id = rw.getMultiDimIdentityMap(static_cast<unsigned>(rank));
    Value out =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{out_type}, ValueRange{indices}, init, SmallVector<AffineMap>{id, id},
              SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
              [&](OpBuilder& b, Location l, ValueRange args) {
                Value zero = b.create<arith::ConstantIndexOp>(l, 0);
                Value last = b.create<arith::SubIOp>(l, n, b.create<arith::ConstantIndexOp>(l, 1));
                Value at = b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
                at = b.create<arith::MaxSIOp>(l, zero, b.create<arith::MinSIOp>(l, at, last));
                SmallVector<Value> coords;
                for (int64_t d = 0; d < rank; ++d)
                  coords.push_back(d == axis ? at : b.create<linalg::IndexOp>(l, d).getResult());
                // An empty axis has no index to read (the shape rule refuses it; a guard anyway).
                Value some = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sgt, n, zero);
                Value v = b.create<scf::IfOp>(
                               l, some,
                               [&](OpBuilder& t, Location tl) {
                                 t.create<scf::YieldOp>(
                                     tl, ValueRange{t.create<tensor::ExtractOp>(tl, x, coords)});
                               },
                               [&](OpBuilder& t, Location tl) {
                                 t.create<scf::YieldOp>(
                                     tl, ValueRange{t.create<arith::ConstantOp>(
                                             tl, t.getZeroAttr(out_type.getElementType()))});
                               })
                              .getResult(0);
                b.create<linalg::YieldOp>(l, ValueRange{v});
              })
            .getResult(0);
    rw.replaceOp(op, out);
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerArgsort>(patterns.getContext(), options);
  patterns.add<LowerTakeAlongAxis>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
