// The convolution family. float32 on the CPU (Options::host_library_calls) becomes a call of the
// eager oneDNN kernel (runtime/library_abi.h: tfjit_conv; tfjit_conv_fused for a convolution
// with its epilogue, tfjit.fused_conv), as GEMMs do; on the GPU with cuDNN
// (Options::device_conv_calls), every float dtype becomes the same tfjit_conv call (a float32
// one fused with ReLU the same tfjit_conv_fused call), which the launch plan turns into a cuDNN
// step (compiler/gpu_launch_plan.cpp); otherwise one
// linalg.generic each (generated kernels, other dtypes), in the layouts of core::ConvSpec with the
// channels split into (groups, per group):
//   conv:            y[n, o, g, co] += xp[n, o*s + k*r, g, ci] * w[k, ci, g, co]
//   backprop_filter: dw[k, ci, g, co] += xp[n, o*s + k*r, g, ci] * dy[n, o, g, co]
//   backprop_input:  dx[n, i, g, ci] += dyp[n, i + k*r + shift, g, co] * w[K-1-k, ci, g, co]
// where xp is x zero-padded, and dyp is dy spread out by the strides into zeros (the transpose of
// the forward's windows: the flipped filter slides over it with stride 1). float16 and bfloat16
// accumulate in float32 (the eager loops in double: the two may differ in the last bit).
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "llvm/ADT/StringSwitch.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

struct Attrs {
  ArrayRef<int64_t> strides, dilations, low, high;
  int64_t groups;
};
template <class Op>
Attrs attrs_of(Op op) {
  return {op.getStrides(), op.getDilations(), op.getPaddingLow(), op.getPaddingHigh(),
          static_cast<int64_t>(op.getGroups())};
}

Value dim(PatternRewriter& rw, Location loc, Value t, int64_t d) {
  return rw.create<tensor::DimOp>(loc, t, d);
}

// A zero tensor of `shape` (the batch dim dynamic when `t`'s is) with `t` inserted at `offsets`
// every `steps` along each spatial dim: padding (steps 1) or spreading out (steps = strides).
Value spread_into_zeros(PatternRewriter& rw, Location loc, Value t, ArrayRef<int64_t> shape,
                        ArrayRef<int64_t> offsets, ArrayRef<int64_t> steps, Value zero) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<Value> dynamic;
  SmallVector<int64_t> buffer_shape(shape);
  if (type.isDynamicDim(0)) {
    dynamic.push_back(dim(rw, loc, t, 0));
    buffer_shape[0] = ShapedType::kDynamic;
  }
  Value buffer = rw.create<linalg::FillOp>(
                       loc, zero,
                       rw.create<tensor::EmptyOp>(loc, buffer_shape, type.getElementType(), dynamic)
                           .getResult())
                     .getResult(0);
  const int64_t rank = type.getRank();
  SmallVector<OpFoldResult> at(rank, rw.getIndexAttr(0)), sizes, strides(rank, rw.getIndexAttr(1));
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(type.isDynamicDim(d) ? OpFoldResult(dim(rw, loc, t, d))
                                         : OpFoldResult(rw.getIndexAttr(type.getDimSize(d))));
  for (size_t d = 0; d < offsets.size(); ++d) {
    at[d + 1] = rw.getIndexAttr(offsets[d]);
    strides[d + 1] = rw.getIndexAttr(steps[d]);
  }
  return rw.create<tensor::InsertSliceOp>(loc, t, buffer, at, sizes, strides);
}

// x zero-padded by the attributes' paddings along its spatial dims (x itself if none).
Value zero_padded(PatternRewriter& rw, Location loc, Value x, const Attrs& a) {
  auto type = cast<RankedTensorType>(x.getType());
  const int64_t s = type.getRank() - 2;
  SmallVector<int64_t> shape = {type.getDimSize(0)};
  bool padded = false;
  for (int64_t i = 0; i < s; ++i) {
    shape.push_back(type.getDimSize(i + 1) + a.low[i] + a.high[i]);
    padded |= a.low[i] != 0 || a.high[i] != 0;
  }
  shape.push_back(type.getDimSize(s + 1));
  if (!padded) return x;
  Value zero = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(type.getElementType()));
  return spread_into_zeros(rw, loc, x, shape, a.low, SmallVector<int64_t>(s, 1), zero);
}

