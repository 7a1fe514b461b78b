// Pass: linalg ops on buffers -> loops. Ops with at least kParallelElements iterations (or a
// size known only at run time) get an scf.parallel over their parallel dimensions, which
// parallel_loops_to_calls then splits over the thread pool; smaller ops stay sequential, since
// handing work to threads costs more than it saves below that size.
//
// A reduction over its innermost dims (softmax, layer norm, a loss's row sums) accumulates each
// output element in a register, marked reassociable, so LLVM vectorises it into lanes: linalg's
// own lowering loads and stores the output at every step, a serial chain through memory (3x
// slower than the eager kernel).
#include "compiler/mlir_support.h"
#include "llvm/ADT/SmallBitVector.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_LINALGTOLOOPS
#include "compiler/Passes.h.inc"
namespace {

bool worth_threads(linalg::LinalgOp op) {
  if (op.getNumParallelLoops() == 0) return false;
  int64_t iterations = 1;
  for (int64_t size : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(size)) return true;
    iterations *= size;
  }
  return iterations >= kParallelElements;
}

// The indices `map` gives for the loop ivs, if each is a loop iv or a constant.
std::optional<SmallVector<Value>> indices(OpBuilder& b, Location loc, AffineMap map,
                                          ValueRange ivs) {
  SmallVector<Value> out;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      out.push_back(ivs[d.getPosition()]);
    else if (auto c = dyn_cast<AffineConstantExpr>(e))
      out.push_back(b.create<arith::ConstantIndexOp>(loc, c.getValue()));
    else
      return std::nullopt;
  }
  return out;
}

// Whether `op` is a reduction into one output over its innermost dims, with operands indexed by
// loop ivs and constants only (what tfjit's reductions, fused or not, lower to).
bool inner_reduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return false;
  auto iterators = op.getIteratorTypesArray();
  const unsigned parallel = op.getNumParallelLoops();
  for (unsigned d = 0; d < iterators.size(); ++d)
    if ((d < parallel) != (iterators[d] == utils::IteratorType::parallel)) return false;
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults())
      if (!isa<AffineDimExpr, AffineConstantExpr>(e)) return false;
  // The output is indexed by every parallel dim and no reduced one (else an element would be
  // written from several accumulators).
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  llvm::SmallBitVector used(parallel);
  for (AffineExpr e : out.getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      if (d.getPosition() >= parallel) return false;
      used.set(d.getPosition());
    }
  return used.all();
}

