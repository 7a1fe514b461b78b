// Pass: long reductions become a tree of shorter ones (for GPU kernels). A generated GPU kernel
// gives each output element to one thread, which walks the reduced dimension serially, so a sum
// of 4M elements would run on a single thread. As XLA's tree reduction rewriter does, a
// reduction over more than kMaxSerial elements is split: R = serial * partials, each of
// `partials` threads per output reduces `serial` elements (thread p reads p, p + partials, ...,
// so a warp's loads are consecutive), then the partials are reduced, split again while still too
// long. Several reduced dimensions that are adjacent in every operand are collapsed into one
// first. Reductions whose combiner MLIR cannot identify (argmax's pairs) are left as they are.
#include <cmath>

#include "compiler/mlir_support.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tf::compiler {
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

struct SplitReductionsPass : PassWrapper<SplitReductionsPass, OperationPass<ModuleOp>> {
  StringRef getArgument() const override { return "tfjit-split-reductions"; }
  void runOnOperation() override {
    IRRewriter rw(&getContext());
    SmallVector<linalg::GenericOp> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && op.getNumReductionLoops() > 0) work.push_back(op);
    });
    while (!work.empty()) {
      linalg::GenericOp op = collapse_reduction_dims(rw, work.pop_back_val());
      SmallVector<unsigned> dims;
      op.getReductionDims(dims);
      if (dims.size() != 1 || op.getNumDpsInits() != 1) continue;
      const unsigned dim = dims[0];
      const int64_t size = op.getStaticLoopRanges()[dim];
      if (ShapedType::isDynamic(size) || size <= kMaxSerial) continue;
      const int64_t serial = serial_length(size);
      if (!serial) continue;
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
