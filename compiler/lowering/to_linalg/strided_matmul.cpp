// Batched float32 matmuls on the host CPU: one call of the strided GEMM (runtime/library_abi.h,
// kSgemmStrided) that reads each operand where it lies. The reshapes and transposes between the
// GEMM and the tensors it reads (attention's head split, q kᵀ's transpose) and between it and the
// tensor its result becomes (the heads merged back) turn into the operands' strides instead of
// copies. Everything else (2-D products, dynamic shapes, other dtypes, the GPU) stays with
// matmul.cpp.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

// `size` indices `stride` elements apart.
struct Run {
  int64_t size, stride;
};
using Runs = SmallVector<Run, 4>;
using Dims = SmallVector<SmallVector<int, 4>, 4>;  // each dim as atoms, outer to inner

// A chain of reshapes and transposes as a regrouping of atoms: the value the chain starts from
// (`first`) and the one it ends at (`last`) hold the same atoms, each once, in different dims and
// orders. A reshape splits atoms where a new dim boundary falls inside one. Dims of size 1 hold
// none.
class Atoms {
 public:
  explicit Atoms(ArrayRef<int64_t> shape) {
    for (int64_t n : shape) {
      first.emplace_back();
      if (n != 1) first.back().push_back(add(n));
    }
    last = first;
  }

  // `last` regrouped into `shape` (row-major order kept); false where no split of the atoms
  // gives its dims.
  bool reshape(ArrayRef<int64_t> shape) {
    SmallVector<int> flat;
    for (auto& dim : last) flat.append(dim.begin(), dim.end());
    Dims dims;
    size_t pos = 0;
    for (int64_t n : shape) {
      dims.emplace_back();
      for (int64_t acc = 1; acc < n;) {
        if (pos == flat.size()) return false;
        const int atom = flat[pos];
        const int64_t s = size_[atom];
        if (acc * s <= n) {
          if (n % (acc * s) != 0) return false;
          dims.back().push_back(atom);
          acc *= s;
          ++pos;
        } else {  // the dim ends inside the atom: its outer part joins it, the rest goes on
          const int64_t outer = n / acc;
          if (s % outer != 0) return false;
          dims.back().push_back(split(atom, outer));
          acc = n;
        }
      }
    }
    if (pos != flat.size()) return false;
    last = std::move(dims);
    return true;
  }

  void transpose(ArrayRef<int64_t> perm) {
    Dims dims;
    for (int64_t p : perm) dims.push_back(last[p]);
    last = std::move(dims);
  }

  // Each dim of `dims` as runs over the row-major buffer of the value whose dims are `stored`:
  // adjacent atoms one run where the outer one steps over the inner one exactly.
  SmallVector<Runs> runs(const Dims& dims, const Dims& stored) const {
    SmallVector<int64_t> stride(size_.size());
    int64_t s = 1;
    for (auto dim = stored.rbegin(); dim != stored.rend(); ++dim)
      for (auto atom = dim->rbegin(); atom != dim->rend(); ++atom) {
        stride[*atom] = s;
        s *= size_[*atom];
      }
    SmallVector<Runs> out;
    for (auto& dim : dims) {
      Runs& r = out.emplace_back();
      for (int atom : dim) {
        if (!r.empty() && r.back().stride == size_[atom] * stride[atom]) {
          r.back().size *= size_[atom];
          r.back().stride = stride[atom];
        } else {
          r.push_back({size_[atom], stride[atom]});
        }
      }
    }
    return out;
  }

  Dims first, last;

 private:
  int add(int64_t n) {
    size_.push_back(n);
    return static_cast<int>(size_.size()) - 1;
  }
  // Cuts `atom` into a new outer atom of `outer` indices (returned) and itself, the inner rest, in
  // `first`; `last` is being rebuilt by the caller.
  int split(int atom, int64_t outer) {
    const int hi = add(outer);
    size_[atom] /= outer;
    for (auto& dim : first)
      if (auto it = llvm::find(dim, atom); it != dim.end()) dim.insert(it, hi);
    return hi;
  }
  SmallVector<int64_t> size_;
};

