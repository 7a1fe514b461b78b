// tfjit.scan (the cumulative ops of ops/scan_ops.def). On the CPU, an scf.for over the scanned
// axis: each step combines the accumulator (the tensor without that axis) with the axis' next
// slice in one linalg.generic, so a step is an elementwise loop nest that vectorises and, when
// large, runs on the thread pool; the slice written is the accumulator before (exclusive) or
// after (inclusive) the step. For GPU kernels (Options::parallel_scans), which cannot loop on the
// host, one linalg.generic with a reduction over the axis in which each output combines the
// elements of its window: quadratic in the axis' length, parallel over every output.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "ops/op_info.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

// log(exp(acc) + exp(x)) = hi + log1p(exp(lo - hi)); hi when lo is -inf (also both -inf) or hi
// is +inf, NaN when either is NaN (maximumf / minimumf propagate it). As ops/scalar.h's
// logaddexp_fn.
Value logaddexp(OpBuilder& b, Location loc, ValueRange a) {
  Value hi = b.create<arith::MaximumFOp>(loc, a[0], a[1]);
  Value lo = b.create<arith::MinimumFOp>(loc, a[0], a[1]);
  Value sum = b.create<arith::AddFOp>(
      loc, hi,
      b.create<math::Log1pOp>(loc,
                              b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, lo, hi))));
  auto type = cast<FloatType>(hi.getType());
  Value ninf = b.create<arith::ConstantOp>(
      loc, b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics(), /*Negative=*/true)));
  Value inf = b.create<arith::ConstantOp>(
      loc, b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics())));
  Value exact =
      b.create<arith::OrIOp>(loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, lo, ninf),
                             b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, hi, inf));
  return b.create<arith::SelectOp>(loc, exact, hi, sum);
}
constexpr ReductionLowering kLogAddExp{"logaddexp", Lowest, &logaddexp, nullptr, nullptr};

struct LowerScan : OpRewritePattern<tfjit::ScanOp> {
  LowerScan(MLIRContext* ctx, bool parallel) : OpRewritePattern(ctx), parallel_(parallel) {}
  LogicalResult matchAndRewrite(tfjit::ScanOp op, PatternRewriter& rw) const override {
    auto scan = ops::find_scan_op(op.getFn().str());
    if (!scan) return op.emitOpError("unknown scan");
    const std::string_view combiner = ops::op_info(*scan).combiner;
    const ReductionLowering* l =
        combiner == kLogAddExp.name ? &kLogAddExp : find_reduction_lowering(combiner);
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType();
    ScalarBuilder combine = l ? builder_for(*l, elem) : nullptr;
    if (!combine) return op.emitOpError() << "has no lowering for element type " << elem;
    Location loc = op.getLoc();
    Value x = op.getX();
    const int64_t rank = type.getRank(), axis = op.getAxis();
    Value identity = rw.create<arith::ConstantOp>(loc, reduction_identity(rw, elem, l->identity));
    if (parallel_) return windowed(op, rw, combine, identity);

    // The slice at one index of the axis (sizes: 1 there), and the accumulator's type, which
    // keeps the axis as a unit dim: a rank-reducing slice is ambiguous when another dim is 1
    // too, and MLIR 19's canonicalizer then rebuilt it with the wrong sizes (a (1, 2, 3, 1)
    // scan along its last axis read a (1, 1, 2, 3) slice).
    SmallVector<OpFoldResult> sizes;
    SmallVector<Value> dynamic, acc_dynamic;
    SmallVector<int64_t> acc_shape;
    for (int64_t d = 0; d < rank; ++d) {
      Value size;
      if (type.isDynamicDim(d)) dynamic.push_back(size = rw.create<tensor::DimOp>(loc, x, d));
      if (d == axis) {
        sizes.push_back(rw.getIndexAttr(1));
        acc_shape.push_back(1);
        continue;
      }
      sizes.push_back(size ? OpFoldResult(size)
                           : OpFoldResult(rw.getIndexAttr(type.getDimSize(d))));
      acc_shape.push_back(type.getDimSize(d));
      if (size) acc_dynamic.push_back(size);
    }
    auto acc_type = RankedTensorType::get(acc_shape, elem);
    Value acc = rw.create<linalg::FillOp>(
                      loc, identity,
                      rw.create<tensor::EmptyOp>(loc, acc_shape, elem, acc_dynamic).getResult())
                    .getResult(0);
    Value out = rw.create<tensor::EmptyOp>(loc, type.getShape(), elem, dynamic);
    Value zero = rw.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rw.create<arith::ConstantIndexOp>(loc, 1);
    Value n = rw.create<tensor::DimOp>(loc, x, axis);
    SmallVector<OpFoldResult> strides(rank, rw.getIndexAttr(1));
    const bool exclusive = op.getExclusive(), reverse = op.getReverse();

    auto loop = rw.create<scf::ForOp>(
        loc, zero, n, one, ValueRange{acc, out},
        [&](OpBuilder& b, Location l2, Value s, ValueRange carried) {
          Value i =
              reverse
                  ? b.create<arith::SubIOp>(l2, b.create<arith::SubIOp>(l2, n, one), s).getResult()
                  : s;
          SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
          offsets[axis] = i;
          Value slice = b.create<tensor::ExtractSliceOp>(l2, acc_type, x, offsets, sizes, strides);
          // Exclusive: the accumulator is written before it is updated. The update is in place
          // (outs: the accumulator itself), so no step allocates.
          Value written = carried[1];
          if (exclusive)
            written =
                b.create<tensor::InsertSliceOp>(l2, carried[0], written, offsets, sizes, strides);
          SmallVector<AffineMap> maps(3, b.getMultiDimIdentityMap(acc_type.getRank()));
          SmallVector<utils::IteratorType> iters(acc_type.getRank(), utils::IteratorType::parallel);
          Value next = b.create<linalg::GenericOp>(
                            l2, TypeRange{acc_type}, ValueRange{carried[0], slice},
                            ValueRange{carried[0]}, maps, iters,
                            [&](OpBuilder& nb, Location nl, ValueRange a) {
                              nb.create<linalg::YieldOp>(nl, combine(nb, nl, a.drop_back()));
                            })
                           .getResult(0);
          if (!exclusive)
            written = b.create<tensor::InsertSliceOp>(l2, next, written, offsets, sizes, strides);
          b.create<scf::YieldOp>(l2, ValueRange{next, written});
        });
    rw.replaceOp(op, loop.getResult(1));
    return success();
  }

