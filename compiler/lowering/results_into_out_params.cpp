// Pass: a result computed in its own buffer and copied into the caller's output buffer at the end
// (what BufferResultsToOutParams leaves where the returned value is a reshape of an allocation, as
// collapse_dims makes of every elementwise result of rank > 1, or a dynamically sized allocation)
// is computed in the caller's buffer: the allocation becomes a view of the output parameter and the
// copy goes. An optimizer step's new weights were written twice before (8 MiB a step for a
// 784-512-512-10 MLP under Adam).
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_RESULTSINTOOUTPARAMS
#include "compiler/Passes.h.inc"

namespace {

bool contiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity();
}

// Whether undo_chain can invert `chain`: an expand to undo needs the sizes, known when static.
bool invertible(ArrayRef<Operation*> chain) {
  return llvm::all_of(chain, [](Operation* op) {
    auto collapse = dyn_cast<memref::CollapseShapeOp>(op);
    return !collapse || collapse.getSrcType().hasStaticShape();
  });
}

// The reshapes (and casts) from an allocation to `v`, outermost last; the allocation is null when
// `v` is not such a view of one.
memref::AllocOp reshape_chain(Value v, SmallVectorImpl<Operation*>& chain) {
  while (Operation* op = v.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      std::reverse(chain.begin(), chain.end());
      return alloc;
    }
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp>(op)) break;
    chain.push_back(op);
    v = op->getOperand(0);
  }
  return nullptr;
}

// `v` seen through the inverse of `chain`: a value on `v`'s memory, of the chain's source type
// unless a cast changed the layout; the ops it made in `made`.
Value undo_chain(OpBuilder& b, Location loc, Value v, ArrayRef<Operation*> chain,
                 SmallVectorImpl<Operation*>& made) {
  for (Operation* op : llvm::reverse(chain)) {
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
      v = b.create<memref::CollapseShapeOp>(loc, v, expand.getReassociationIndices());
    else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op))
      v = b.create<memref::ExpandShapeOp>(loc, collapse.getSrcType().getShape(), v,
                                          collapse.getReassociationIndices());
    else
      v = b.create<memref::CastOp>(loc, op->getOperand(0).getType(), v);
    made.push_back(v.getDefiningOp());
  }
  return v;
}

// Every op using `root`'s memory (through views), as its ancestor in `block`, comes before
// `last`; the copy itself excepted.
bool all_uses_before(Value root, Operation* last, Block& block) {
  SmallVector<Value> worklist{root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation* user : v.getUsers()) {
      if (user == last) continue;
      Operation* at = block.findAncestorOpInBlock(*user);
      if (!at || !at->isBeforeInBlock(last)) return false;
      if (isa<ViewLikeOpInterface, memref::CastOp>(user))
        for (Value r : user->getResults()) worklist.push_back(r);
    }
  }
  return true;
}

void compute_in_place(func::FuncOp func) {
  Block& entry = func.getBody().front();
  SmallVector<memref::CopyOp> copies;
  for (auto copy : entry.getOps<memref::CopyOp>()) copies.push_back(copy);
  for (memref::CopyOp copy : copies) {
    auto out = dyn_cast<BlockArgument>(copy.getTarget());
    if (!out || out.getOwner() != &entry || !out.hasOneUse() || !contiguous(out.getType()) ||
        copy.getSource().getType() != out.getType())
      continue;
    SmallVector<Operation*> chain;
    memref::AllocOp alloc = reshape_chain(copy.getSource(), chain);
    if (!alloc || alloc->getBlock() != &entry || !contiguous(alloc.getType()) ||
        !invertible(chain) || !all_uses_before(alloc.getResult(), copy, entry))
      continue;
    OpBuilder b(alloc);
    SmallVector<Operation*> made;
    Value view = undo_chain(b, alloc.getLoc(), out, chain, made);
    if (view.getType() != alloc.getType()) {
      for (Operation* op : llvm::reverse(made)) op->erase();
      continue;
    }
    alloc.getResult().replaceAllUsesWith(view);
    alloc.erase();
    copy.erase();
  }
}

struct ResultsIntoOutParamsPass : impl::ResultsIntoOutParamsBase<ResultsIntoOutParamsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp func) {
      if (!func.isExternal()) compute_in_place(func);
    });
  }
};

}  // namespace

std::unique_ptr<Pass> create_results_into_out_params_pass() {
  return std::make_unique<ResultsIntoOutParamsPass>();
}

}  // namespace tf::compiler
