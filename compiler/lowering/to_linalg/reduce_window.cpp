// The reduce_window family. tfjit.reduce_window: the input padded and dilated into a buffer
// filled with the combiner's identity (one insert_slice with strides), then one linalg.generic over
// (output dims, window dims) reading the buffer at o * stride + k, its window dims reductions, as
// linalg's pooling ops are built.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

struct LowerReduceWindow : OpRewritePattern<tfjit::ReduceWindowOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ReduceWindowOp op, PatternRewriter& rw) const override {
    const ReductionLowering* l = find_reduction_lowering(op.getFn());
    auto in_type = cast<RankedTensorType>(op.getX().getType());
    auto out_type = cast<RankedTensorType>(op.getType());
    Type elem = in_type.getElementType();
    ScalarBuilder combine = l ? builder_for(*l, elem) : nullptr;
    if (!combine) return op.emitOpError() << "has no lowering for element type " << elem;
    Location loc = op.getLoc();
    MLIRContext* ctx = rw.getContext();
    const int64_t rank = in_type.getRank();
    auto window = op.getWindow(), strides = op.getStrides(), dilations = op.getDilations(),
         low = op.getPaddingLow(), high = op.getPaddingHigh();
    Value identity = rw.create<arith::ConstantOp>(loc, reduction_identity(rw, elem, l->identity));

    // Unknown dims are never padded or dilated (the shape rule): their sizes pass through.
    SmallVector<Value> in_dynamic, out_dynamic;
    SmallVector<OpFoldResult> in_sizes;
    SmallVector<int64_t> padded_shape;
    bool trivial = true;
    for (int64_t d = 0; d < rank; ++d) {
      trivial &= low[d] == 0 && high[d] == 0 && dilations[d] == 1;
      if (in_type.isDynamicDim(d)) {
        Value size = rw.create<tensor::DimOp>(loc, op.getX(), d);
        in_dynamic.push_back(size);
        in_sizes.push_back(size);
        padded_shape.push_back(ShapedType::kDynamic);
        continue;
      }
      const int64_t n = in_type.getDimSize(d);
      in_sizes.push_back(rw.getIndexAttr(n));
      padded_shape.push_back((n == 0 ? 0 : (n - 1) * dilations[d] + 1) + low[d] + high[d]);
    }
    for (int64_t d = 0; d < rank; ++d)
      if (out_type.isDynamicDim(d))
        out_dynamic.push_back(rw.create<tensor::DimOp>(loc, op.getX(), d));