// One side of the GEMM (A, B or the result C) as strides over `source`'s buffer: the batch dim as
// runs, then the two matrix dims.
struct View {
  Value source;
  Runs batch;
  Run rows, cols;
};

bool static_type(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && !llvm::is_contained(t.getShape(), 0);
}

// A reshape or transpose this chain may look through: static shapes, no sizes taken at run time.
bool layout_op(Operation* op) {
  auto reshape = dyn_cast_or_null<tfjit::ReshapeOp>(op);
  if (!isa_and_nonnull<tfjit::TransposeOp>(op) && !(reshape && reshape.getLike().empty()))
    return false;
  return static_type(op->getResult(0)) && static_type(op->getOperand(0));
}

bool apply(Atoms& atoms, Operation* op) {
  if (auto t = dyn_cast<tfjit::TransposeOp>(op)) {
    atoms.transpose(t.getPerm());
    return true;
  }
  return atoms.reshape(cast<RankedTensorType>(op->getResult(0).getType()).getShape());
}

// The 3-D side's dims as a view, if its matrix dims are one run each, one of them unit-stride
// (oneDNN's fast kernels read one dim contiguously). A size-1 matrix dim has no run: it steps
// over the other dim, or by one element where that one does not.
std::optional<View> view_of(Value source, const SmallVector<Runs>& dims) {
  if (dims[1].size() > 1 || dims[2].size() > 1) return std::nullopt;
  Run rows = dims[1].empty() ? Run{1, 1} : dims[1][0],
      cols = dims[2].empty() ? Run{1, 1} : dims[2][0];
  if (dims[1].empty() && !dims[2].empty()) rows.stride = cols.stride == 1 ? cols.size : 1;
  if (dims[2].empty() && !dims[1].empty()) cols.stride = rows.stride == 1 ? rows.size : 1;
  if (rows.stride != 1 && cols.stride != 1) return std::nullopt;
  return View{source, dims[0], rows, cols};
}

// `v` as stored: contiguous, row-major.
View plain(Value v) {
  Atoms atoms(cast<RankedTensorType>(v.getType()).getShape());
  return *view_of(v, atoms.runs(atoms.first, atoms.first));
}

// An operand as read from the deepest value of its reshape/transpose chain that gives a view;
// the operand itself (contiguous) at worst.
View operand_view(Value operand) {
  SmallVector<Operation*> chain;  // nearest the operand first
  for (Value v = operand; chain.size() < 8 && layout_op(v.getDefiningOp());
       v = v.getDefiningOp()->getOperand(0))
    chain.push_back(v.getDefiningOp());
  for (size_t depth = chain.size(); depth > 0; --depth) {
    Value source = chain[depth - 1]->getOperand(0);
    Atoms atoms(cast<RankedTensorType>(source.getType()).getShape());
    bool ok = true;
    for (size_t i = depth; ok && i > 0; --i) ok = apply(atoms, chain[i - 1]);
    if (!ok) continue;
    if (auto v = view_of(source, atoms.runs(atoms.last, atoms.first))) return *v;
  }
  return plain(operand);
}

// The result as written into the furthest value of the chain of reshapes and transposes that
// alone reads it (each link's only user), and that chain's last op (null: the result itself).
std::pair<View, Operation*> result_view(Value result) {
  SmallVector<Operation*> chain;
  for (Value v = result; chain.size() < 8 && v.hasOneUse() && layout_op(*v.getUsers().begin());
       v = chain.back()->getResult(0))
    chain.push_back(*v.getUsers().begin());
  for (size_t depth = chain.size(); depth > 0; --depth) {
    Atoms atoms(cast<RankedTensorType>(result.getType()).getShape());
    bool ok = true;
    for (size_t i = 0; ok && i < depth; ++i) ok = apply(atoms, chain[i]);
    if (!ok) continue;
    Value end = chain[depth - 1]->getResult(0);
    if (auto v = view_of(end, atoms.runs(atoms.first, atoms.last))) return {*v, chain[depth - 1]};
  }
  return {plain(result), nullptr};
}

