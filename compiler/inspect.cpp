// Looking at a graph without running it: Graphviz DOT of the traced graph, and statistics (ops,
// kernels after fusion, FLOPs, bytes at the function boundary, the buffer plan).
#include <map>
#include <sstream>

#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace tf::compiler {

namespace {

int64_t bytes_of(mlir::Type type) {
  auto shaped = mlir::dyn_cast<mlir::ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape()) return 0;
  auto dtype = tfjit::dtype_of(shaped.getElementType());
  return shaped.getNumElements() * static_cast<int64_t>(dtype ? dtype_size(*dtype) : 4);
}

std::string label(mlir::Operation* op) {
  std::string name = op->getName().getStringRef().str();
  if (auto fn = op->getAttrOfType<mlir::StringAttr>("fn")) {
    name.push_back(' ');
    name.append(fn.getValue().str());
  }
  return name;
}

}  // namespace

std::string Graph::dot() const {
  auto lock = lock_compiler();
  auto main = impl_->module->lookupSymbol<mlir::func::FuncOp>("main");
  std::ostringstream out;
  out << "digraph tfjit {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n";
  std::map<void*, std::string> ids;  // value -> node id
  for (auto arg : main.getArguments()) {
    std::string id = "arg" + std::to_string(arg.getArgNumber());
    ids[arg.getAsOpaquePointer()] = id;
    std::string type;
    llvm::raw_string_ostream(type) << arg.getType();
    out << "  " << id << " [shape=ellipse, label=\"arg " << arg.getArgNumber() << "\\n"
        << type << "\"];\n";
  }
  int n = 0;
  main.walk([&](mlir::Operation* op) {
    if (op == main.getOperation()) return;
    std::string id = "op" + std::to_string(n++);
    std::string type;
    if (op->getNumResults()) {
      llvm::raw_string_ostream os(type);
      os << op->getResult(0).getType();
    }
    out << "  " << id << " [label=\"" << label(op);
    if (!type.empty()) out << "\\n" << type;
    out << "\"];\n";
    for (mlir::Value v : op->getOperands())
      if (auto it = ids.find(v.getAsOpaquePointer()); it != ids.end())
        out << "  " << it->second << " -> " << id << ";\n";
    for (mlir::Value r : op->getResults()) ids[r.getAsOpaquePointer()] = id;
  });
  out << "}\n";
  return out.str();
}

GraphStats Graph::stats(const CompileOptions& options) const {
  auto lock = lock_compiler();
  GraphStats s;
  auto main = impl_->module->lookupSymbol<mlir::func::FuncOp>("main");
  for (auto t : main.getArgumentTypes()) s.bytes_in += bytes_of(t);
  for (auto t : main.getResultTypes()) s.bytes_out += bytes_of(t);
  main.walk([&](mlir::Operation* op) {
    if (op == main.getOperation() || mlir::isa<mlir::func::ReturnOp>(op)) return;
    ++s.ops[label(op)];
    int64_t elements = 0;
    if (op->getNumResults())
      if (auto t = mlir::dyn_cast<mlir::ShapedType>(op->getResult(0).getType());
          t && t.hasStaticShape())
        elements = t.getNumElements();
    if (auto mm = mlir::dyn_cast<tfjit::MatmulOp>(op)) {
      auto a = mlir::cast<mlir::ShapedType>(mm.getA().getType());
      s.flops += 2 * elements * a.getDimSize(a.getRank() - 1);
    } else if (mlir::isa<tfjit::UnaryOp, tfjit::BinaryOp, tfjit::SelectOp>(op)) {
      s.flops += elements;
    } else if (auto r = mlir::dyn_cast<tfjit::ReduceOp>(op)) {
      // Unknown dims (input_signature) count as nothing: the figures are for static parts.
      auto x = mlir::cast<mlir::ShapedType>(r.getX().getType());
      s.flops += x.hasStaticShape() ? x.getNumElements() : 0;
    }
  });
  // Kernels and the buffer plan after fusion and bufferization.
  mlir::OwningOpRef<mlir::ModuleOp> lowered =
      mlir::cast<mlir::ModuleOp>(impl_->module.get()->clone());
  lower_to(*lowered, Stage::kBufferized, options);
  lowered->walk([&](mlir::Operation* op) {
    if (mlir::isa<mlir::linalg::LinalgOp>(op) || mlir::isa<mlir::func::CallOp>(op)) ++s.kernels;
    if (auto call = mlir::dyn_cast<mlir::func::CallOp>(op))
      s.gemm_calls += call.getCallee().starts_with(rt::abi::kSgemm);
    // GEMM-shaped: rows, columns and a contracted dim (a row-wise dot product, as a fused
    // reduce_sum(x * y, -1), is a reduction, not a GEMM).
    if (auto linalg = mlir::dyn_cast<mlir::linalg::LinalgOp>(op))
      if (auto dims = mlir::linalg::inferContractionDims(linalg); mlir::succeeded(dims))
        s.gemm_loops += !dims->m.empty() && !dims->n.empty() && !dims->k.empty();
    // Planned buffers are views into one arena allocation (lowering/plan_buffers.cpp).
    if (auto view = mlir::dyn_cast<mlir::memref::ViewOp>(op))
      s.buffers.push_back(bytes_of(view.getType()));
    if (auto alloc = mlir::dyn_cast<mlir::memref::AllocOp>(op)) {
      s.allocations.push_back(bytes_of(alloc.getType()));
      if (!alloc.getType().getElementType().isInteger(8) || alloc.getType().getRank() != 1 ||
          llvm::none_of(alloc->getUsers(),
                        [](mlir::Operation* u) { return mlir::isa<mlir::memref::ViewOp>(u); }))
        s.buffers.push_back(bytes_of(alloc.getType()));
    }
  });
  return s;
}

}  // namespace tf::compiler
