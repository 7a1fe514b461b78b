// Pass: a dense layer's epilogue fused into its GEMM. On buffers, a zero-filled float32
// linalg.matmul whose result is read only by one elementwise linalg.generic computing
// act(C + bias) (bias broadcast over rows; act one of none, relu, tanh, sigmoid) becomes one call
// `tfjit_sgemm_bias_act(A, B, bias, out, act)` (backends/cpu/library_calls.cpp) that writes the
// generic's output directly, saving a write and a read of C. Runs right before
// matmul_to_library_call; anything that does not match exactly is left to it.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "runtime/library_abi.h"

using namespace mlir;
using tf::rt::abi::Epilogue;

namespace tf::compiler {

#define GEN_PASS_DEF_FUSEMATMULEPILOGUE
#include "compiler/Passes.h.inc"
namespace {

bool is_f32_memref(Value v, int64_t rank) {
  auto t = dyn_cast<MemRefType>(v.getType());
  return t && t.getRank() == rank && t.getElementType().isF32() && t.getLayout().isIdentity();
}

bool is_float_constant(Value v, double value) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  auto f = c ? dyn_cast<FloatAttr>(c.getValue()) : FloatAttr();
  // +0 only: relu of a negative input is +0, as `x > 0 ? x : 0` gives.
  return f && f.getValue().isExactlyValue(value) && !f.getValue().isNegative();
}

template <class Op>
Op defined_by(Value v) {
  return v.getDefiningOp<Op>();
}

// The activation the yielded `v` applies to `sum`, counting the ops it takes; nullopt if `v` is
// not exactly one of the forms tfjit_to_linalg emits (compiler/lowering/scalar_ops.cpp).
std::optional<Epilogue> activation(Value v, Value sum, int& ops) {
  if (v == sum) return Epilogue::kNone;
  if (auto sel = defined_by<arith::SelectOp>(v)) {  // relu: select(sum > 0, sum, 0)
    auto cmp = defined_by<arith::CmpFOp>(sel.getCondition());
    if (cmp && cmp.getPredicate() == arith::CmpFPredicate::OGT && cmp.getLhs() == sum &&
        is_float_constant(cmp.getRhs(), 0) && sel.getTrueValue() == sum &&
        is_float_constant(sel.getFalseValue(), 0)) {
      ops = 2;
      return Epilogue::kRelu;
    }
    return std::nullopt;
  }
  if (auto tanh = defined_by<math::TanhOp>(v); tanh && tanh.getOperand() == sum) {
    ops = 1;
    return Epilogue::kTanh;
  }
  if (auto div = defined_by<arith::DivFOp>(v); div && is_float_constant(div.getLhs(), 1)) {
    auto add = defined_by<arith::AddFOp>(div.getRhs());  // sigmoid: 1 / (1 + exp(-sum))
    if (!add) return std::nullopt;
    Value e = is_float_constant(add.getLhs(), 1) ? add.getRhs() : add.getLhs();
    if (!is_float_constant(add.getLhs(), 1) && !is_float_constant(add.getRhs(), 1))
      return std::nullopt;
    auto exp = defined_by<math::ExpOp>(e);
    auto neg = exp ? defined_by<arith::NegFOp>(exp.getOperand()) : arith::NegFOp();
    if (neg && neg.getOperand() == sum) {
      ops = 4;
      return Epilogue::kSigmoid;
    }
  }
  return std::nullopt;
}

// What the generic computes from the matmul result `c`: act(c + bias) with bias its other input
// indexed by the column. nullopt for anything else.
std::optional<Epilogue> epilogue_of(linalg::GenericOp g, Value c, Value& bias) {
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 || g.getNumLoops() != 2 ||
      g.getNumParallelLoops() != 2 || !g.hasPureBufferSemantics())
    return std::nullopt;
  int c_index = g.getDpsInputs()[0] == c ? 0 : 1;
  if (g.getDpsInputs()[c_index] != c || g.getDpsInputs()[1 - c_index] == c) return std::nullopt;
  bias = g.getDpsInputs()[1 - c_index];
  Value out = g.getDpsInits()[0];
  if (!is_f32_memref(bias, 1) || !is_f32_memref(out, 2)) return std::nullopt;
  MLIRContext* ctx = g.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap column = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
  auto maps = g.getIndexingMapsArray();
  if (maps[c_index] != identity || maps[1 - c_index] != column || maps[2] != identity)
    return std::nullopt;
  Block& body = g.getRegion().front();
  if (!body.getArgument(2).use_empty()) return std::nullopt;  // reads its output
  Value sum;
  for (Operation& op : body.without_terminator())
    if (auto a = dyn_cast<arith::AddFOp>(op); a && !sum) {
      Value x = body.getArgument(c_index), y = body.getArgument(1 - c_index);
      if ((a.getLhs() == x && a.getRhs() == y) || (a.getLhs() == y && a.getRhs() == x))
        sum = a.getResult();
    }
  if (!sum) return std::nullopt;
  int ops = 0;
  auto act = activation(body.getTerminator()->getOperand(0), sum, ops);
  // Exactly the matched ops (and constants): nothing else computed on the way.
  int others = 0;
  for (Operation& op : body.without_terminator())
    if (!isa<arith::ConstantOp>(op)) ++others;
  if (!act || others != ops + 1) return std::nullopt;
  return act;
}

