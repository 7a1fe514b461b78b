#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

namespace tf::compiler {

void register_dialects(mlir::DialectRegistry& registry) {
  registry.insert<tfjit::TfjitDialect, mlir::affine::AffineDialect, mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect, mlir::cf::ControlFlowDialect,
                  mlir::func::FuncDialect, mlir::LLVM::LLVMDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::tensor::TensorDialect, mlir::gpu::GPUDialect, mlir::NVVM::NVVMDialect>();
  mlir::arith::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::linalg::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::scf::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  mlir::tensor::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
}

mlir::MLIRContext& context() {
  static mlir::MLIRContext* ctx = [] {
    mlir::DialectRegistry registry;
    register_dialects(registry);
    // Leaked on purpose: compiled kernels and graphs may outlive static destruction order.
    auto* c = std::make_unique<mlir::MLIRContext>(registry).release();
    // What tracing builds (and the passes' inputs) load now; the LLVM dialect, which
    // only lowering creates, load with the passes that declare them: loading everything up front
    // costs every new process about a millisecond.
    c->loadDialect<tfjit::TfjitDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                   mlir::tensor::TensorDialect, mlir::scf::SCFDialect, mlir::linalg::LinalgDialect,
                   mlir::memref::MemRefDialect, mlir::bufferization::BufferizationDialect,
                   mlir::math::MathDialect, mlir::cf::ControlFlowDialect,
                   mlir::affine::AffineDialect>();
    return c;
  }();
  return *ctx;
}

DiagnosticCollector::DiagnosticCollector() {
  handler_id_ = context().getDiagEngine().registerHandler([this](mlir::Diagnostic& diag) {
    llvm::raw_string_ostream os(text_);
    os << diag.getLocation() << ": " << diag << "\n";
    for (auto& note : diag.getNotes()) os << "  note: " << note << "\n";
    return mlir::success();
  });
}
DiagnosticCollector::~DiagnosticCollector() { context().getDiagEngine().eraseHandler(handler_id_); }

std::string print(mlir::Operation* op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->print(os);
  return s;
}

std::unique_lock<std::recursive_mutex> lock_compiler() {
  static std::recursive_mutex mutex;
  return std::unique_lock<std::recursive_mutex>(mutex);
}

}  // namespace tf::compiler