// Splits dim `d` of `t` into (groups, size / groups).
Value split_dim(PatternRewriter& rw, Location loc, Value t, int64_t d, int64_t groups) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  shape[d] /= groups;
  shape.insert(shape.begin() + d, groups);
  SmallVector<ReassociationIndices> groups_of;
  for (int64_t i = 0, j = 0; i < type.getRank(); ++i) {
    groups_of.push_back(i == d ? ReassociationIndices{j, j + 1} : ReassociationIndices{j});
    j += i == d ? 2 : 1;
  }
  return rw.create<tensor::ExpandShapeOp>(loc, RankedTensorType::get(shape, type.getElementType()),
                                          t, groups_of);
}

// The generic's result (..., groups, per group) as `out_type`: truncated to its element type
// when accumulated wider, the last two dims merged.
Value finish(PatternRewriter& rw, Location loc, Value acc, RankedTensorType out_type) {
  auto acc_type = cast<RankedTensorType>(acc.getType());
  if (acc_type.getElementType() != out_type.getElementType()) {
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < acc_type.getRank(); ++d)
      if (acc_type.isDynamicDim(d)) dynamic.push_back(dim(rw, loc, acc, d));
    Value init =
        rw.create<tensor::EmptyOp>(loc, acc_type.getShape(), out_type.getElementType(), dynamic);
    auto id = rw.getMultiDimIdentityMap(acc_type.getRank());
    acc = rw.create<linalg::GenericOp>(
                loc, TypeRange{init.getType()}, acc, init, SmallVector<AffineMap>{id, id},
                SmallVector<utils::IteratorType>(acc_type.getRank(), utils::IteratorType::parallel),
                [&](OpBuilder& b, Location l, ValueRange args) {
                  b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::TruncFOp>(
                                                   l, out_type.getElementType(), args[0])});
                })
              .getResult(0);
  }
  const int64_t rank = out_type.getRank();
  SmallVector<ReassociationIndices> merged;
  for (int64_t d = 0; d + 1 < rank; ++d) merged.push_back({d});
  merged.push_back({rank - 1, rank});
  return rw.create<tensor::CollapseShapeOp>(loc, acc, merged);
}

// out[...] += a * b over the generic's reduction dims, accumulated in `acc_elem`.
Value contraction(PatternRewriter& rw, Location loc, Value a, Value b, ArrayRef<Value> shape_only,
                  ArrayRef<AffineMap> maps, ArrayRef<int64_t> out_shape, Value batch_size,
                  int64_t parallel_dims, Type acc_elem) {
  SmallVector<int64_t> shape(out_shape);
  SmallVector<Value> dynamic;
  if (batch_size) dynamic.push_back(batch_size);
  Value zero = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(acc_elem));
  Value init =
      rw.create<linalg::FillOp>(
            loc, zero, rw.create<tensor::EmptyOp>(loc, shape, acc_elem, dynamic).getResult())
          .getResult(0);
  SmallVector<Value> inputs = {a, b};
  inputs.append(shape_only.begin(), shape_only.end());
  const int64_t loops = maps[0].getNumDims();
  SmallVector<utils::IteratorType> iters(parallel_dims, utils::IteratorType::parallel);
  iters.append(loops - parallel_dims, utils::IteratorType::reduction);
  return rw
      .create<linalg::GenericOp>(
          loc, TypeRange{init.getType()}, inputs, init, maps, iters,
          [&](OpBuilder& bb, Location l, ValueRange args) {
            Value x = args[0], y = args[1];
            if (x.getType() != acc_elem) {
              x = bb.create<arith::ExtFOp>(l, acc_elem, x);
              y = bb.create<arith::ExtFOp>(l, acc_elem, y);
            }
            Value product = bb.create<arith::MulFOp>(l, x, y);
            bb.create<linalg::YieldOp>(
                l, ValueRange{bb.create<arith::AddFOp>(l, args.back(), product)});
          })
      .getResult(0);
}

Type accumulator_type(Type elem) {
  return elem.isF16() || elem.isBF16() ? Float32Type::get(elem.getContext()) : elem;
}

