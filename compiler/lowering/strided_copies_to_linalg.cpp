// Pass: memref.copy between buffers that are not both contiguous -> linalg.copy, which becomes
// plain (vectorisable) loops. LLVM lowering would otherwise call `memrefCopy` from MLIR's runtime
// library, which compiled code cannot resolve here.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_STRIDEDCOPIESTOLINALG
#include "compiler/Passes.h.inc"
namespace {

struct StridedCopiesToLinalgPass : impl::StridedCopiesToLinalgBase<StridedCopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      auto is_contiguous = [](Value v) {
        return cast<MemRefType>(v.getType()).getLayout().isIdentity();
      };
      if (!is_contiguous(copy.getSource()) || !is_contiguous(copy.getTarget()))
        copies.push_back(copy);
    });
    for (auto copy : copies) {
      OpBuilder b(copy);
      b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_strided_copies_to_linalg_pass() {
  return std::make_unique<StridedCopiesToLinalgPass>();
}

}  // namespace tf::compiler