// The body with the accumulator in a register: for each output element, acc = out[...]; an
// scf.for nest over the reduced dims yields acc = body(inputs, acc); out[...] = acc.
void lower_inner_reduction(IRRewriter& rw, linalg::GenericOp op, bool threads) {
  Location loc = op.getLoc();
  SmallVector<Range> ranges = cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rw, loc);
  const unsigned parallel = op.getNumParallelLoops();
  SmallVector<Value> lbs, ubs, steps;
  for (const Range& r : ranges) {
    lbs.push_back(getValueOrCreateConstantIndexOp(rw, loc, r.offset));
    ubs.push_back(getValueOrCreateConstantIndexOp(rw, loc, r.size));
    steps.push_back(getValueOrCreateConstantIndexOp(rw, loc, r.stride));
  }
  auto split = [&](SmallVector<Value>& v, bool outer) {
    return outer ? SmallVector<Value>(v.begin(), v.begin() + parallel)
                 : SmallVector<Value>(v.begin() + parallel, v.end());
  };
  Value out = op.getDpsInitOperand(0)->get();
  AffineMap out_map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  Block& body = *op.getBlock();
  Value acc_arg = body.getArguments().back();
  // A float max/min combiner propagates NaN (arith.maximumf), which LLVM cannot vectorise as a
  // reduction: it becomes maxnumf (vectorised) and a NaN flag beside it, applied at the end.
  Operation* combiner = body.getTerminator()->getOperand(0).getDefiningOp();
  const bool nan_flag = combiner && isa<arith::MaximumFOp, arith::MinimumFOp>(combiner) &&
                        llvm::is_contained(combiner->getOperands(), acc_arg);
  auto element = [&](OpBuilder& b, Location l, ValueRange outer_ivs) {
    SmallVector<Value> all(outer_ivs.begin(), outer_ivs.end());
    all.append(op.getNumReductionLoops(), Value());  // the output does not use them
    auto out_index = *indices(b, l, out_map, all);
    Value init = b.create<memref::LoadOp>(l, out, out_index);
    SmallVector<Value> inits = {init};
    if (nan_flag) {  // a NaN initial value sets the flag too, and the max/min starts from the
                     // identity
      Value nan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, init, init);
      auto type = cast<FloatType>(init.getType());
      Value identity = b.create<arith::ConstantOp>(
          l, b.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics(),
                                                  isa<arith::MaximumFOp>(combiner))));
      inits = {b.create<arith::SelectOp>(l, nan, identity, init), nan};
    }
    auto nest = scf::buildLoopNest(
        b, l, split(lbs, false), split(ubs, false), split(steps, false), inits,
        [&](OpBuilder& nb, Location nl, ValueRange inner_ivs, ValueRange acc) {
          SmallVector<Value> ivs(outer_ivs.begin(), outer_ivs.end());
          ivs.append(inner_ivs.begin(), inner_ivs.end());
          IRMapping map;
          for (OpOperand* in : op.getDpsInputOperands()) {
            Value v = in->get();
            if (isa<MemRefType>(v.getType()))
              v = nb.create<memref::LoadOp>(nl, v,
                                            *indices(nb, nl, op.getMatchingIndexingMap(in), ivs));
            map.map(body.getArgument(in->getOperandNumber()), v);
          }
          map.map(acc_arg, acc[0]);
          for (Operation& o : body.without_terminator()) {
            if (auto index = dyn_cast<linalg::IndexOp>(o)) {
              map.map(index.getResult(), ivs[index.getDim()]);
              continue;
            }
            if (nan_flag && &o == combiner) {
              // A NaN element counts as the identity (-inf for max) and sets the flag, so the
              // max/min itself never sees a NaN (and may say so: nnan lets LLVM vectorise it;
              // the accumulator must have no other use for LLVM to see a reduction).
              const bool is_max = isa<arith::MaximumFOp>(o);
              Value x = map.lookupOrDefault(o.getOperand(o.getOperand(0) == acc_arg ? 1 : 0));
              auto type = cast<FloatType>(x.getType());
              Value identity = nb.create<arith::ConstantOp>(
                  nl, nb.getFloatAttr(type, APFloat::getInf(type.getFloatSemantics(), is_max)));
              Value nan = nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::UNO, x, x);
              Value number = nb.create<arith::SelectOp>(nl, nan, identity, x);
              auto flags = arith::FastMathFlagsAttr::get(
                  nb.getContext(), arith::FastMathFlags::reassoc | arith::FastMathFlags::nnan |
                                       arith::FastMathFlags::nsz);
              Value m = is_max ? nb.create<arith::MaxNumFOp>(nl, acc[0], number, flags).getResult()
                               : nb.create<arith::MinNumFOp>(nl, acc[0], number, flags).getResult();
              return scf::ValueVector{m, nb.create<arith::OrIOp>(nl, acc[1], nan)};
            }
            Operation* copy = nb.clone(o, map);
            // The combiner (it reads the accumulator) may reassociate: lanes, then a tree.
            if (auto fm = dyn_cast<arith::ArithFastMathInterface>(copy))
              if (llvm::is_contained(copy->getOperands(), acc[0]))
                copy->setAttr(fm.getFastMathAttrName(),
                              arith::FastMathFlagsAttr::get(copy->getContext(),
                                                            arith::FastMathFlags::reassoc));
          }
          return scf::ValueVector{map.lookup(body.getTerminator()->getOperand(0))};
        });
    Value result = nest.results[0];
    if (nan_flag) {
      auto type = cast<FloatType>(result.getType());
      Value nan = b.create<arith::ConstantOp>(
          l, b.getFloatAttr(type, APFloat::getNaN(type.getFloatSemantics())));
      result = b.create<arith::SelectOp>(l, nest.results[1], nan, result);
    }
    b.create<memref::StoreOp>(l, result, out, out_index);
  };
  if (threads && parallel > 0)
    rw.create<scf::ParallelOp>(loc, split(lbs, true), split(ubs, true), split(steps, true),
                               [&](OpBuilder& b, Location l, ValueRange ivs) {
                                 element(b, l, ivs);
                                 b.create<scf::ReduceOp>(l);
                               });
  else
    scf::buildLoopNest(rw, loc, split(lbs, true), split(ubs, true), split(steps, true),
                       [&](OpBuilder& b, Location l, ValueRange ivs) { element(b, l, ivs); });
}

