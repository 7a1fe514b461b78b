// Pass: a row reduction on buffers (gpu_block_reductions.h) -> a gpu.launch of one block per
// output row, for GPU kernels. A kernel that gives each output to one thread makes the thread
// walk its row alone, and neighbouring threads read rows apart (uncoalesced); here the block's
// threads read the row together (thread t reads t, t + block, ...: each warp's loads are
// consecutive), each folds its share with the op's own body, and the shares are combined in a
// tree in shared memory, as TensorFlow's and PyTorch's row-reduction kernels do. The combiner
// must be one op with a neutral element (each thread starts from it; the op's init is combined in
// once, at the end).
#include <bit>

#include "compiler/lowering/gpu_block_reductions.h"
#include "compiler/mlir_support.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace tf::compiler {

std::optional<RowReduction> row_reduction(linalg::GenericOp op) {
  SmallVector<unsigned> dims;
  op.getReductionDims(dims);
  if (dims.size() != 1) return std::nullopt;
  if (!llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return std::nullopt;
  const unsigned dim = dims[0];
  bool read = false;
  for (OpOperand* input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(dim)) continue;
    if (map.getDimPosition(map.getNumResults() - 1) != dim) return std::nullopt;
    read = true;
  }
  // Each output element is one row's: indexed by every other loop, never by the reduced one.
  for (OpOperand& init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (unsigned d = 0; d < op.getNumLoops(); ++d)
      if (map.isFunctionOfDim(d) == (d == dim)) return std::nullopt;
  }
  if (!read) return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  RowReduction r{dim, 1, ranges[dim]};
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (ShapedType::isDynamic(ranges[d])) return std::nullopt;
    if (d != dim) r.rows *= ranges[d];
  }
  return r;
}

namespace {

constexpr int64_t kMaxBlock = 256;
constexpr int64_t kLanes = 4;
constexpr int64_t kMinLength = 32, kMaxLengthOfFewRows = 16384, kManyRows = 1024;

// One output's combiner, and the value each thread starts from.
struct Combiner {
  Operation* op;
  TypedAttr neutral;

  Value apply(OpBuilder& b, Value x, Value y) const {
    IRMapping map;
    map.map(op->getOperand(0), x);
    map.map(op->getOperand(1), y);
    return b.clone(*op, map)->getResult(0);
  }
};

// The combiners of `op`'s outputs, if every output has one (a single op with a neutral element,
// on a type shared memory holds).
std::optional<SmallVector<Combiner>> combiners_of(linalg::GenericOp op) {
  SmallVector<Combiner> combiners;
  for (unsigned j = 0; j < op.getNumDpsInits(); ++j) {
    SmallVector<Operation*, 4> ops;
    if (!matchReduction(op.getRegionOutputArgs(), j, ops) || ops.size() != 1 ||
        ops[0]->getNumOperands() != 2)
      return std::nullopt;
    std::optional<TypedAttr> neutral = arith::getNeutralElement(ops[0]);
    Type type = op.getRegionOutputArgs()[j].getType();
    if (!neutral || !(type.isIntOrFloat() && type.getIntOrFloatBitWidth() >= 8))
      return std::nullopt;
    combiners.push_back({ops[0], *neutral});
  }
  return combiners;
}

// Pure ops without regions: linalg.index is then the only op that needs the loop indices, and a
// guarded lane may fold the row's last element again and drop the result.
bool body_is_straight_line(linalg::GenericOp op) {
  return llvm::all_of(op.getBlock()->without_terminator(), [](Operation& inner) {
    return inner.getNumRegions() == 0 && isMemoryEffectFree(&inner);
  });
}

}  // namespace

bool reduced_by_blocks(linalg::GenericOp op) {
  std::optional<RowReduction> r = row_reduction(op);
  return r && r->length >= kMinLength &&
         (r->length <= kMaxLengthOfFewRows || r->rows >= kManyRows) && body_is_straight_line(op) &&
         combiners_of(op);
}

