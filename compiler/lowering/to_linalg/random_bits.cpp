// tfjit.random_bits: one linalg.generic over the Philox blocks (runtime/primitives/random_bits.h)
// whose four results are a block's four words; each becomes a contiguous quarter of the
// flattened output, as the eager kernel lays them out, so compiled and eager draws are equal.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

// Philox4x32-10 on i32 values (runtime/philox.h): four counter words, two key words.
SmallVector<Value> philox(OpBuilder& b, Location loc, SmallVector<Value> c, Value k0, Value k1) {
  auto i32 = b.getI32Type();
  auto i64 = b.getI64Type();
  auto const32 = [&](uint32_t v) -> Value {
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(i32, v));
  };
  Value shift = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(i64, 32));
  // The 64-bit product of a 32-bit word and a multiplier, as (high, low) words.
  auto mul = [&](uint32_t m, Value x) -> std::pair<Value, Value> {
    Value p = b.create<arith::MulIOp>(loc, b.create<arith::ExtUIOp>(loc, i64, x),
                                      b.create<arith::ConstantOp>(loc, b.getIntegerAttr(i64, m)));
    return {b.create<arith::TruncIOp>(loc, i32, b.create<arith::ShRUIOp>(loc, p, shift)),
            b.create<arith::TruncIOp>(loc, i32, p)};
  };
  Value bump0 = const32(0x9E3779B9), bump1 = const32(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    auto [hi0, lo0] = mul(0xD2511F53, c[0]);
    auto [hi1, lo1] = mul(0xCD9E8D57, c[2]);
    c = {b.create<arith::XOrIOp>(loc, b.create<arith::XOrIOp>(loc, hi1, c[1]), k0), lo1,
         b.create<arith::XOrIOp>(loc, b.create<arith::XOrIOp>(loc, hi0, c[3]), k1), lo0};
    k0 = b.create<arith::AddIOp>(loc, k0, bump0);
    k1 = b.create<arith::AddIOp>(loc, k1, bump1);
  }
  return c;
}

// One linalg.generic over the Philox blocks: its four results (each `words[i]`'s type) are the
// four words of every block.
linalg::GenericOp philox_blocks(tfjit::RandomBitsOp op, SmallVector<Value> words,
                                PatternRewriter& rw) {
  Location loc = op.getLoc();
  auto i32 = rw.getI32Type();
  auto i64 = rw.getI64Type();
  Type words_type = words[0].getType();
  AffineMap scalar = AffineMap::get(1, 0, {}, rw.getContext());
  AffineMap identity = rw.getMultiDimIdentityMap(1);
  const uint64_t stream = static_cast<uint64_t>(op.getStream());
  return rw.create<linalg::GenericOp>(
      loc, SmallVector<Type>(4, words_type), ValueRange{op.getKey(), op.getCounter()}, words,
      SmallVector<AffineMap>{scalar, scalar, identity, identity, identity, identity},
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder& b, Location l, ValueRange args) {
        Value shift = b.create<arith::ConstantOp>(l, b.getIntegerAttr(i64, 32));
        auto low = [&](Value v) -> Value { return b.create<arith::TruncIOp>(l, i32, v); };
        auto high = [&](Value v) -> Value { return low(b.create<arith::ShRUIOp>(l, v, shift)); };
        Value key = args[0];
        if (stream != 0)
          key = b.create<arith::XOrIOp>(
              l, key, b.create<arith::ConstantOp>(l, b.getIntegerAttr(i64, stream)));
        Value block =
            b.create<arith::IndexCastUIOp>(l, i64, b.create<linalg::IndexOp>(l, 0).getResult());
        b.create<linalg::YieldOp>(
            l, philox(b, l, {low(args[1]), high(args[1]), low(block), high(block)}, low(key),
                      high(key)));
      });
}

