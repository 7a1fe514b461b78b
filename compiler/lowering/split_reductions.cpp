// Pass: long reductions become a tree of shorter ones (for GPU kernels). A generated GPU kernel
// gives each output element to one thread, which walks the reduced dimension serially, so a sum
// of 4M elements would run on a single thread. As XLA's tree reduction rewriter does, a
// reduction over more than kMaxSerial elements is split: R = serial * partials, each of
// `partials` threads per output reduces `serial` elements (thread p reads p, p + partials, ...,
// so a warp's loads are consecutive), then the partials are reduced, split again while still too
// long. Several reduced dimensions that are adjacent in every operand are collapsed into one
// first. A length with no divisor in range (a prime) first has its last size % 64 elements
// peeled off into a short reduction of their own, combined with the rest's afterwards.
// Reductions whose combiner MLIR cannot identify (argmax's pairs) are left as they are, and so
// are rows that GPU blocks reduce whole (gpu_block_reductions.h).
#include <cmath>

#include "compiler/lowering/gpu_block_reductions.h"
#include "compiler/mlir_support.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "compiler/Passes.h.inc"
namespace {

// Short serial runs keep many threads busy (a GPU hides memory latency with threads in flight);
// each level of the tree is one more kernel, so runs are not made shorter than this.
constexpr int64_t kMaxSerial = 256;    // the longest reduction left to one thread
constexpr int64_t kTargetSerial = 64;  // the serial length aimed for when splitting
constexpr int64_t kMinSerial = 8;

// The serial length to split a reduction of `size` into: the divisor of size in
// [kMinSerial, kMaxSerial] nearest kTargetSerial (by ratio), or 0 if it has none.
int64_t serial_length(int64_t size) {
  int64_t best = 0;
  double best_distance = 0;
  for (int64_t d = kMinSerial; d <= kMaxSerial; ++d) {
    if (size % d) continue;
    double distance = std::abs(std::log(static_cast<double>(d) / kTargetSerial));
    if (!best || distance < best_distance) best = d, best_distance = distance;
  }
  return best;
}

// Collapses the reduction dimensions of `op` into one when they are adjacent loops that stay
// adjacent in every indexing map (a full reduction of a 2-D tensor, say).
linalg::GenericOp collapse_reduction_dims(IRRewriter& rw, linalg::GenericOp op) {
  SmallVector<unsigned> dims;
  op.getReductionDims(dims);
  if (dims.size() < 2) return op;
  ReassociationIndices group;
  for (unsigned d : dims) group.push_back(d);
  if (group.back() - group.front() + 1 != static_cast<int64_t>(group.size())) return op;
  if (!linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), {group})) return op;
  rw.setInsertionPoint(op);
  auto collapsed = linalg::collapseOpIterationDims(op, {group}, rw);
  if (failed(collapsed)) return op;
  rw.replaceOp(op, collapsed->results);
  return cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
}

// `op` reduced over [begin, begin + length) of its reduced loop `dim`: a copy reading slices of
// the inputs. Null if an input indexes `dim` other than directly.
linalg::GenericOp reduce_slice(IRRewriter& rw, linalg::GenericOp op, unsigned dim, int64_t begin,
                               int64_t length) {
  SmallVector<Value> inputs;
  for (OpOperand* input : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!type || !map.isProjectedPermutation()) return {};
    SmallVector<OpFoldResult> offsets(type.getRank(), rw.getIndexAttr(0)), sizes,
        strides(type.getRank(), rw.getIndexAttr(1));
    for (int64_t size : type.getShape()) sizes.push_back(rw.getIndexAttr(size));
    for (unsigned r = 0; r < map.getNumResults(); ++r)
      if (map.getDimPosition(r) == dim) {
        offsets[r] = rw.getIndexAttr(begin);
        sizes[r] = rw.getIndexAttr(length);
      }
    inputs.push_back(
        rw.create<tensor::ExtractSliceOp>(op.getLoc(), input->get(), offsets, sizes, strides));
  }
  auto slice = cast<linalg::GenericOp>(rw.clone(*op));
  for (auto [i, input] : llvm::enumerate(inputs)) slice.getDpsInputOperand(i)->set(input);
  return slice;
}

