// Pass: gives every destination-style op its own init, right before it (or, for an elementwise
// op, the input it is the last to read). CSE merges identical
// `tensor.empty` ops (and `linalg.fill(tensor.empty)` zero inits), so a graph of n equally
// shaped kernels hands one init to n ops. One-shot bufferization then weighs each op's in-place
// write against every other use of that value: time quadratic in the graph (1.0 of 4 s in a
// 1000-op graph's compile). A matmul sharing its zero fill would also have the shared zeros
// copied into its result, and the GEMM library call (which needs a freshly zeroed accumulator
// to compute C = A * B) and the dense-layer fusion would not apply.
#include "compiler/mlir_support.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_UNSHAREINITS
#include "compiler/Passes.h.inc"
namespace {

// Whether `op` reads `v` once and after every other reader (a layer-norm's centred values: read by
// the variance's reduction, then by the scaling, which may write over them).
bool last_reader(Value v, Operation* op) {
  if (v.getParentBlock() != op->getBlock()) return false;
  int reads = 0;
  for (OpOperand& use : v.getUses()) {
    Operation* user = use.getOwner();
    if (user == op) {
      ++reads;
    } else if (user->getBlock() != op->getBlock() || !user->isBeforeInBlock(op)) {
      return false;
    }
  }
  return reads == 1;
}

// An input an elementwise generic can write its result over: read at the init's positions, of
// the result's type, the result of another destination-style op (its own writable buffer, not an
// argument's or a constant's), and read last here. Writing over it keeps the working
// set small (bufferization writes in place); a fresh init per op would leave each result in new
// memory (4 % on a wide MLP's training step).
Value dying_input(DestinationStyleOpInterface op, OpOperand& init) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumLoops() != generic.getNumParallelLoops()) return {};
  if (!generic.getMatchingBlockArgument(&init).use_empty()) return {};
  AffineMap map = generic.getMatchingIndexingMap(&init);
  for (OpOperand* input : generic.getDpsInputOperands()) {
    Value v = input->get();
    if (v.getType() == init.get().getType() &&
        isa_and_nonnull<DestinationStyleOpInterface>(v.getDefiningOp()) && last_reader(v, op) &&
        generic.getMatchingIndexingMap(input) == map)
      return v;
  }
  return {};
}

constexpr int kMaxChain = 16;

struct UnshareInitsPass : impl::UnshareInitsBase<UnshareInitsPass> {
  void runOnOperation() override {
    llvm::SetVector<Operation*> shared;  // each once: erased below when left unused
    // How many ops in a row have written over one buffer up to each value. One-shot bufferization
    // checks a write against every alias of its buffer: unbounded chains made it quadratic again
    // (a 1000-op graph: 0.13 -> 1.7 s).
    llvm::DenseMap<Value, int> chain;
    getOperation().walk([&](DestinationStyleOpInterface op) {
      if (!op.hasPureTensorSemantics()) return;
      auto linalg_op = dyn_cast<linalg::LinalgOp>(op.getOperation());
      const bool gemm = linalg_op && gemm_form(linalg_op);
      for (OpOperand& init : op.getDpsInitsMutable()) {
        Operation* source = init.get().getDefiningOp();
        auto fill = dyn_cast_or_null<linalg::FillOp>(source);
        if (gemm && fill && fill->getBlock() == op->getBlock()) {
          if (fill->hasOneUse() && fill->getNextNode() == op) continue;
          OpBuilder b(op);
          Value empty = fill.getOutputs()[0];
          if (auto e = empty.getDefiningOp<tensor::EmptyOp>()) empty = b.clone(*e)->getResult(0);
          IRMapping mapping;
          mapping.map(fill.getOutputs()[0], empty);
          init.set(b.clone(*fill, mapping)->getResult(0));
          shared.insert(fill);
        } else if (auto empty = dyn_cast_or_null<tensor::EmptyOp>(source)) {
          Value dying = dying_input(op, init);
          const int length = dying ? chain.lookup(dying) + 1 : 0;
          if (dying && length <= kMaxChain) {
            init.set(dying);
            chain[op.getTiedOpResult(&init)] = length;
          } else if (!empty->hasOneUse()) {
            OpBuilder b(op);
            init.set(b.clone(*empty)->getResult(0));
          } else {
            continue;
          }
          shared.insert(empty);
        }
      }
    });
    // Shared inits left without users would still be allocated (and filled) after bufferization.
    for (Operation* op : shared) {
      if (!op->use_empty()) continue;
      auto fill = dyn_cast<linalg::FillOp>(op);
      auto empty = fill ? fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() : nullptr;
      op->erase();
      if (empty && empty->use_empty()) empty.erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_unshare_inits_pass() { return std::make_unique<UnshareInitsPass>(); }

}  // namespace tf::compiler