// A call of the eager kernel (or, on the GPU, a cuDNN step) with the attributes as a constant i64
// array.
// A fused convolution (`epilogue`: [activation code, has bias, has residual]) calls
// tfjit_conv_fused with its bias and residual after the filter (the input in place of an absent
// one).
Value library_call(PatternRewriter& rw, Operation* op, rt::abi::ConvKind kind, const Attrs& a,
                   Value lhs, Value rhs, Value batch_source, ArrayRef<Value> extra = {},
                   ArrayRef<int64_t> epilogue = {}) {
  Location loc = op->getLoc();
  auto out_type = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<Value> dynamic;
  if (out_type.isDynamicDim(0)) dynamic.push_back(dim(rw, loc, batch_source, 0));
  SmallVector<int64_t> values = {static_cast<int64_t>(kind), a.groups};
  for (ArrayRef<int64_t> l : {a.strides, a.dilations, a.low, a.high})
    values.append(l.begin(), l.end());
  values.append(epilogue.begin(), epilogue.end());
  SmallVector<Value> inputs = {lhs, rhs};
  inputs.append(extra.begin(), extra.end());
  Value attrs_memref = i64_list(rw, loc, values);
  return call_into_new_buffer(rw, loc, op->getParentOfType<ModuleOp>(),
                              extra.empty() ? rt::abi::kConv : rt::abi::kConvFused, inputs,
                              out_type, dynamic, {attrs_memref});
}

bool use_library(const Options& options, Operation* op) {
  return options.device_conv_calls ||  // cuDNN takes every float dtype
         (options.host_library_calls &&
          cast<RankedTensorType>(op->getResult(0).getType()).getElementType().isF32());
}

AffineExpr d(int64_t i, MLIRContext* ctx) {
  return getAffineDimExpr(static_cast<unsigned>(i), ctx);
}

struct LowerConv : OpRewritePattern<tfjit::ConvOp> {
  LowerConv(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::ConvOp op, PatternRewriter& rw) const override {
    Attrs a = attrs_of(op);
    Value x = op.getLhs(), w = op.getRhs();
    if (use_library(options, op)) {
      rw.replaceOp(op, library_call(rw, op, rt::abi::ConvKind::kForward, a, x, w, x));
      return success();
    }
    Location loc = op.getLoc();
    MLIRContext* ctx = rw.getContext();
    auto x_type = cast<RankedTensorType>(x.getType());
    auto w_type = cast<RankedTensorType>(w.getType());
    auto out_type = cast<RankedTensorType>(op.getType());
    const int64_t s = x_type.getRank() - 2, g = a.groups;
    Type acc = accumulator_type(x_type.getElementType());
    x = zero_padded(rw, loc, x, a);
    x = split_dim(rw, loc, x, s + 1, g);  // (n, p..., g, ci)
    w = split_dim(rw, loc, w, s + 1, g);  // (k..., ci, g, co)
    // Loops: n, o..., g, co | k..., ci.
    SmallVector<AffineExpr> xs = {d(0, ctx)}, ws, ys = {d(0, ctx)};
    for (int64_t i = 0; i < s; ++i) {
      xs.push_back(d(1 + i, ctx) * a.strides[i] + d(s + 3 + i, ctx) * a.dilations[i]);
      ws.push_back(d(s + 3 + i, ctx));
      ys.push_back(d(1 + i, ctx));
    }
    xs.append({d(s + 1, ctx), d(2 * s + 3, ctx)});
    ws.append({d(2 * s + 3, ctx), d(s + 1, ctx), d(s + 2, ctx)});
    ys.append({d(s + 1, ctx), d(s + 2, ctx)});
    const int64_t loops = 2 * s + 4;
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xs, ctx),
                                   AffineMap::get(loops, 0, ws, ctx),
                                   AffineMap::get(loops, 0, ys, ctx)};
    SmallVector<int64_t> out_shape(out_type.getShape().drop_back());
    out_shape.append({g, w_type.getDimSize(s + 1) / g});
    Value batch = out_type.isDynamicDim(0) ? dim(rw, loc, op.getLhs(), 0) : Value();
    Value y = contraction(rw, loc, x, w, {}, maps, out_shape, batch, s + 3, acc);
    rw.replaceOp(op, finish(rw, loc, y, out_type));
    return success();
  }
  Options options;
};

