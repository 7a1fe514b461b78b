// Pass: each outermost scf.parallel -> a call to tfjit's thread pool (runtime/parallel.h), the
// pool eager kernels use, with the loop's body outlined into a function of a range:
//
//   scf.parallel (%i, %j, %k) = ... { body }
// becomes
//   (captured values stored into a stack struct %ctx)
//   call @tfjit_parallel_for(@main_parallel_0, %ctx, %iterations, %grain)
//   func @main_parallel_0(%ctx: !llvm.ptr, %begin: i64, %end: i64) {
//     (captured values loaded from %ctx)
//     scf.for %ij = %begin to %end { scf.for %k { body, with (%i, %j) recovered from %ij } }
//   }
//
// MLIR's async-parallel-for did this job through coroutines and its own worker pool: most of a
// large graph's compile time went into LLVM's coroutine passes, and its pool competed with
// tfjit's. Captured memrefs travel as their LLVM descriptors (unrealized casts that the LLVM
// conversion reconciles), so the outlined function sees the same memrefs, layouts included.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_PARALLELLOOPSTOCALLS
#include "compiler/Passes.h.inc"
namespace {

using rt::abi::kParallelFor;

// The LLVM type a captured value travels as, or null if it cannot (unranked memrefs, vectors).
Type llvm_type(Type type) {
  MLIRContext* ctx = type.getContext();
  auto i64 = IntegerType::get(ctx, 64);
  if (isa<IndexType>(type)) return i64;
  if (isa<IntegerType, FloatType>(type)) return type;
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || memref.getMemorySpace()) return {};
  // MLIR's ranked memref descriptor: allocated, aligned, offset, sizes, strides.
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  SmallVector<Type> fields = {ptr, ptr, i64};
  if (memref.getRank() > 0) {
    auto dims = LLVM::LLVMArrayType::get(i64, static_cast<unsigned>(memref.getRank()));
    fields.append({dims, dims});
  }
  return LLVM::LLVMStructType::getLiteral(ctx, fields);
}

Value cast(OpBuilder& b, Location loc, Value v, Type to) {
  if (v.getType() == to) return v;
  return b.create<UnrealizedConversionCastOp>(loc, to, v).getResult(0);
}

// `work` times the static trip count of a loop from lb to ub by step (dynamic counts count 1).
int64_t times_trips(int64_t work, Value lb, Value ub, Value step) {
  auto l = getConstantIntValue(lb), u = getConstantIntValue(ub), s = getConstantIntValue(step);
  if (l && u && s && *s > 0 && *u > *l)
    work = std::min<int64_t>(work * ((*u - *l + *s - 1) / *s), int64_t{1} << 40);
  return work;
}

// The work per iteration of the split dimension, which sets the grain: the trip counts of the
// loop's inner dimensions and of the loops nested in its body.
int64_t inner_work(scf::ParallelOp loop) {
  int64_t work = 1;
  for (unsigned d = 1; d < loop.getNumLoops(); ++d)
    work = times_trips(work, loop.getLowerBound()[d], loop.getUpperBound()[d], loop.getStep()[d]);
  loop.getRegion().walk([&](scf::ForOp inner) {
    work = times_trips(work, inner.getLowerBound(), inner.getUpperBound(), inner.getStep());
  });
  return work;
}

class Outliner {
 public:
  explicit Outliner(ModuleOp module) : module_(module), rewriter_(module.getContext()) {}