  // Loops (d_0 .. d_{r-1}, j): output d combines x at d with the axis replaced by j, for the j in
  // d's window (j <= i inclusive, j < i exclusive, mirrored when reversed; i = d_axis).
  LogicalResult windowed(tfjit::ScanOp op, PatternRewriter& rw, ScalarBuilder combine,
                         Value identity) const {
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    const int64_t rank = type.getRank(), axis = op.getAxis();
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < rank; ++d)
      if (type.isDynamicDim(d)) dynamic.push_back(rw.create<tensor::DimOp>(loc, op.getX(), d));
    Value init =
        rw.create<linalg::FillOp>(
              loc, identity,
              rw.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(), dynamic)
                  .getResult())
            .getResult(0);
    SmallVector<AffineExpr> in_exprs;
    for (int64_t d = 0; d < rank; ++d)
      in_exprs.push_back(rw.getAffineDimExpr(d == axis ? rank : d));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, in_exprs, rw.getContext()),
        AffineMap::getMultiDimIdentityMap(rank + 1, rw.getContext()).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    const bool exclusive = op.getExclusive(), reverse = op.getReverse();
    auto generic = rw.create<linalg::GenericOp>(
        loc, TypeRange{type}, op.getX(), init, maps, iters,
        [&](OpBuilder& b, Location l2, ValueRange args) {
          Value i = b.create<linalg::IndexOp>(l2, axis), j = b.create<linalg::IndexOp>(l2, rank);
          auto pred = reverse ? (exclusive ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::uge)
                              : (exclusive ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule);
          Value in_window = b.create<arith::CmpIOp>(l2, pred, j, i);
          Value combined = combine(b, l2, ValueRange{args[1], args[0]});
          b.create<linalg::YieldOp>(
              l2, b.create<arith::SelectOp>(l2, in_window, combined, args[1]).getResult());
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }

  bool parallel_;
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerScan>(patterns.getContext(), options.parallel_scans);
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