// The buffer `v` is a view of (through casts, subviews, reshapes).
Value root(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>()) v = view.getViewSource();
  return v;
}

// Whether no op strictly between `from` and `to` (same block) may write memory, so the GEMM's
// inputs read at `to` hold what they held at `from`.
bool nothing_written_between(Operation* from, Operation* to) {
  for (Operation* op = from->getNextNode(); op && op != to; op = op->getNextNode()) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) return false;
    if (effects.hasEffect<MemoryEffects::Write>() || effects.hasEffect<MemoryEffects::Free>())
      return false;
  }
  return true;
}

struct Match {
  linalg::FillOp fill;
  linalg::LinalgOp matmul;  // linalg.matmul or its transpose_a / transpose_b form
  GemmForm form;
  linalg::GenericOp epilogue;
  Value bias;
  Epilogue act;
};

std::optional<Match> match(linalg::LinalgOp mm) {
  auto form = gemm_form(mm);
  if (!form || form->batched || !mm.hasPureBufferSemantics()) return std::nullopt;
  for (Value v : mm->getOperands())
    if (!is_f32_memref(v, 2)) return std::nullopt;
  Value a = mm.getDpsInputs()[0], b = mm.getDpsInputs()[1], c = mm.getDpsInits()[0];
  auto fill = dyn_cast_or_null<linalg::FillOp>(mm->getPrevNode());
  if (!fill || fill.getOutputs()[0] != c || !is_float_constant(fill.getInputs()[0], 0))
    return std::nullopt;
  // The epilogue: the first generic after the GEMM that reads C.
  Block* block = mm->getBlock();
  linalg::GenericOp epilogue;
  for (Operation* op = mm->getNextNode(); op && !epilogue; op = op->getNextNode())
    if (auto g = dyn_cast<linalg::GenericOp>(op); g && llvm::is_contained(g->getOperands(), c))
      epilogue = g;
  if (!epilogue || !nothing_written_between(mm, epilogue)) return std::nullopt;
  // Nothing else may see the bare product. Bufferization often computes the epilogue in place
  // (outs(C)): then C's later readers see act(C + bias) either way. Otherwise C must be a
  // temporary nobody else reads (a returned product keeps its own GEMM).
  bool in_place = epilogue.getDpsInits()[0] == c;
  if (!in_place && !c.getDefiningOp<memref::AllocOp>()) return std::nullopt;
  // Seeing every reader needs C's own buffer, not a view of a larger one: an allocation, or a
  // result buffer of the function.
  auto arg = dyn_cast<BlockArgument>(c);
  bool function_result = arg && isa<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!c.getDefiningOp<memref::AllocOp>() && !function_result) return std::nullopt;
  for (Operation* user : c.getUsers()) {
    if (user == fill || user == mm || user == epilogue) continue;
    Operation* at = block->findAncestorOpInBlock(*user);
    if (!in_place || !at || !epilogue->isBeforeInBlock(at)) return std::nullopt;
  }
  Value bias;
  auto act = epilogue_of(epilogue, c, bias);
  if (!act) return std::nullopt;
  // oneDNN reads A, B and bias while writing the output: they must not share its buffer.
  Value out = root(epilogue.getDpsInits()[0]);
  if (out == root(a) || out == root(b) || out == root(bias)) return std::nullopt;
  return Match{fill, mm, *form, epilogue, bias, *act};
}

struct FuseMatmulEpiloguePass : impl::FuseMatmulEpilogueBase<FuseMatmulEpiloguePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    SmallVector<Match> matches;
    module.walk([&](linalg::LinalgOp op) {
      if (auto m = match(op)) matches.push_back(*m);
    });
    if (matches.empty()) return;
    const char* callee = rt::abi::kSgemmBiasAct;
    auto mat = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
    auto vec = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
    if (!module.lookupSymbol<func::FuncOp>(callee)) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      auto decl = b.create<func::FuncOp>(
          module.getLoc(), callee,
          b.getFunctionType({mat, mat, vec, mat, b.getI64Type(), b.getI64Type(), b.getI64Type()},
                            {}));
      decl.setPrivate();
      decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    }
    for (Match& m : matches) {
      Location loc = m.epilogue.getLoc();
      b.setInsertionPoint(m.epilogue);
      Value args[] = {b.create<memref::CastOp>(loc, mat, m.matmul.getDpsInputs()[0]),
                      b.create<memref::CastOp>(loc, mat, m.matmul.getDpsInputs()[1]),
                      b.create<memref::CastOp>(loc, vec, m.bias),
                      b.create<memref::CastOp>(loc, mat, m.epilogue.getDpsInits()[0]),
                      b.create<arith::ConstantIntOp>(loc, static_cast<int64_t>(m.act), 64),
                      b.create<arith::ConstantIntOp>(loc, m.form.transpose_a, 64),
                      b.create<arith::ConstantIntOp>(loc, m.form.transpose_b, 64)};
      b.create<func::CallOp>(loc, callee, TypeRange{}, args);
      Value c = m.matmul.getDpsInits()[0];
      m.epilogue->erase();
      m.matmul->erase();
      m.fill->erase();
      if (c.use_empty() && c.getDefiningOp<memref::AllocOp>()) c.getDefiningOp()->erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_fuse_matmul_epilogue_pass() {
  return std::make_unique<FuseMatmulEpiloguePass>();
}

}  // namespace tf::compiler