// Splits a reduction of `size` with no divisor in range into one of the first size - size % 64
// elements (which divides) and one of the rest, combined elementwise. Both start from the init,
// which must be the combiner's neutral element. Returns the first, or null.
linalg::GenericOp peel_remainder(IRRewriter& rw, linalg::GenericOp op, unsigned dim, int64_t size) {
  SmallVector<Operation*, 4> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) || combiners.size() != 1) return {};
  Operation* combiner = combiners[0];
  std::optional<TypedAttr> neutral = arith::getNeutralElement(combiner);
  auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
  if (!neutral || !fill) return {};
  auto fill_value = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  if (!fill_value || fill_value.getValue() != *neutral) return {};

  rw.setInsertionPoint(op);
  const int64_t divisible = size - size % kTargetSerial;
  linalg::GenericOp head = reduce_slice(rw, op, dim, 0, divisible);
  if (!head) return {};
  linalg::GenericOp tail = reduce_slice(rw, op, dim, divisible, size - divisible);
  if (!tail) {
    rw.eraseOp(head);
    return {};
  }
  auto type = cast<RankedTensorType>(op.getResult(0).getType());
  Value empty = rw.create<tensor::EmptyOp>(op.getLoc(), type.getShape(), type.getElementType());
  AffineMap identity = rw.getMultiDimIdentityMap(type.getRank());
  auto combined = rw.create<linalg::GenericOp>(
      op.getLoc(), TypeRange{type}, ValueRange{head.getResult(0), tail.getResult(0)},
      ValueRange{empty}, ArrayRef<AffineMap>{identity, identity, identity},
      SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
      [&](OpBuilder& b, Location loc, ValueRange args) {
        IRMapping map;
        map.map(combiner->getOperand(0), args[0]);
        map.map(combiner->getOperand(1), args[1]);
        b.create<linalg::YieldOp>(loc, b.clone(*combiner, map)->getResult(0));
      });
  rw.replaceOp(op, combined.getResults());
  return head;
}

struct SplitReductionsPass : impl::SplitReductionsBase<SplitReductionsPass> {
  void runOnOperation() override {
    IRRewriter rw(&getContext());
    SmallVector<linalg::GenericOp> work;
    getOperation().walk([&](linalg::GenericOp op) {
      // Only plain reductions: a window reduction reads x at o * stride + k, which neither
      // collapsing nor splitting handles (MLIR's collapse crashes on such maps).
      if (op.hasPureTensorSemantics() && op.getNumReductionLoops() > 0 &&
          llvm::all_of(op.getIndexingMapsArray(),
                       [](AffineMap map) { return map.isProjectedPermutation(); }))
        work.push_back(op);
    });
    while (!work.empty()) {
      linalg::GenericOp op = collapse_reduction_dims(rw, work.pop_back_val());
      SmallVector<unsigned> dims;
      op.getReductionDims(dims);
      if (dims.size() != 1 || op.getNumDpsInits() != 1) continue;
      const unsigned dim = dims[0];
      const int64_t size = op.getStaticLoopRanges()[dim];
      if (ShapedType::isDynamic(size) || size <= kMaxSerial) continue;
      if (reduced_by_blocks(op)) continue;
      const int64_t serial = serial_length(size);
      if (!serial) {
        if (linalg::GenericOp head = peel_remainder(rw, op, dim, size)) work.push_back(head);
        continue;
      }
      // The partials' dimension goes where the reduced one sat among the output's dimensions,
      // so consecutive threads also write consecutive partials.
      AffineMap out_map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
      if (!out_map.isProjectedPermutation()) continue;
      unsigned index = 0;
      for (unsigned r = 0; r < out_map.getNumResults(); ++r)
        if (out_map.getDimPosition(r) < dim) ++index;
      auto control = [&](linalg::LinalgOp) {
        return linalg::SplitReductionOptions{size / serial, index, /*innerParallel=*/true};
      };
      auto split = linalg::splitReduction(rw, op, control);
      if (succeeded(split))
        work.push_back(cast<linalg::GenericOp>(split->resultCombiningLinalgOp.getOperation()));
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_split_reductions_pass() {
  return std::make_unique<SplitReductionsPass>();
}

}  // namespace tf::compiler
