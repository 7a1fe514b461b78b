// Pass: a convolution's epilogue fused into it, on the tfjit graph. A float32 tfjit.conv whose
// result flows, each value used once, through
//     [+ bias]  tfjit.binary "add" with a tfjit.broadcast_to of a tensor that varies only along
//               the channel dim (bias_add, `conv + b`, channels first or last)
//     [+ residual]  tfjit.binary "add" with a tensor of the same type
//     [act]     tfjit.unary of FusedConvOp::activations() (relu, relu6, elu, tanh, ...)
// becomes one tfjit.fused_conv, which the CPU lowering makes one oneDNN call (bias as the
// primitive's bias, residual as a sum post-op, act as an eltwise post-op;
// backends/cpu/conv.cpp), and the GPU's, with ReLU, one cuDNN call
// (cudnnConvolutionBiasActivationForward; backends/cuda/cudnn.cpp). Channels-first convolutions are
// traced as transpose -> conv -> transpose: the chain may start after the transpose back, and the
// fused op is transposed instead (a residual must then be the transpose of a channels-last tensor,
// taken as it was). A value with another use ends the chain before it (a pre-activation the
// backward pass reads stays a value of its own), and the order is fixed (bias, residual, act), so
// oneDNN's call rounds as the chain did (cuDNN's adds the residual before the bias). Runs only
// where convolutions are library calls (oneDNN, cuDNN); a fused op no library takes is split again
// (compiler/lowering/to_linalg/conv.cpp).
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Analysis/SliceAnalysis.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_FUSECONVEPILOGUE
#include "compiler/Passes.h.inc"
namespace {

// The one op of `v`'s block that reads `v`'s values, if there is exactly one: uses that only
// size a broadcast (a `like` operand, as traced with unknown dims) of a tensor that op alone
// reads do not count; those broadcasts are added to `shape_only`.
Operation* only_user(Value v, SmallVector<Operation*>& shape_only) {
  Operation* def = v.getDefiningOp();
  Operation* user = nullptr;
  SmallVector<Operation*> sizing;
  for (OpOperand& use : v.getUses()) {
    auto broadcast = dyn_cast<tfjit::BroadcastToOp>(use.getOwner());
    if (broadcast && use.getOperandNumber() > 0 && broadcast.getX() != v) {
      sizing.push_back(broadcast);
      continue;
    }
    if (user && user != use.getOwner()) return nullptr;
    user = use.getOwner();
  }
  if (!user || !def || user->getBlock() != def->getBlock()) return nullptr;
  for (Operation* b : sizing)
    if (!llvm::all_of(b->getUsers(), [&](Operation* u) { return u == user; })) return nullptr;
  shape_only.append(sizing.begin(), sizing.end());
  return user;
}

// The other operand of an "add" using `v`, or null.
Value added_to(Operation* user, Value v) {
  auto add = dyn_cast_or_null<tfjit::BinaryOp>(user);
  if (!add || add.getFn() != "add") return {};
  if (add.getX() == v) return add.getY();
  return add.getY() == v ? add.getX() : Value();
}

// The rank-1 tensor of `channels` values that `o` broadcasts along dim `channel_dim` of `type`
// (NumPy's alignment from the right), or null: a bias.
Value bias_of(OpBuilder& b, Value o, RankedTensorType type, int64_t channel_dim) {
  auto broadcast = o.getDefiningOp<tfjit::BroadcastToOp>();
  if (!broadcast) return {};
  Value src = broadcast.getX();
  auto src_type = cast<RankedTensorType>(src.getType());
  const int64_t channels = type.getDimSize(channel_dim);
  const int64_t lead = type.getRank() - src_type.getRank();
  if (ShapedType::isDynamic(channels) || channel_dim < lead ||
      src_type.getElementType() != type.getElementType())
    return {};
  for (int64_t j = 0; j < src_type.getRank(); ++j)
    if (src_type.getDimSize(j) != (j + lead == channel_dim ? channels : 1)) return {};
  if (src_type.getRank() == 1) return src;
  if (auto reshape = src.getDefiningOp<tfjit::ReshapeOp>();
      reshape &&
      cast<RankedTensorType>(reshape.getX().getType()).getShape() == ArrayRef<int64_t>{channels})
    return reshape.getX();
  return b.create<tfjit::ReshapeOp>(o.getLoc(),
                                    RankedTensorType::get({channels}, type.getElementType()), src);
}

// Whether `o` is computed from the convolution's result. Such a value cannot feed the fused op
// that replaces that result: `conv + conv`, a bias reduced from the conv's output, a residual
// broadcast with the chain's value as its `like` (unknown dims).
bool depends_on(Value o, Operation* conv) {
  if (o.getDefiningOp() == conv) return true;
  llvm::SetVector<Operation*> slice;
  BackwardSliceOptions options;
  options.inclusive = true;
  getBackwardSlice(o, &slice, options);
  return slice.contains(conv);
}

bool is_activation(Operation* op) {
  auto unary = dyn_cast_or_null<tfjit::UnaryOp>(op);
  return unary && llvm::is_contained(tfjit::FusedConvOp::activations(), unary.getFn());
}

// Rewrites the chain from `conv`, if there is one. Returns whether it did.
bool fuse(tfjit::ConvOp conv) {
  auto type = cast<RankedTensorType>(conv.getType());
  if (!type.getElementType().isF32()) return false;
  const int64_t rank = type.getRank();
  OpBuilder b(conv);
  // Channels first: the chain starts after the transpose back.
  Value v = conv.getResult();
  tfjit::TransposeOp transpose;
  int64_t channel_dim = rank - 1;
  SmallVector<int64_t> perm;
  SmallVector<Operation*> shape_only, sized;  // broadcasts sized by the chain's values
  if (auto t = dyn_cast_or_null<tfjit::TransposeOp>(only_user(v, sized))) {
    transpose = t;
    shape_only = sized;
    perm.assign(t.getPerm().begin(), t.getPerm().end());
    channel_dim = llvm::find(perm, rank - 1) - perm.begin();
    v = t.getResult();
  }
  auto chain_type = cast<RankedTensorType>(v.getType());
  Value bias, residual;
  StringRef activation;
  SmallVector<Operation*> fused;  // the chain's ops after the conv (and its transpose), in order
  // The residual in the convolution's own layout, or null.
  auto residual_of = [&](Value o) -> Value {
    if (o.getType() != chain_type) return {};
    if (!transpose) return o;
    auto t = o.getDefiningOp<tfjit::TransposeOp>();
    return t && t.getPerm() == ArrayRef<int64_t>(perm) && t.getX().getType() == type ? t.getX()
                                                                                     : Value();
  };
  sized.clear();
  while (Operation* user = only_user(v, sized)) {
    if (Value o = added_to(user, v)) {
      b.setInsertionPoint(user);
      // A bias broadcast sized by the chain's value (unknown dims) is fine: the fused op takes
      // the channel vector. A residual is taken as it is, so nothing in it may come from the conv.
      Value candidate;
      if (!bias && !residual && (candidate = bias_of(b, o, chain_type, channel_dim))) {
        if (depends_on(candidate, conv)) {
          if (auto r = candidate.getDefiningOp<tfjit::ReshapeOp>(); r && r->use_empty()) r->erase();
          break;
        }
        bias = candidate;
      } else if (!residual && (candidate = residual_of(o)) && !depends_on(candidate, conv)) {
        residual = candidate;
      } else {
        break;
      }
    } else if (is_activation(user)) {
      activation = cast<tfjit::UnaryOp>(user).getFn();
    } else {
      break;
    }
    fused.push_back(user);
    shape_only.append(sized.begin(), sized.end());
    sized.clear();
    v = user->getResult(0);
    if (!activation.empty()) break;
  }
  if (fused.empty()) return false;
  Operation* last = fused.back();
  b.setInsertionPoint(last);
  auto op = b.create<tfjit::FusedConvOp>(conv.getLoc(), type, conv.getLhs(), conv.getRhs(), bias,
                                         residual, conv.getStrides(), conv.getDilations(),
                                         conv.getPaddingLow(), conv.getPaddingHigh(),
                                         conv.getGroups(), activation);
  Value result = op.getResult();
  if (transpose)
    result = b.create<tfjit::TransposeOp>(transpose.getLoc(), result, transpose.getPerm());
  last->getResult(0).replaceAllUsesWith(result);
  // The chain, then what only it read (the bias' broadcast and reshape, a residual's transpose,
  // broadcasts sized by the chain), then the convolution.
  llvm::SetVector<Operation*> feeding(shape_only.begin(), shape_only.end());
  auto erase = [&](Operation* op) {
    for (Value operand : op->getOperands())
      if (Operation* def = operand.getDefiningOp();
          def && isa<tfjit::BroadcastToOp, tfjit::TransposeOp, tfjit::ReshapeOp>(def))
        feeding.insert(def);
    feeding.remove(op);
    op->erase();
  };
  for (Operation* op : llvm::reverse(fused)) erase(op);
  for (bool erased = true; erased;) {
    erased = false;
    for (Operation* op : feeding.takeVector())
      if (op->use_empty() && op != transpose && op != conv) {
        erase(op);
        erased = true;
      } else {
        feeding.insert(op);
      }
  }
  if (transpose) transpose->erase();
  conv->erase();
  return true;
}

struct FuseConvEpiloguePass : impl::FuseConvEpilogueBase<FuseConvEpiloguePass> {
  void runOnOperation() override {
    SmallVector<tfjit::ConvOp> convs;
    getOperation().walk([&](tfjit::ConvOp op) { convs.push_back(op); });
    for (tfjit::ConvOp conv : convs) fuse(conv);
  }
};

}  // namespace

std::unique_ptr<Pass> create_fuse_conv_epilogue_pass() {
  return std::make_unique<FuseConvEpiloguePass>();
}

}  // namespace tf::compiler