// Loads the innermost loop repeats at every iteration (a broadcast operand: a row's mean read for
// each of the row's elements) move before it. Besides the loads saved, this is what lets LLVM
// vectorise the loop: the operand shares the call's arena with the output, and a load at a fixed
// address beside stores at moving ones is a dependence LLVM gives up on ("unknown data
// dependence": a 100-op chain of such kernels ran 5x slower). Safe because a linalg op never
// writes an input it broadcasts: operands live at once get disjoint memory, and an op writes over
// an input only at the positions it reads. Only where the loop is known to run at least once,
// so that no load happens that the op would not have made.
void hoist_invariant_loads(scf::ForOp loop) {
  auto lb = getConstantIntValue(loop.getLowerBound());
  auto ub = getConstantIntValue(loop.getUpperBound());
  if (!lb || !ub || *ub <= *lb) return;
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));  // index arithmetic
  for (Operation& op : llvm::make_early_inc_range(loop.getBody()->without_terminator())) {
    auto load = dyn_cast<memref::LoadOp>(op);
    if (!load ||
        !llvm::all_of(load->getOperands(), [&](Value v) { return loop.isDefinedOutsideOfLoop(v); }))
      continue;
    bool stored = false;
    loop.walk([&](memref::StoreOp s) { stored |= s.getMemRef() == load.getMemRef(); });
    if (!stored) load->moveBefore(loop);
  }
}

// A fill of a contiguous buffer as a fill of its one-dimensional view: one loop, which LLVM
// vectorises, where the nest of short loops (a pooling's -inf over 8x4x4x32) was unrolled whole
// into 512 stores that LLVM's loop vectoriser then took 0.4 s to analyse. (On tensors, linalg's
// canonical form folds such a reshape back into the fill.)
linalg::FillOp flattened(IRRewriter& rw, linalg::FillOp fill) {
  auto type = dyn_cast<MemRefType>(fill.getDpsInitOperand(0)->get().getType());
  if (!type || type.getRank() < 2 || !type.hasStaticShape() || !type.getLayout().isIdentity())
    return fill;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d) all.push_back(d);
  Value flat = rw.create<memref::CollapseShapeOp>(fill.getLoc(), fill.getDpsInitOperand(0)->get(),
                                                  ArrayRef<ReassociationIndices>{all});
  auto one = rw.create<linalg::FillOp>(fill.getLoc(), fill.getDpsInputOperand(0)->get(), flat);
  rw.eraseOp(fill);
  rw.setInsertionPoint(one);
  return one;
}

struct LinalgToLoopsPass : impl::LinalgToLoopsBase<LinalgToLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (auto op : ops) {
      rewriter.setInsertionPoint(op);
      if (auto fill = dyn_cast<linalg::FillOp>(op.getOperation()))
        op = cast<linalg::LinalgOp>(flattened(rewriter, fill).getOperation());
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
          generic && inner_reduction(generic)) {
        lower_inner_reduction(rewriter, generic, worth_threads(op));
        rewriter.eraseOp(op);
        continue;
      }
      auto loops = worth_threads(op) ? linalg::linalgOpToParallelLoops(rewriter, op)
                                     : linalg::linalgOpToLoops(rewriter, op);
      if (failed(loops)) {
        op->emitError("cannot lower to loops");
        return signalPassFailure();
      }
      if (!loops->empty())
        if (auto innermost = dyn_cast<scf::ForOp>(loops->back())) hoist_invariant_loads(innermost);
      rewriter.eraseOp(op);
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_linalg_to_loops_pass() {
  return std::make_unique<LinalgToLoopsPass>();
}

}  // namespace tf::compiler