struct LowerConvBackpropFilter : OpRewritePattern<tfjit::ConvBackpropFilterOp> {
  LowerConvBackpropFilter(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::ConvBackpropFilterOp op,
                                PatternRewriter& rw) const override {
    Attrs a = attrs_of(op);
    Value x = op.getLhs(), dy = op.getRhs();
    if (use_library(options, op)) {
      rw.replaceOp(op, library_call(rw, op, rt::abi::ConvKind::kBackpropFilter, a, x, dy, x));
      return success();
    }
    Location loc = op.getLoc();
    MLIRContext* ctx = rw.getContext();
    auto x_type = cast<RankedTensorType>(x.getType());
    auto out_type = cast<RankedTensorType>(op.getType());
    const int64_t s = x_type.getRank() - 2, g = a.groups;
    x = zero_padded(rw, loc, x, a);
    x = split_dim(rw, loc, x, s + 1, g);    // (n, p..., g, ci)
    dy = split_dim(rw, loc, dy, s + 1, g);  // (n, o..., g, co)
    // Loops: k..., ci, g, co | n, o...
    SmallVector<AffineExpr> xs = {d(s + 3, ctx)}, dys = {d(s + 3, ctx)}, ws;
    for (int64_t i = 0; i < s; ++i) {
      xs.push_back(d(s + 4 + i, ctx) * a.strides[i] + d(i, ctx) * a.dilations[i]);
      dys.push_back(d(s + 4 + i, ctx));
      ws.push_back(d(i, ctx));
    }
    xs.append({d(s + 1, ctx), d(s, ctx)});
    dys.append({d(s + 1, ctx), d(s + 2, ctx)});
    ws.append({d(s, ctx), d(s + 1, ctx), d(s + 2, ctx)});
    const int64_t loops = 2 * s + 4;
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xs, ctx),
                                   AffineMap::get(loops, 0, dys, ctx),
                                   AffineMap::get(loops, 0, ws, ctx)};
    SmallVector<int64_t> out_shape(out_type.getShape().drop_back());
    out_shape.append({g, out_type.getDimSize(s + 1) / g});
    Value dw = contraction(rw, loc, x, dy, {}, maps, out_shape, Value(), s + 3,
                           accumulator_type(x_type.getElementType()));
    rw.replaceOp(op, finish(rw, loc, dw, out_type));
    return success();
  }
  Options options;
};

struct LowerConvBackpropInput : OpRewritePattern<tfjit::ConvBackpropInputOp> {
  LowerConvBackpropInput(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::ConvBackpropInputOp op, PatternRewriter& rw) const override {
    Attrs a = attrs_of(op);
    Value w = op.getLhs(), dy = op.getRhs();
    if (use_library(options, op)) {
      rw.replaceOp(op, library_call(rw, op, rt::abi::ConvKind::kBackpropInput, a, w, dy, dy));
      return success();
    }
    Location loc = op.getLoc();
    MLIRContext* ctx = rw.getContext();
    auto w_type = cast<RankedTensorType>(w.getType());
    auto dy_type = cast<RankedTensorType>(dy.getType());
    auto out_type = cast<RankedTensorType>(op.getType());
    const int64_t s = dy_type.getRank() - 2, g = a.groups;
    // The flipped filter reads dy spread out by the strides: tap k of output i reads position
    // i + k r + shift of the spread, where dy's element o sits at o s + offset.
    SmallVector<int64_t> spread_shape = {dy_type.getDimSize(0)}, offsets, shifts;
    for (int64_t i = 0; i < s; ++i) {
      const int64_t k = w_type.getDimSize(i), r = a.dilations[i];
      const int64_t front = (k - 1) * r - a.low[i];  // may be negative
      offsets.push_back(std::max<int64_t>(front, 0));
      shifts.push_back(offsets.back() - front);
      const int64_t holds_dy = (dy_type.getDimSize(i + 1) - 1) * a.strides[i] + 1 + offsets.back();
      const int64_t read = out_type.getDimSize(i + 1) + (k - 1) * r + shifts.back();
      spread_shape.push_back(std::max(holds_dy, read));
    }
    spread_shape.push_back(dy_type.getDimSize(s + 1));
    Value zero = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(dy_type.getElementType()));
    Value spread = spread_into_zeros(rw, loc, dy, spread_shape, offsets, a.strides, zero);
    spread = split_dim(rw, loc, spread, s + 1, g);  // (n, q..., g, co)
    w = split_dim(rw, loc, w, s + 1, g);            // (k..., ci, g, co)
    // Loops: n, i..., g, ci | k..., co. The taps' extent comes from a shape-only operand, since
    // the filter is read flipped.
    SmallVector<AffineExpr> dys = {d(0, ctx)}, ws, xs = {d(0, ctx)}, taps;
    for (int64_t i = 0; i < s; ++i) {
      dys.push_back(d(1 + i, ctx) + d(s + 3 + i, ctx) * a.dilations[i] + shifts[i]);
      ws.push_back(getAffineConstantExpr(w_type.getDimSize(i) - 1, ctx) - d(s + 3 + i, ctx));
      xs.push_back(d(1 + i, ctx));
      taps.push_back(d(s + 3 + i, ctx));
    }
    dys.append({d(s + 1, ctx), d(2 * s + 3, ctx)});
    ws.append({d(s + 2, ctx), d(s + 1, ctx), d(2 * s + 3, ctx)});
    xs.append({d(s + 1, ctx), d(s + 2, ctx)});
    const int64_t loops = 2 * s + 4;
    Value tap_shape =
        rw.create<tensor::EmptyOp>(loc, w_type.getShape().take_front(s), w_type.getElementType());
    SmallVector<AffineMap> maps = {
        AffineMap::get(loops, 0, dys, ctx), AffineMap::get(loops, 0, ws, ctx),
        AffineMap::get(loops, 0, taps, ctx), AffineMap::get(loops, 0, xs, ctx)};
    SmallVector<int64_t> out_shape(out_type.getShape().drop_back());
    out_shape.append({g, out_type.getDimSize(s + 1) / g});
    Value batch = out_type.isDynamicDim(0) ? dim(rw, loc, op.getRhs(), 0) : Value();
    Value dx = contraction(rw, loc, spread, w, {tap_shape}, maps, out_shape, batch, s + 3,
                           accumulator_type(dy_type.getElementType()));
    rw.replaceOp(op, finish(rw, loc, dx, out_type));
    return success();
  }
  Options options;
};