#define GEN_PASS_DEF_GPUBLOCKREDUCTIONS
#include "compiler/Passes.h.inc"
namespace {

// The constant fill of each output buffer, where nothing else can see the buffer before `op`: the
// blocks write every output element once, so the fill's value goes in there instead of a kernel
// of its own. Only a whole allocation or argument qualifies (a view's parent could be read), with
// no other use before `op` (views of it included) and not read by `op` itself.
SmallVector<linalg::FillOp> fills_before(linalg::GenericOp op) {
  SmallVector<linalg::FillOp> fills;
  for (Value buffer : op.getDpsInits()) {
    linalg::FillOp found;
    fills.push_back(found);
    if (!(isa<BlockArgument>(buffer) || buffer.getDefiningOp<memref::AllocOp>()) ||
        llvm::is_contained(op.getDpsInputs(), buffer))
      continue;
    for (Operation* user : buffer.getUsers()) {
      if (user == op) continue;
      auto fill = dyn_cast<linalg::FillOp>(user);
      Value value = fill ? fill.getInputs()[0] : Value();
      if (fill && !found && fill->getBlock() == op->getBlock() && fill->isBeforeInBlock(op) &&
          fill.getOutputs()[0] == buffer && value.getDefiningOp<arith::ConstantOp>() &&
          value.getType() == getElementTypeOrSelf(buffer.getType())) {
        found = fill;
        continue;
      }
      Operation* later = op->getBlock()->findAncestorOpInBlock(*user);
      if (!later || !op->isBeforeInBlock(later)) {
        found = {};
        break;
      }
    }
    fills.back() = found;
  }
  return fills;
}

void rewrite_as_blocks(IRRewriter& rw, linalg::GenericOp op, const RowReduction& r,
                       ArrayRef<Combiner> combiners) {
  Location loc = op.getLoc();
  SmallVector<linalg::FillOp> fills = fills_before(op);
  rw.setInsertionPoint(op);
  auto constant = [&](int64_t v) { return rw.create<arith::ConstantIndexOp>(loc, v).getResult(); };
  const int64_t threads = std::min<int64_t>(kMaxBlock, std::bit_ceil(uint64_t(r.length)));
  auto workgroup = gpu::AddressSpaceAttr::get(rw.getContext(), gpu::AddressSpace::Workgroup);
  SmallVector<Type> shared_types;
  for (Value init : op.getDpsInits())
    shared_types.push_back(MemRefType::get({threads}, getElementTypeOrSelf(init.getType()),
                                           MemRefLayoutAttrInterface(), workgroup));
  Value one = constant(1);
  auto launch = rw.create<gpu::LaunchOp>(loc, constant(r.rows), one, one, constant(threads), one,
                                         one, /*dynamicSharedMemorySize=*/nullptr,
                                         /*asyncTokenType=*/nullptr, ValueRange{}, shared_types);
  Block& body = launch.getBody().front();
  rw.setInsertionPointToStart(&body);
  rw.create<gpu::TerminatorOp>(loc);
  rw.setInsertionPointToStart(&body);
  Value t = launch.getThreadIds().x;
  ArrayRef<BlockArgument> shared = launch.getWorkgroupAttributions();

  // The row's indices in the other loops: the block index, row-major over them.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<Value> index(ranges.size());
  Value rest = launch.getBlockIds().x;
  for (unsigned d = ranges.size(); d-- > 0;) {
    if (d == r.dim) continue;
    index[d] = rw.create<arith::RemUIOp>(loc, rest, constant(ranges[d]));
    rest = rw.create<arith::DivUIOp>(loc, rest, constant(ranges[d]));
  }
  auto indices = [&](OpOperand* operand, Value k) {
    SmallVector<Value> result;
    AffineMap map = op.getMatchingIndexingMap(operand);
    for (unsigned i = 0; i < map.getNumResults(); ++i) {
      unsigned d = map.getDimPosition(i);
      result.push_back(d == r.dim ? k : index[d]);
    }
    return result;
  };

  // Each thread folds elements t, t + threads, ... of the row with the op's body, kLanes at a
  // time: their loads issue before the first is folded (a memory-bound row needs several loads in
  // flight per thread, as in linalg_to_gpu_loops.cpp's coarsening).
  auto load_inputs = [&](OpBuilder& b, Value k) {
    IRMapping values;
    for (OpOperand* input : op.getDpsInputOperands()) {
      if (!op.payloadUsesValueFromOperand(input)) continue;
      Value v = input->get();
      values.map(op.getMatchingBlockArgument(input),
                 isa<MemRefType>(v.getType())
                     ? b.create<memref::LoadOp>(loc, v, indices(input, k)).getResult()
                     : v);
    }
    for (auto i : op.getBlock()->getOps<linalg::IndexOp>())
      values.map(i.getResult(), i.getDim() == r.dim ? k : index[i.getDim()]);
    return values;
  };
  auto fold = [&](OpBuilder& b, IRMapping& values, ValueRange accumulators) {
    values.map(op.getRegionOutputArgs(), accumulators);
    for (Operation& inner : op.getBlock()->without_terminator())
      if (!isa<linalg::IndexOp>(inner)) b.clone(inner, values);
    SmallVector<Value> next;
    for (Value v : op.getBlock()->getTerminator()->getOperands())
      next.push_back(values.lookupOrDefault(v));
    return next;
  };
  SmallVector<Value> share;
  for (const Combiner& c : combiners) share.push_back(rw.create<arith::ConstantOp>(loc, c.neutral));
  const int64_t tile = threads * kLanes, tiled = r.length / tile * tile;
  if (tiled > 0) {
    auto loop = rw.create<scf::ForOp>(
        loc, constant(0), constant(tiled), constant(tile), share,
        [&](OpBuilder& b, Location loc, Value base, ValueRange accumulators) {
          Value first = b.create<arith::AddIOp>(loc, base, t);
          SmallVector<IRMapping> lanes;
          for (int64_t lane = 0; lane < kLanes; ++lane)
            lanes.push_back(load_inputs(
                b, b.create<arith::AddIOp>(loc, first,
                                           b.create<arith::ConstantIndexOp>(loc, lane * threads))));
          SmallVector<Value> next(accumulators);
          for (IRMapping& lane : lanes) next = fold(b, lane, next);
          b.create<scf::YieldOp>(loc, next);
        });
    share = loop.getResults();
  }
  if (tiled < r.length) {
    // The rest of the row, shorter than a tile: one more group of lanes, where a lane past the
    // end loads the last element and folds nothing.
    const int64_t rest = r.length - tiled;
    Value first = rw.create<arith::AddIOp>(loc, constant(tiled), t);
    SmallVector<std::pair<IRMapping, Value>> lanes;  // the lane's loads, and whether it folds
    for (int64_t lane = 0; lane * threads < rest; ++lane) {
      Value k = rw.create<arith::AddIOp>(loc, first, constant(lane * threads));
      Value in_row;
      if ((lane + 1) * threads > rest) {
        in_row = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, k, constant(r.length));
        k = rw.create<arith::MinUIOp>(loc, k, constant(r.length - 1));
      }
      lanes.push_back({load_inputs(rw, k), in_row});
    }
    for (auto& [values, in_row] : lanes) {
      SmallVector<Value> next = fold(rw, values, share);
      if (in_row)
        for (auto [n, old] : llvm::zip(next, share))
          n = rw.create<arith::SelectOp>(loc, in_row, n, old);
      share = next;
    }
  }

