// Pass: liveness-based buffer planning. After bufferization every intermediate is its own
// memref.alloc, freed at the end of the function. This pass gives the static-shaped ones of each
// function's top level an offset in one arena, so buffers whose lifetimes (first to last use,
// through casts and views) do not overlap share memory: one allocation per call instead of one
// per intermediate, and a smaller peak. Buffers used in ways it cannot see through (returned,
// yielded from regions, freed elsewhere) keep their own allocation.
#include <algorithm>

#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_PLANBUFFERS
#include "compiler/Passes.h.inc"
namespace {

constexpr int64_t kAlignment = 64;  // as bufferization aligns its allocations

struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t bytes = 0;
  int begin = 0, end = 0;  // positions of the first and last top-level op using it
  int64_t offset = 0;
};

// The buffer `alloc` defines, if it can be planned: static shape, identity layout, every use
// (through casts and views) inside `body` and freed by one top-level dealloc.
std::optional<Buffer> plannable(memref::AllocOp alloc, Block& body,
                                const DenseMap<Operation*, int>& position) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() || type.getMemorySpace() ||
      !type.getElementType().isIntOrFloat())
    return std::nullopt;
  Buffer buffer;
  buffer.alloc = alloc;
  buffer.begin = buffer.end = position.lookup(alloc);
  buffer.bytes = type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
  SmallVector<Value> aliases = {alloc.getResult()};
  while (!aliases.empty()) {
    Value value = aliases.pop_back_val();
    for (Operation* user : value.getUsers()) {
      Operation* top = body.findAncestorOpInBlock(*user);
      if (!top) return std::nullopt;
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        if (top != user || value != alloc.getResult() || buffer.dealloc) return std::nullopt;
        buffer.dealloc = dealloc;
        continue;
      }
      buffer.end = std::max(buffer.end, position.lookup(top));
      if (isa<ViewLikeOpInterface, memref::CastOp>(user)) {
        aliases.append(user->result_begin(), user->result_end());
      } else {
        for (Value result : user->getResults())  // an alias we cannot follow
          if (isa<BaseMemRefType>(result.getType())) return std::nullopt;
      }
    }
  }
  if (!buffer.dealloc) return std::nullopt;
  return buffer;
}

// Greedy by size, each buffer at the lowest aligned offset free for its whole lifetime.
int64_t assign_offsets(SmallVector<Buffer>& buffers) {
  SmallVector<Buffer*> order;
  for (auto& b : buffers) order.push_back(&b);
  std::stable_sort(order.begin(), order.end(),
                   [](const Buffer* a, const Buffer* b) { return a->bytes > b->bytes; });
  int64_t arena = 0;
  SmallVector<Buffer*> placed;
  for (Buffer* b : order) {
    SmallVector<std::pair<int64_t, int64_t>> taken;  // [offset, end) of lifetime-overlapping ones
    for (Buffer* p : placed)
      if (p->begin <= b->end && b->begin <= p->end)
        taken.push_back({p->offset, p->offset + p->bytes});
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0;
    for (auto [lo, hi] : taken) {
      if (offset + b->bytes <= lo) break;
      offset = std::max(offset, (hi + kAlignment - 1) / kAlignment * kAlignment);
    }
    b->offset = offset;
    arena = std::max(arena, offset + b->bytes);
    placed.push_back(b);
  }
  return arena;
}

void plan(func::FuncOp function) {
  if (function.isExternal() || !function.getBody().hasOneBlock()) return;
  Block& body = function.getBody().front();
  DenseMap<Operation*, int> position;
  int index = 0;
  for (Operation& op : body) position[&op] = index++;
  SmallVector<Buffer> buffers;
  for (Operation& op : body)
    if (auto alloc = dyn_cast<memref::AllocOp>(&op))
      if (auto buffer = plannable(alloc, body, position)) buffers.push_back(*buffer);
  if (buffers.size() < 2) return;
  int64_t arena_bytes = assign_offsets(buffers);

  OpBuilder b(function.getContext());
  Location loc = function.getLoc();
  b.setInsertionPointToStart(&body);
  Value arena = b.create<memref::AllocOp>(loc, MemRefType::get({arena_bytes}, b.getI8Type()),
                                          b.getI64IntegerAttr(kAlignment));
  for (Buffer& buffer : buffers) {
    b.setInsertionPoint(buffer.alloc);
    Value offset = b.create<arith::ConstantIndexOp>(loc, buffer.offset);
    Value view = b.create<memref::ViewOp>(loc, buffer.alloc.getType(), arena, offset, ValueRange{});
    buffer.alloc.replaceAllUsesWith(view);
    buffer.alloc.erase();
    buffer.dealloc.erase();
  }
  b.setInsertionPoint(body.getTerminator());
  b.create<memref::DeallocOp>(loc, arena);
}

struct PlanBuffersPass : impl::PlanBuffersBase<PlanBuffersPass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp f) { plan(f); });
  }
};

}  // namespace

std::unique_ptr<Pass> create_plan_buffers_pass() { return std::make_unique<PlanBuffersPass>(); }

}  // namespace tf::compiler