  void run(func::FuncOp function) {
    SmallVector<scf::ParallelOp> loops;
    function.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>()) loops.push_back(loop);
    });
    for (auto loop : loops)
      if (outlinable(loop) && (splits(loop) || !inside_loop(loop)))
        outline(function, collapse(loop));
  }

 private:
  // Whether every value the loop uses from above can travel to a kernel (no reductions: linalg's
  // parallel loops have none, and collapsing would drop them), and the body allocates no heap
  // memory: a failed allocation leaves compiled code by a jump to the call's entry, which must
  // not cross the thread pool's frames (backends/cpu/library_calls.cpp). The others stay loops
  // in place, run by the calling thread.
  static bool outlinable(scf::ParallelOp loop) {
    if (loop.getNumReductions() != 0) return false;
    const bool allocates = loop->walk([](Operation* op) {
                                 return isa<memref::AllocOp, memref::ReallocOp>(op)
                                            ? WalkResult::interrupt()
                                            : WalkResult::advance();
                               })
                               .wasInterrupted();
    if (allocates) return false;
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(loop.getRegion(), above);
    return llvm::all_of(above, [](Value v) { return bool(llvm_type(v.getType())); });
  }

  // A loop the pool could never split (a static trip count below two grains: rt::parallel_for
  // runs it whole on the calling thread) stays in place inside another loop, where a call would
  // add its cost at every iteration (a bias gradient's size-1 parallel dimension inside its
  // reduction loops made 31,000 calls per training step). Elsewhere it is outlined all the same:
  // one call costs nothing, and a smaller entry function compiles faster.
  static bool inside_loop(scf::ParallelOp loop) {
    return loop->getParentOfType<LoopLikeOpInterface>() != nullptr;
  }

  // Whether the pool could split the loop. (The dimensions collapse() merges into the split one
  // are all but the innermost.)
  static bool splits(scf::ParallelOp loop) {
    const unsigned n = loop.getNumLoops(), split = std::max(n, 2u) - 1;
    int64_t iterations = 1, work = 1;
    for (unsigned d = 0; d < n; ++d) {
      auto l = getConstantIntValue(loop.getLowerBound()[d]),
           u = getConstantIntValue(loop.getUpperBound()[d]),
           s = getConstantIntValue(loop.getStep()[d]);
      if (!l || !u || !s || *s <= 0) return true;  // dynamic: the call decides
      const int64_t trips = std::max<int64_t>(0, (*u - *l + *s - 1) / *s);
      (d < split ? iterations : work) =
          std::min<int64_t>((d < split ? iterations : work) * trips, int64_t{1} << 40);
    }
    loop.getRegion().walk([&](scf::ForOp inner) {
      work = times_trips(work, inner.getLowerBound(), inner.getUpperBound(), inner.getStep());
    });
    return iterations >=
           2 * std::max<int64_t>(1, rt::abi::kParallelGrain / std::max<int64_t>(work, 1));
  }

  static int64_t grain(scf::ParallelOp loop) {
    return std::max<int64_t>(1, rt::abi::kParallelGrain / inner_work(loop));
  }

  // The outer dimensions collapsed into one from 0 to the product of their trip counts, step 1;
  // the innermost stays a dimension of its own, so that it remains a contiguous loop the
  // vectoriser sees (a collapsed index would need a division per element to recover it).
  scf::ParallelOp collapse(scf::ParallelOp loop) {
    const unsigned n = loop.getNumLoops();
    if (isConstantIntValue(loop.getLowerBound()[0], 0) &&
        isConstantIntValue(loop.getStep()[0], 1) && n <= 2)
      return loop;
    Block* block = loop->getBlock();
    Operation* before = loop->getPrevNode();
    MLIRContext* ctx = loop.getContext();
    std::vector<unsigned> outer;
    for (unsigned i = 0; i + 1 < std::max(n, 2u); ++i) outer.push_back(i);
    std::vector<std::vector<unsigned>> dims = {outer};
    if (n >= 2) dims.push_back({n - 1});
    collapseParallelLoops(rewriter_, loop, dims);
    // The new bounds' arithmetic, folded: static trip counts set the grain.
    SmallVector<Operation*> created;
    scf::ParallelOp collapsed;
    for (Operation* op = before ? before->getNextNode() : &block->front(); op && !collapsed;
         op = op->getNextNode()) {
      collapsed = dyn_cast<scf::ParallelOp>(op);
      if (!collapsed) created.push_back(op);
    }
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingOps;
    (void)applyOpPatternsAndFold(created, FrozenRewritePatternSet(RewritePatternSet(ctx)), config);
    return collapsed;
  }

  void outline(func::FuncOp function, scf::ParallelOp loop) {
    MLIRContext* ctx = module_.getContext();
    Location loc = loop.getLoc();
    // Values from above: constants are cloned into the outlined function, the rest captured.
    // Dimension 0 is split over the threads; the others run inside as loops, their bounds
    // captured like the body's values.
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(loop.getRegion(), above);
    for (unsigned d = 1; d < loop.getNumLoops(); ++d)
      for (Value bound : {loop.getLowerBound()[d], loop.getUpperBound()[d], loop.getStep()[d]})
        above.insert(bound);
    SmallVector<Value> captures, constants;
    SmallVector<Type> fields;
    for (Value v : above) {
      if (v.getDefiningOp() && v.getDefiningOp()->hasTrait<OpTrait::ConstantLike>()) {
        constants.push_back(v);
        continue;
      }
      captures.push_back(v);
      fields.push_back(llvm_type(v.getType()));  // outlinable() checked it has one
    }
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto context_type = LLVM::LLVMStructType::getLiteral(ctx, fields);

    // The outlined function: load the captures, run the range.
    std::string name = (function.getName() + "_parallel_" + Twine(counter_++)).str();
    OpBuilder b(ctx);
    b.setInsertionPoint(function);
    auto body_fn = b.create<func::FuncOp>(loc, name, b.getFunctionType({ptr, i64, i64}, {}));
    body_fn.setPrivate();
    Block* entry = body_fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (Value c : constants) map.map(c, b.clone(*c.getDefiningOp())->getResult(0));
    for (auto [i, v] : llvm::enumerate(captures)) {
      Value field = b.create<LLVM::GEPOp>(loc, ptr, context_type, entry->getArgument(0),
                                          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      Value loaded = b.create<LLVM::LoadOp>(loc, fields[i], field);
      map.map(v, cast(b, loc, loaded, v.getType()));
    }
    Value begin = b.create<arith::IndexCastOp>(loc, b.getIndexType(), entry->getArgument(1));
    Value end = b.create<arith::IndexCastOp>(loc, b.getIndexType(), entry->getArgument(2));
    Value one = b.create<arith::ConstantIndexOp>(loc, 1);
    auto range = b.create<scf::ForOp>(loc, begin, end, one);
    b.create<func::ReturnOp>(loc);
    b.setInsertionPointToStart(range.getBody());
    map.map(loop.getInductionVars()[0], range.getInductionVar());
    for (unsigned d = 1; d < loop.getNumLoops(); ++d) {
      auto inner =
          b.create<scf::ForOp>(loc, map.lookup(loop.getLowerBound()[d]),
                               map.lookup(loop.getUpperBound()[d]), map.lookup(loop.getStep()[d]));
      map.map(loop.getInductionVars()[d], inner.getInductionVar());
      b.setInsertionPointToStart(inner.getBody());
    }
    for (Operation& op : loop.getBody()->without_terminator()) b.clone(op, map);

    // The call site: store the captures, call the pool. The struct is allocated in the entry
    // block, so that a loop around the call site does not grow the stack.
    b.setInsertionPointToStart(&function.getBody().front());
    Value one_i64 = b.create<LLVM::ConstantOp>(loc, i64, b.getI64IntegerAttr(1));
    Value context = b.create<LLVM::AllocaOp>(loc, ptr, context_type, one_i64);
    b.setInsertionPoint(loop);
    for (auto [i, v] : llvm::enumerate(captures)) {
      Value field = b.create<LLVM::GEPOp>(loc, ptr, context_type, context,
                                          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      b.create<LLVM::StoreOp>(loc, cast(b, loc, v, fields[i]), field);
    }
    Value fn = b.create<func::ConstantOp>(loc, body_fn.getFunctionType(), body_fn.getName());
    Value iterations = b.create<arith::IndexCastOp>(loc, i64, loop.getUpperBound()[0]);
    Value grain_value = b.create<arith::ConstantIntOp>(loc, grain(loop), 64);
    b.create<func::CallOp>(loc, parallel_for(body_fn.getFunctionType()),
                           ValueRange{fn, context, iterations, grain_value});
    loop.erase();
  }

  // void tfjit_parallel_for(void (*body)(void* ctx, int64_t begin, int64_t end), void* ctx,
  //                         int64_t iterations, int64_t grain)
  func::FuncOp parallel_for(FunctionType body) {
    if (auto f = module_.lookupSymbol<func::FuncOp>(kParallelFor)) return f;
    OpBuilder b(module_.getContext());
    b.setInsertionPointToStart(module_.getBody());
    auto i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(module_.getContext());
    auto f = b.create<func::FuncOp>(module_.getLoc(), kParallelFor,
                                    b.getFunctionType({body, ptr, i64, i64}, {}));
    f.setPrivate();
    return f;
  }

  ModuleOp module_;
  IRRewriter rewriter_;
  int counter_ = 0;
};

struct ParallelLoopsToCallsPass : impl::ParallelLoopsToCallsBase<ParallelLoopsToCallsPass> {
  void runOnOperation() override {
    Outliner outliner(getOperation());
    SmallVector<func::FuncOp> functions(getOperation().getOps<func::FuncOp>());
    for (auto f : functions)
      if (!f.isExternal()) outliner.run(f);
  }
};

}  // namespace

std::unique_ptr<Pass> create_parallel_loops_to_calls_pass() {
  return std::make_unique<ParallelLoopsToCallsPass>();
}

}  // namespace tf::compiler