  // The shares, combined pairwise in shared memory: half the threads, then a quarter, ...
  for (auto [j, acc] : llvm::enumerate(share))
    rw.create<memref::StoreOp>(loc, acc, shared[j], ValueRange{t});
  rw.create<gpu::BarrierOp>(loc);
  for (int64_t half = threads / 2; half >= 1; half /= 2) {
    Value active = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, t, constant(half));
    auto step = rw.create<scf::IfOp>(loc, active, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPoint(step.thenBlock()->getTerminator());
      Value partner = rw.create<arith::AddIOp>(loc, t, constant(half));
      for (auto [j, c] : llvm::enumerate(combiners)) {
        Value mine = rw.create<memref::LoadOp>(loc, shared[j], ValueRange{t});
        Value theirs = rw.create<memref::LoadOp>(loc, shared[j], ValueRange{partner});
        rw.create<memref::StoreOp>(loc, c.apply(rw, mine, theirs), shared[j], ValueRange{t});
      }
    }
    if (half > 1) rw.create<gpu::BarrierOp>(loc);  // thread 0 wrote the last step itself
  }
  Value first = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, t, constant(0));
  auto write = rw.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
  rw.setInsertionPoint(write.thenBlock()->getTerminator());
  for (auto [j, c] : llvm::enumerate(combiners)) {
    OpOperand* out = op.getDpsInitOperand(j);
    SmallVector<Value> at = indices(out, Value());
    Value init = fills[j] ? fills[j].getInputs()[0]
                          : rw.create<memref::LoadOp>(loc, out->get(), at).getResult();
    Value total = rw.create<memref::LoadOp>(loc, shared[j], ValueRange{constant(0)});
    rw.create<memref::StoreOp>(loc, c.apply(rw, init, total), out->get(), at);
  }
  for (linalg::FillOp fill : fills)
    if (fill) rw.eraseOp(fill);
  rw.eraseOp(op);
}

struct GpuBlockReductionsPass : impl::GpuBlockReductionsBase<GpuBlockReductionsPass> {
  void runOnOperation() override {
    IRRewriter rw(&getContext());
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics() && reduced_by_blocks(op)) ops.push_back(op);
    });
    for (linalg::GenericOp op : ops)
      rewrite_as_blocks(rw, op, *row_reduction(op), *combiners_of(op));
  }
};

}  // namespace

std::unique_ptr<Pass> create_gpu_block_reductions_pass() {
  return std::make_unique<GpuBlockReductionsPass>();
}

}  // namespace tf::compiler