// A result with unknown dims: the same steps on sizes read from `like` at run time.
LogicalResult lower_shaped_like(tfjit::RandomBitsOp op, RankedTensorType type,
                                PatternRewriter& rw) {
  Location loc = op.getLoc();
  auto i32 = rw.getI32Type();
  Value like = op.getLike()[0];
  auto index = [&](int64_t v) -> Value { return rw.create<arith::ConstantIndexOp>(loc, v); };
  SmallVector<OpFoldResult> dims;
  Value n = index(1);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    Value dim = type.isDynamicDim(d) ? rw.create<tensor::DimOp>(loc, like, d).getResult()
                                     : index(type.getDimSize(d));
    dims.push_back(dim);
    n = rw.create<arith::MulIOp>(loc, n, dim);
  }
  Value blocks = rw.create<arith::CeilDivUIOp>(loc, n, index(4));
  auto words_type = RankedTensorType::get({ShapedType::kDynamic}, i32);
  SmallVector<Value> words(4, rw.create<tensor::EmptyOp>(loc, words_type, ValueRange{blocks}));
  auto generic = philox_blocks(op, words, rw);
  Value flat = rw.create<tensor::EmptyOp>(
      loc, words_type, ValueRange{rw.create<arith::MulIOp>(loc, blocks, index(4))});
  OpFoldResult one = rw.getIndexAttr(1);
  for (int64_t w = 0; w < 4; ++w) {
    OpFoldResult offset = rw.create<arith::MulIOp>(loc, blocks, index(w)).getResult();
    flat = rw.create<tensor::InsertSliceOp>(
        loc, generic.getResult(w), flat, ArrayRef<OpFoldResult>{offset},
        ArrayRef<OpFoldResult>{OpFoldResult(blocks)}, ArrayRef<OpFoldResult>{one});
  }
  flat = rw.create<tensor::ExtractSliceOp>(
      loc, words_type, flat, ArrayRef<OpFoldResult>{rw.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{OpFoldResult(n)}, ArrayRef<OpFoldResult>{one});
  if (type.getRank() == 1) {
    rw.replaceOp(op, flat);
    return success();
  }
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d) all.push_back(d);
  rw.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, flat,
                                               SmallVector<ReassociationIndices>{all}, dims);
  return success();
}

struct LowerRandomBits : OpRewritePattern<tfjit::RandomBitsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::RandomBitsOp op, PatternRewriter& rw) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    if (!type.hasStaticShape()) return lower_shaped_like(op, type, rw);
    const int64_t n = type.getNumElements(), blocks = n / 4 + (n % 4 != 0);
    if (n == 0) {
      rw.replaceOpWithNewOp<tensor::EmptyOp>(op, type.getShape(), type.getElementType());
      return success();
    }
    auto i32 = rw.getI32Type();
    auto words_type = RankedTensorType::get({blocks}, i32);
    SmallVector<Value> words(4, rw.create<tensor::EmptyOp>(loc, words_type.getShape(), i32));
    auto generic = philox_blocks(op, words, rw);
    // The four quarters, in order, cut to n and shaped.
    auto flat_type = RankedTensorType::get({n}, i32);
    Value flat = rw.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{4 * blocks}, i32);
    auto index = [&](int64_t i) { return SmallVector<OpFoldResult>{rw.getIndexAttr(i)}; };
    for (int64_t w = 0; w < 4; ++w)
      flat = rw.create<tensor::InsertSliceOp>(loc, generic.getResult(w), flat, index(w * blocks),
                                              index(blocks), index(1));
    if (4 * blocks != n)
      flat = rw.create<tensor::ExtractSliceOp>(loc, flat_type, flat, index(0), index(n), index(1));
    if (type.getRank() == 0)
      flat =
          rw.create<tensor::CollapseShapeOp>(loc, type, flat, SmallVector<ReassociationIndices>{});
    else if (type.getRank() > 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < type.getRank(); ++d) all.push_back(d);
      flat =
          rw.create<tensor::ExpandShapeOp>(loc, type, flat, SmallVector<ReassociationIndices>{all});
    }
    rw.replaceOp(op, flat);
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const Options&) {
  patterns.add<LowerRandomBits>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
