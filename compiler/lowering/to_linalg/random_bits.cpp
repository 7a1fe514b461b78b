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

struct LowerRandomBits : OpRewritePattern<tfjit::RandomBitsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::RandomBitsOp op, PatternRewriter& rw) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    const int64_t n = type.getNumElements(), blocks = n / 4 + (n % 4 != 0);
    if (n == 0) {
      rw.replaceOpWithNewOp<tensor::EmptyOp>(op, type.getShape(), type.getElementType());
      return success();
    }
    auto i32 = rw.getI32Type();
    auto i64 = rw.getI64Type();
    auto words_type = RankedTensorType::get({blocks}, i32);
    SmallVector<Value> words(4, rw.create<tensor::EmptyOp>(loc, words_type.getShape(), i32));
    AffineMap scalar = AffineMap::get(1, 0, {}, rw.getContext());
    AffineMap identity = rw.getMultiDimIdentityMap(1);
    const uint64_t stream = static_cast<uint64_t>(op.getStream());
    auto generic = rw.create<linalg::GenericOp>(
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