// runtime/library_abi.h's code for a fused activation (tfjit::FusedConvOp::activations()).
rt::abi::Epilogue epilogue_code(StringRef activation) {
  using E = rt::abi::Epilogue;
  return llvm::StringSwitch<E>(activation)
      .Case("relu", E::kRelu)
      .Case("relu6", E::kRelu6)
      .Case("elu", E::kElu)
      .Case("tanh", E::kTanh)
      .Case("sigmoid", E::kSigmoid)
      .Case("gelu", E::kGelu)
      .Case("gelu_tanh", E::kGeluTanh)
      .Case("silu", E::kSilu)
      .Default(E::kNone);
}

// A fused convolution (compiler/lowering/fuse_conv_epilogue.cpp): one call of the eager kernel
// with its epilogue on the CPU (oneDNN's post-ops) and, with ReLU, on the GPU with cuDNN
// (cudnnConvolutionBiasActivationForward fuses no other activation); elsewhere the convolution
// and its epilogue's elementwise ops again, which the patterns lower as they lower a traced chain.
struct LowerFusedConv : OpRewritePattern<tfjit::FusedConvOp> {
  LowerFusedConv(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::FusedConvOp op, PatternRewriter& rw) const override {
    Attrs a = attrs_of(op);
    Value x = op.getLhs(), w = op.getRhs(), bias = op.getBias(), residual = op.getResidual();
    const bool one_call = options.host_library_calls
                              ? use_library(options, op)
                              : options.device_conv_calls && op.getActivation() == "relu" &&
                                    cast<RankedTensorType>(op.getType()).getElementType().isF32();
    if (one_call) {
      const int64_t epilogue[] = {static_cast<int64_t>(epilogue_code(op.getActivation())),
                                  bias ? 1 : 0, residual ? 1 : 0};
      Value extra[] = {bias ? bias : x, residual ? residual : x};
      rw.replaceOp(op,
                   library_call(rw, op, rt::abi::ConvKind::kForward, a, x, w, x, extra, epilogue));
      return success();
    }
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value y = rw.create<tfjit::ConvOp>(loc, type, x, w, op.getStrides(), op.getDilations(),
                                       op.getPaddingLow(), op.getPaddingHigh(), op.getGroups());
    auto add = [&](Value u, Value v) {
      return rw.create<tfjit::BinaryOp>(loc, type, "add", u, v).getResult();
    };
    if (bias) y = add(y, rw.create<tfjit::BroadcastToOp>(loc, type, bias, ValueRange{y}));
    if (residual) y = add(y, residual);
    if (!op.getActivation().empty())
      y = rw.create<tfjit::UnaryOp>(loc, type, op.getActivation(), y);
    rw.replaceOp(op, y);
    return success();
  }
  Options options;
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerConv, LowerConvBackpropFilter, LowerConvBackpropInput, LowerFusedConv>(
      patterns.getContext(), options);
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
