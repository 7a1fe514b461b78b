// Pass: starts each collective as early as its operand allows. A traced training step
// all-reduces its gradients after the whole backward pass (tape.gradient returns them all at
// once); moved up to where its operand is ready, with the packing ops (reshape, concat) that
// feed only it, a pack of the last layers' gradients is reduced while the first layers' are still
// being computed: the lowering starts the all-reduce there and waits where its result is first
// used (compiler/lowering/to_linalg/collective.cpp). Collectives keep their relative order.
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_SCHEDULECOLLECTIVES
#include "compiler/Passes.h.inc"
namespace {

// The pure ops of `root`'s block that compute only for `root` (every user in the chain),
// reached through its operands.
llvm::SetVector<Operation*> feeding_chain(Operation* root) {
  llvm::SetVector<Operation*> chain;
  chain.insert(root);
  for (size_t i = 0; i < chain.size(); ++i)
    for (Value operand : chain[i]->getOperands()) {
      Operation* def = operand.getDefiningOp();
      if (!def || def->getBlock() != root->getBlock() || chain.contains(def) || !isPure(def) ||
          def->getNumRegions() != 0)
        continue;
      if (llvm::all_of(def->getUsers(), [&](Operation* u) { return chain.contains(u); }))
        chain.insert(def);
    }
  return chain;
}

// Moves `op` up to just after the last of its operands' definitions in its block (or to the
// block's start), never above `floor` (the previous collective, to keep their order).
void hoist(Operation* op, Operation* floor) {
  Block* block = op->getBlock();
  Operation* after = floor;
  for (Value operand : op->getOperands()) {
    Operation* def = operand.getDefiningOp();
    if (!def) continue;
    def = block->findAncestorOpInBlock(*def);
    if (def && (!after || after->isBeforeInBlock(def))) after = def;
  }
  if (after && !after->isBeforeInBlock(op)) return;
  if (after)
    op->moveAfter(after);
  else if (&block->front() != op)
    op->moveBefore(&block->front());
}

struct ScheduleCollectivesPass : impl::ScheduleCollectivesBase<ScheduleCollectivesPass> {
  void runOnOperation() override {
    SmallVector<Operation*> collectives;
    getOperation().walk([&](tfjit::AllReduceOp op) { collectives.push_back(op); });
    // walk() visits a region's ops before the op holding it, and siblings in order: each
    // collective's floor is the previous one, or the op of this block that holds it.
    Operation* previous = nullptr;
    for (Operation* collective : collectives) {
      auto chain = feeding_chain(collective);
      SmallVector<Operation*> ordered(chain.begin(), chain.end());
      llvm::sort(ordered, [](Operation* a, Operation* b) { return a->isBeforeInBlock(b); });
      Operation* floor =
          previous ? collective->getBlock()->findAncestorOpInBlock(*previous) : nullptr;
      for (Operation* op : ordered) hoist(op, op == collective ? floor : nullptr);
      previous = collective;
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_schedule_collectives_pass() {
  return std::make_unique<ScheduleCollectivesPass>();
}

}  // namespace tf::compiler