// Splits every side's batch runs at every other side's run boundaries, so all three step through
// the same batch dims; false where a boundary falls where a run cannot split evenly.
bool common_batch(SmallVector<View*, 3> sides, SmallVector<int64_t>& sizes) {
  SmallVector<int64_t> cuts;  // positions (products of outer sizes) where a batch dim ends
  for (View* side : sides) {
    int64_t p = 1;
    for (Run r : side->batch) cuts.push_back(p *= r.size);
  }
  llvm::sort(cuts);
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  for (View* side : sides) {
    Runs refined;
    int64_t begin = 1;
    for (Run r : side->batch) {
      const int64_t end = begin * r.size;
      int64_t at = begin;
      for (int64_t cut : cuts) {
        if (cut <= begin || cut > end) continue;
        if (cut % at != 0 || end % cut != 0) return false;
        refined.push_back({cut / at, r.stride * (end / cut)});
        at = cut;
      }
      begin = end;
    }
    side->batch = refined;
  }
  sizes.clear();
  for (Run r : sides[0]->batch) sizes.push_back(r.size);
  // Dims every side steps through contiguously are one.
  for (size_t i = sizes.size(); i-- > 1;) {
    const bool joined = llvm::all_of(sides, [&](View* s) {
      return s->batch[i - 1].stride == s->batch[i].size * s->batch[i].stride;
    });
    if (!joined) continue;
    sizes[i - 1] *= sizes[i];
    sizes.erase(sizes.begin() + static_cast<std::ptrdiff_t>(i));
    for (View* s : sides) {
      s->batch[i - 1] = s->batch[i];
      s->batch[i - 1].size = sizes[i - 1];
      s->batch.erase(s->batch.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return sizes.size() <= rt::abi::kSgemmStridedMaxBatchDims;
}

struct LowerStridedMatmul : OpRewritePattern<tfjit::MatmulOp> {
  LowerStridedMatmul(MLIRContext* ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(tfjit::MatmulOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    if (out.getRank() != 3 || !out.getElementType().isF32() || !static_type(op.getA()) ||
        !static_type(op.getB()) || !static_type(op.getResult()))
      return failure();
    View a = operand_view(op.getA()), b = operand_view(op.getB());
    auto [c, end] = result_view(op.getResult());
    // Where two sides' batch splits disagree, the result and then B are taken as they are.
    SmallVector<int64_t> batch;
    if (!common_batch({&a, &b, &c}, batch)) {
      c = plain(op.getResult()), end = nullptr;
      if (!common_batch({&a, &b, &c}, batch)) {
        b = plain(op.getB());
        if (!common_batch({&a, &b, &c}, batch)) return failure();
      }
    }
    SmallVector<int64_t> layout = {static_cast<int64_t>(batch.size())};
    layout.append(batch.begin(), batch.end());
    layout.append({a.rows.size, b.cols.size, a.cols.size});
    for (const View* side : {&a, &b, &c}) {
      for (Run r : side->batch) layout.push_back(r.stride);
      layout.append({side->rows.stride, side->cols.stride});
    }
    Location loc = op.getLoc();
    Value product = call_into_new_buffer(
        rw, loc, op->getParentOfType<ModuleOp>(), rt::abi::kSgemmStrided, {a.source, b.source},
        cast<RankedTensorType>(c.source.getType()), {}, {i64_list(rw, loc, layout)});
    if (!end) {
      rw.replaceOp(op, product);
      return success();
    }
    // The chain that only carried the result to `end` goes with it.
    SmallVector<Operation*> dead;
    for (Operation* link = end; link != op.getOperation();
         link = link->getOperand(0).getDefiningOp())
      dead.push_back(link);
    rw.replaceOp(end, product);
    for (size_t i = 1; i < dead.size(); ++i) rw.eraseOp(dead[i]);
    rw.eraseOp(op);
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  if (options.named_matmul && options.host_library_calls)
    patterns.add<LowerStridedMatmul>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kMatmuls, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
