// A graph's GPU kernels compiled for the host CPU. The graph is lowered exactly as for PTX up to
// the outlined gpu.func kernels (compiler/gpu_codegen.cpp); each kernel then becomes a host
// function named like its PTX entry, whose GPU index queries read four trailing arguments, and
// goes through the CPU's LLVM lowering. Memref parameters are flattened the same way on both
// targets, so the host function takes exactly the parameters the launch plan passes to the
// PTX entry point. Shared memory becomes a global buffer and gpu.barrier a call of the caller's
// barrier function (the stand-in driver's, which switches between a block's threads).
#include <map>

#include "compiler/codegen.h"
#include "compiler/gpu_codegen.h"
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "runtime/library_abi.h"
#include "tfjit/errors.h"

namespace tf::compiler {

struct HostKernels::Impl {
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::map<std::string, Kernel> kernels;
};

HostKernels::HostKernels(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostKernels::~HostKernels() = default;
const std::map<std::string, HostKernels::Kernel>& HostKernels::kernels() const {
  return impl_->kernels;
}

namespace {

constexpr unsigned kIndexArguments = 4;  // block index, thread index, block size, grid size
constexpr char kBarrier[] = "tfjit_gpu_host_barrier";

// Replaces the GPU index queries of `fn` by its trailing arguments (x) or their value in a
// one-dimensional launch (y, z), and gpu.return by func.return.
void bind_gpu_indices(mlir::func::FuncOp fn, llvm::ArrayRef<mlir::BlockArgument> x) {
  mlir::OpBuilder b(fn.getContext());
  auto index = [&](mlir::Operation* op, mlir::gpu::Dimension d, mlir::Value along_x,
                   int64_t otherwise) -> mlir::Value {
    if (d == mlir::gpu::Dimension::x) return along_x;
    b.setInsertionPoint(op);
    return b.create<mlir::arith::ConstantIndexOp>(op->getLoc(), otherwise);
  };
  llvm::SmallVector<mlir::Operation*> ops;
  fn.walk([&](mlir::Operation* op) { ops.push_back(op); });
  for (mlir::Operation* op : ops) {
    mlir::Value value;
    if (auto o = mlir::dyn_cast<mlir::gpu::BlockIdOp>(op))
      value = index(op, o.getDimension(), x[0], 0);
    else if (auto o = mlir::dyn_cast<mlir::gpu::ThreadIdOp>(op))
      value = index(op, o.getDimension(), x[1], 0);
    else if (auto o = mlir::dyn_cast<mlir::gpu::BlockDimOp>(op))
      value = index(op, o.getDimension(), x[2], 1);
    else if (auto o = mlir::dyn_cast<mlir::gpu::GridDimOp>(op))
      value = index(op, o.getDimension(), x[3], 1);
    if (value) {
      op->getResult(0).replaceAllUsesWith(value);
      op->erase();
    } else if (mlir::isa<mlir::gpu::ReturnOp>(op)) {
      b.setInsertionPoint(op);
      b.create<mlir::func::ReturnOp>(op->getLoc());
      op->erase();
    } else if (mlir::isa<mlir::gpu::BarrierOp>(op)) {
      b.setInsertionPoint(op);
      b.create<mlir::func::CallOp>(op->getLoc(), kBarrier, mlir::TypeRange{});
      op->erase();
    } else if (mlir::isa<mlir::gpu::GPUDialect>(op->getDialect())) {
      throw UnimplementedError("GPU kernel on the host: " + op->getName().getStringRef().str());
    }
  }
}

// A module of host functions, one per kernel of `lowered` (from lower_to_gpu_launches).
mlir::OwningOpRef<mlir::ModuleOp> kernels_as_host_functions(mlir::ModuleOp lowered) {
  mlir::OpBuilder b(lowered.getContext());
  mlir::OwningOpRef<mlir::ModuleOp> host = mlir::ModuleOp::create(lowered.getLoc());
  b.setInsertionPointToEnd(host->getBody());
  lowered.walk([&](mlir::gpu::GPUFuncOp kernel) {
    if (!kernel.isKernel()) return;
    if (kernel.getNumPrivateAttributions())
      throw UnimplementedError("GPU kernel on the host: private memory attributions");
    auto module = kernel->getParentOfType<mlir::gpu::GPUModuleOp>();
    llvm::SmallVector<mlir::Type> inputs(kernel.getArgumentTypes());
    inputs.append(kIndexArguments, b.getIndexType());
    auto fn = b.create<mlir::func::FuncOp>(kernel.getLoc(),
                                           ptx_entry_name(module.getName(), kernel.getName()),
                                           b.getFunctionType(inputs, {}));
    mlir::IRMapping mapping;
    kernel.getBody().cloneInto(&fn.getBody(), mapping);
    mlir::Block& entry = fn.getBody().front();
    // Each shared buffer: a global, which the (sequential) blocks of a launch reuse.
    const unsigned num_arguments = kernel.getNumArguments();
    for (unsigned i = 0; i < kernel.getNumWorkgroupAttributions(); ++i) {
      mlir::BlockArgument shared = entry.getArgument(num_arguments);
      auto type = mlir::cast<mlir::MemRefType>(shared.getType());
      auto host_type = mlir::MemRefType::get(type.getShape(), type.getElementType());
      const std::string name = fn.getName().str() + "_shared_" + std::to_string(i);
      {
        mlir::OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(host->getBody());
        b.create<mlir::memref::GlobalOp>(kernel.getLoc(), name, b.getStringAttr("private"),
                                         host_type, b.getUnitAttr(), /*constant=*/false,
                                         /*alignment=*/nullptr);
      }
      mlir::OpBuilder at_entry(&entry, entry.begin());
      shared.replaceAllUsesWith(
          at_entry.create<mlir::memref::GetGlobalOp>(kernel.getLoc(), host_type, name));
      entry.eraseArgument(num_arguments);
    }
    for (unsigned i = 0; i < kIndexArguments; ++i)
      entry.addArgument(b.getIndexType(), kernel.getLoc());
    bind_gpu_indices(fn, entry.getArguments().take_back(kIndexArguments));
  });
  return host;
}

}  // namespace

std::unique_ptr<HostKernels> Graph::gpu_kernels_for_host(const CompileOptions& options,
                                                         void (*barrier)()) const {
  auto lock = lock_compiler();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::cast<mlir::ModuleOp>(impl_->module->clone());
  lower_to_gpu_launches(*module, options);
  mlir::OwningOpRef<mlir::ModuleOp> host = kernels_as_host_functions(*module);
  bool has_barriers = false;
  host->walk([&](mlir::func::CallOp call) { has_barriers |= call.getCallee() == kBarrier; });
  if (has_barriers) {
    if (!barrier)
      throw UnimplementedError("GPU kernels on the host: a block barrier, and no barrier function");
    mlir::OpBuilder b(host->getBody(), host->getBody()->begin());
    b.create<mlir::func::FuncOp>(host->getLoc(), kBarrier, b.getFunctionType({}, {})).setPrivate();
  }
  {
    mlir::PassManager pm(&context());
    add_llvm_dialect_passes(pm, /*tfjit_allocator=*/false);
    DiagnosticCollector diags;
    if (mlir::failed(pm.run(*host)))
      throw InternalError("lowering GPU kernels for the host failed:\n" + diags.text());
  }
  auto impl = std::make_unique<HostKernels::Impl>();
  std::map<std::string, size_t> num_params;
  host->walk([&](mlir::LLVM::LLVMFuncOp f) {
    if (!f.isExternal()) num_params[f.getName().str()] = f.getNumArguments() - kIndexArguments;
  });
  initialize_native_target();
  mlir::ExecutionEngineOptions engine_options;
  // Held here: `transformer` is a function_ref, and a temporary would die with this statement.
  auto optimize = mlir::makeOptimizingTransformer(2, 0, nullptr);
  engine_options.transformer = optimize;
  // The default listeners write to perf and debugger files, which crashes some harnesses.
  engine_options.enableGDBNotificationListener = false;
  engine_options.enablePerfNotificationListener = false;
  auto engine = mlir::ExecutionEngine::create(*host, engine_options);
  if (!engine)
    throw InternalError("JIT of GPU kernels for the host: " + llvm::toString(engine.takeError()));
  impl->engine = std::move(*engine);
  // The library calls host code makes (the bfloat16 libcalls of AVX2 machines among them), and
  // the barrier of kernels that have one.
  impl->engine->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    for (const auto& call : rt::abi::library_calls())
      symbols[interner(call.symbol)] = {llvm::orc::ExecutorAddr::fromPtr(call.address),
                                        llvm::JITSymbolFlags::Exported};
    if (has_barriers)
      symbols[interner(kBarrier)] = {llvm::orc::ExecutorAddr::fromPtr(barrier),
                                     llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  for (const auto& [name, count] : num_params) {
    auto fn = impl->engine->lookupPacked(name);
    if (!fn)
      throw InternalError("JIT of GPU kernels for the host: " + llvm::toString(fn.takeError()));
    impl->kernels[name] = {*fn, count};
  }
  return std::make_unique<HostKernels>(std::move(impl));
}

}  // namespace tf::compiler