    Value x = op.getX();
    if (!trivial) {
      Value buffer =
          rw.create<linalg::FillOp>(
                loc, identity,
                rw.create<tensor::EmptyOp>(loc, padded_shape, elem, in_dynamic).getResult())
              .getResult(0);
      SmallVector<OpFoldResult> offsets, steps;
      for (int64_t d = 0; d < rank; ++d) {
        offsets.push_back(rw.getIndexAttr(low[d]));
        steps.push_back(rw.getIndexAttr(dilations[d]));
      }
      x = rw.create<tensor::InsertSliceOp>(loc, x, buffer, offsets, in_sizes, steps);
    }
    Value init =
        rw.create<linalg::FillOp>(
              loc, identity,
              rw.create<tensor::EmptyOp>(loc, out_type.getShape(), elem, out_dynamic).getResult())
            .getResult(0);
    // The window operand only lends the window dims their sizes.
    Value shape_of_window = rw.create<tensor::EmptyOp>(loc, window, elem);
    SmallVector<AffineExpr> reads, window_dims;
    for (int64_t d = 0; d < rank; ++d) {
      reads.push_back(getAffineDimExpr(d, ctx) * strides[d] + getAffineDimExpr(rank + d, ctx));
      window_dims.push_back(getAffineDimExpr(rank + d, ctx));
    }
    SmallVector<AffineMap> maps = {
        AffineMap::get(2 * rank, 0, reads, ctx), AffineMap::get(2 * rank, 0, window_dims, ctx),
        AffineMap::getMultiDimIdentityMap(2 * rank, ctx).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.append(rank, utils::IteratorType::reduction);
    auto generic = rw.create<linalg::GenericOp>(
        loc, TypeRange{out_type}, ValueRange{x, shape_of_window}, init, maps, iters,
        [&](OpBuilder& b, Location l2, ValueRange args) {
          b.create<linalg::YieldOp>(l2, combine(b, l2, ValueRange{args[2], args[0]}));
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

// tfjit.select_and_scatter: on the CPU (Options::host_library_calls) a call of the eager kernel;
// elsewhere two generics. First each window's first element equal to its extreme, as the least
// matching row-major offset k (a min-reduction over the window dims, so no order is assumed);
// then each element p sums g[w] over the windows w = (p + low - k) / stride holding it at
// offset k that chose k. Elements are read with tensor.extract at clamped indices.
struct LowerSelectAndScatter : OpRewritePattern<tfjit::SelectAndScatterOp> {
  LowerSelectAndScatter(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::SelectAndScatterOp op, PatternRewriter& rw) const override {
    Location loc = op.getLoc();
    Value x = op.getX(), y = op.getY(), g = op.getG();
    auto x_type = cast<RankedTensorType>(x.getType());
    auto w_type = cast<RankedTensorType>(y.getType());
    Type elem = x_type.getElementType();
    const int64_t rank = x_type.getRank();
    auto window = op.getWindow(), strides = op.getStrides(), low = op.getPaddingLow();
    auto sizes_of = [&](Value t) {
      SmallVector<Value> dynamic;
      auto type = cast<RankedTensorType>(t.getType());
      for (int64_t d = 0; d < rank; ++d)
        if (type.isDynamicDim(d)) dynamic.push_back(rw.create<tensor::DimOp>(loc, t, d));
      return dynamic;
    };
    if (options.host_library_calls) {
      auto dtype = tfjit::dtype_of(elem);
      if (!dtype) return op.emitOpError() << "has no kernel for " << elem;
      SmallVector<int64_t> values(window.begin(), window.end());
      values.append(strides.begin(), strides.end());
      values.append(low.begin(), low.end());
      Value attrs_memref = i64_list(rw, loc, values);
      rw.replaceOp(op, call_into_new_buffer(
                           rw, loc, op->getParentOfType<ModuleOp>(),
                           rt::abi::kSelectAndScatterPrefix + std::string(tf::dtype_name(*dtype)),
                           {x, y, g}, x_type, sizes_of(x), {attrs_memref}));
      return success();
    }
    MLIRContext* ctx = rw.getContext();
    int64_t window_size = 1;
    for (int64_t k : window) window_size *= k;
    auto c = [&](OpBuilder& b, Location l, int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(l, v);
    };
    // Loops: the first `rank` dims (windows, or elements), then the window offsets.
    SmallVector<AffineExpr> first, offsets;
    for (int64_t d = 0; d < rank; ++d) {
      first.push_back(getAffineDimExpr(d, ctx));
      offsets.push_back(getAffineDimExpr(rank + d, ctx));
    }
    auto first_map = AffineMap::get(2 * rank, 0, first, ctx);
    auto offsets_map = AffineMap::get(2 * rank, 0, offsets, ctx);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.append(rank, utils::IteratorType::reduction);
    Value shape_of_window = rw.create<tensor::EmptyOp>(loc, window, elem);
    // The row-major offset of window position k, and whether index q lies in [0, n).
    auto flat_offset = [&](OpBuilder& b, Location l) -> Value {
      Value flat = c(b, l, 0);
      for (int64_t d = 0; d < rank; ++d)
        flat = b.create<arith::AddIOp>(l, b.create<arith::MulIOp>(l, flat, c(b, l, window[d])),
                                       b.create<linalg::IndexOp>(l, rank + d));
      return b.create<arith::IndexCastOp>(l, b.getI32Type(), flat);
    };
    auto clamp = [&](OpBuilder& b, Location l, Value q, Value n) {
      return b.create<arith::MaxSIOp>(
          l, c(b, l, 0), b.create<arith::MinSIOp>(l, q, b.create<arith::SubIOp>(l, n, c(b, l, 1))));
    };
    auto in_range = [&](OpBuilder& b, Location l, Value q, Value n) {
      return b.create<arith::AndIOp>(
          l, b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, q, c(b, l, 0)),
          b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, q, n));
    };
    SmallVector<Value> x_sizes, w_sizes;
    for (int64_t d = 0; d < rank; ++d) {
      x_sizes.push_back(rw.create<tensor::DimOp>(loc, x, d));
      w_sizes.push_back(rw.create<tensor::DimOp>(loc, y, d));
    }
    // 1. chosen[w]: the least offset k whose element equals y[w] (window_size if none).
    Value none = rw.create<arith::ConstantIntOp>(loc, window_size, 32);
    Value chosen_init =
        rw.create<linalg::FillOp>(
              loc, none,
              rw.create<tensor::EmptyOp>(loc, w_type.getShape(), rw.getI32Type(), sizes_of(y))
                  .getResult())
            .getResult(0);
    auto chosen_type = RankedTensorType::get(w_type.getShape(), rw.getI32Type());
    Value chosen =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{chosen_type}, ValueRange{y, shape_of_window}, chosen_init,
              SmallVector<AffineMap>{first_map, offsets_map, first_map}, iters,
              [&](OpBuilder& b, Location l, ValueRange args) {
                Value inside = b.create<arith::ConstantIntOp>(l, 1, 1);
                SmallVector<Value> at;
                for (int64_t d = 0; d < rank; ++d) {
                  Value q = b.create<arith::SubIOp>(
                      l,
                      b.create<arith::AddIOp>(
                          l,
                          b.create<arith::MulIOp>(l, b.create<linalg::IndexOp>(l, d),
                                                  c(b, l, strides[d])),
                          b.create<linalg::IndexOp>(l, rank + d)),
                      c(b, l, low[d]));
                  inside = b.create<arith::AndIOp>(l, inside, in_range(b, l, q, x_sizes[d]));
                  at.push_back(clamp(b, l, q, x_sizes[d]));
                }
                // Read only inside the input (which may be empty: no index is valid then).
                Value v = b.create<scf::IfOp>(
                               l, inside,
                               [&](OpBuilder& t, Location tl) {
                                 t.create<scf::YieldOp>(
                                     tl, ValueRange{t.create<tensor::ExtractOp>(tl, x, at)});
                               },
                               [&](OpBuilder& t, Location tl) {
                                 t.create<scf::YieldOp>(tl, ValueRange{args[0]});
                               })
                              .getResult(0);
                Value match;
                if (isa<FloatType>(elem)) {
                  match = b.create<arith::OrIOp>(
                      l, b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, v, args[0]),
                      b.create<arith::AndIOp>(
                          l, b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, v, v),
                          b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, args[0], args[0])));
                } else {
                  match = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, v, args[0]);
                }
                Value candidate = b.create<arith::SelectOp>(
                    l, b.create<arith::AndIOp>(l, inside, match), flat_offset(b, l),
                    b.create<arith::ConstantIntOp>(l, window_size, 32));
                b.create<linalg::YieldOp>(
                    l, ValueRange{b.create<arith::MinSIOp>(l, args[2], candidate)});
              })
            .getResult(0);
    // 2. out[p] = sum over offsets k of g[w] where w = (p + low - k) / stride chose k.
    Value zero = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(elem));
    Value out_init =
        rw.create<linalg::FillOp>(
              loc, zero,
              rw.create<tensor::EmptyOp>(loc, x_type.getShape(), elem, sizes_of(x)).getResult())
            .getResult(0);
    Value out =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{x_type}, ValueRange{shape_of_window}, out_init,
              SmallVector<AffineMap>{offsets_map, first_map}, iters,
              [&](OpBuilder& b, Location l, ValueRange args) {
                Value holds = b.create<arith::ConstantIntOp>(l, 1, 1);
                SmallVector<Value> w;
                for (int64_t d = 0; d < rank; ++d) {
                  Value t = b.create<arith::SubIOp>(
                      l,
                      b.create<arith::AddIOp>(l, b.create<linalg::IndexOp>(l, d), c(b, l, low[d])),
                      b.create<linalg::IndexOp>(l, rank + d));
                  Value s = c(b, l, strides[d]);
                  Value wd = b.create<arith::DivSIOp>(l, t, s);
                  Value exact = b.create<arith::CmpIOp>(
                      l, arith::CmpIPredicate::eq, b.create<arith::RemSIOp>(l, t, s), c(b, l, 0));
                  holds = b.create<arith::AndIOp>(
                      l, holds,
                      b.create<arith::AndIOp>(
                          l, exact,
                          b.create<arith::AndIOp>(
                              l,
                              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, t, c(b, l, 0)),
                              in_range(b, l, wd, w_sizes[d]))));
                  w.push_back(clamp(b, l, wd, w_sizes[d]));
                }
                // Read only for a window that holds p (there may be none: g may be empty).
                Value flat = flat_offset(b, l);  // linalg.index: outside the scf.if
                Value add =
                    b.create<scf::IfOp>(
                         l, holds,
                         [&](OpBuilder& t, Location tl) {
                           Value picked = t.create<arith::CmpIOp>(
                               tl, arith::CmpIPredicate::eq,
                               t.create<tensor::ExtractOp>(tl, chosen, w), flat);
                           Value gw = t.create<tensor::ExtractOp>(tl, g, w);
                           t.create<scf::YieldOp>(
                               tl, ValueRange{t.create<arith::SelectOp>(tl, picked, gw, zero)});
                         },
                         [&](OpBuilder& t, Location tl) {
                           t.create<scf::YieldOp>(tl, ValueRange{zero});
                         })
                        .getResult(0);
                Value sum = isa<FloatType>(elem)
                                ? b.create<arith::AddFOp>(l, args[1], add).getResult()
                                : b.create<arith::AddIOp>(l, args[1], add).getResult();
                b.create<linalg::YieldOp>(l, ValueRange{sum});
              })
            .getResult(0);
    rw.replaceOp(op, out);
    return success();
  }
  Options options;
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerReduceWindow>(patterns.getContext());
  patterns.add<LowerSelectAndScatter>(patterns.getContext(), options);
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
