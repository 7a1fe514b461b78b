// Matmuls as named linalg ops (matmul, batch_matmul, their transpose_a/b forms, which the GEMM
// library calls replace), or as generic contractions for other element types.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

// `dynamic`: the sizes of type's dynamic dims, in order.
Value zero_filled(OpBuilder& b, Location loc, RankedTensorType type, ValueRange dynamic) {
  Value init = b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(), dynamic);
  Value zero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type.getElementType()));
  return b.create<linalg::FillOp>(loc, zero, init).getResult(0);
}

Value add_scalars(OpBuilder& b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType())) return b.create<arith::AddFOp>(loc, x, y);
  return b.create<arith::AddIOp>(loc, x, y);
}

// The operand of a tfjit.transpose that swaps the last two axes and nothing else, if `v` is one.
Value swapped_last_two(Value v) {
  auto t = v.getDefiningOp<tfjit::TransposeOp>();
  if (!t) return {};
  ArrayRef<int64_t> perm = t.getPerm();
  const int64_t r = static_cast<int64_t>(perm.size());
  for (int64_t i = 0; i + 2 < r; ++i)
    if (perm[i] != i) return {};
  return r >= 2 && perm[r - 2] == r - 1 && perm[r - 1] == r - 2 ? t.getX() : Value();
}

struct LowerMatmul : OpRewritePattern<tfjit::MatmulOp> {
  LowerMatmul(MLIRContext* ctx, bool named) : OpRewritePattern(ctx), named_(named) {}
  LogicalResult matchAndRewrite(tfjit::MatmulOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    const int64_t r = out.getRank();
    bool batched = r == 3;
    // A float32 GEMM (a library call) takes a transposed operand as a flag: backward passes are
    // full of transposes (g w^T, x^T g), each a strided copy when materialised. One flag is
    // enough for the named ops; with both, a's transpose stays an op.
    Value a = op.getA(), b = op.getB(), ta, tb;
    if (named_ && out.getElementType().isF32()) {
      tb = swapped_last_two(b);
      if (!tb) ta = swapped_last_two(a);
    }
    // Result dims: [batch from a (or b),] rows from a, columns from b (read from the transpose's
    // operand where it is folded, so that the transpose itself is not kept alive).
    auto dim = [&](bool from_b, int64_t d) -> Value {
      Value folded = from_b ? tb : ta;
      if (folded && d >= r - 2) d = d == r - 1 ? r - 2 : r - 1;
      return rw.create<tensor::DimOp>(loc, folded ? folded : (from_b ? b : a), d);
    };
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < r; ++d) {
      if (!out.isDynamicDim(d)) continue;
      bool from_b =
          d == r - 1 || (batched && d == 0 && !cast<RankedTensorType>(a.getType()).isDynamicDim(0));
      sizes.push_back(dim(from_b, d));
    }
    Value acc = zero_filled(rw, loc, out, sizes);
    if (named_) {  // linalg.(batch_)matmul: becomes a library call after bufferization
      SmallVector<Value, 2> ins = {ta ? ta : a, tb ? tb : b};  // ValueRange would dangle
      Operation* mm;
      if (tb)
        mm = batched ? rw.create<linalg::BatchMatmulTransposeBOp>(loc, ins, acc).getOperation()
                     : rw.create<linalg::MatmulTransposeBOp>(loc, ins, acc).getOperation();
      else if (ta)
        mm = batched ? rw.create<linalg::BatchMatmulTransposeAOp>(loc, ins, acc).getOperation()
                     : rw.create<linalg::MatmulTransposeAOp>(loc, ins, acc).getOperation();
      else
        mm = batched ? rw.create<linalg::BatchMatmulOp>(loc, ins, acc).getOperation()
                     : rw.create<linalg::MatmulOp>(loc, ins, acc).getOperation();
      rw.replaceOp(op, mm->getResult(0));
      return success();
    }
    // Generated code: loops in ([b,] i, k, j) order so the innermost loop streams rows of B and C.
    unsigned n = batched ? 4 : 3, o = batched ? 1 : 0;
    auto d = [&](unsigned i) { return rw.getAffineDimExpr(i + o); };
    auto map = [&](AffineExpr x, AffineExpr y) {
      SmallVector<AffineExpr> e;
      if (batched) e.push_back(rw.getAffineDimExpr(0));
      e.push_back(x);
      e.push_back(y);
      return AffineMap::get(n, 0, e, rw.getContext());
    };
    SmallVector<AffineMap> maps = {map(d(0), d(1)), map(d(1), d(2)), map(d(0), d(2))};
    SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                              utils::IteratorType::reduction,
                                              utils::IteratorType::parallel};
    if (batched) iters.insert(iters.begin(), utils::IteratorType::parallel);
    auto generic = rw.create<linalg::GenericOp>(
        loc, TypeRange{out}, ValueRange{op.getA(), op.getB()}, ValueRange{acc}, maps, iters,
        [&](OpBuilder& b, Location l, ValueRange args) {
          Value prod = isa<FloatType>(args[0].getType())
                           ? b.create<arith::MulFOp>(l, args[0], args[1]).getResult()
                           : b.create<arith::MulIOp>(l, args[0], args[1]).getResult();
          b.create<linalg::YieldOp>(l, add_scalars(b, l, args[2], prod));
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
  bool named_;
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerMatmul>(patterns.getContext(), options.named_matmul);
}
const bool registered = register_patterns(Phase::kMatmuls, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
