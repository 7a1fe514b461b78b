#include "compiler/gpu_codegen.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "compiler/mlir_support.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Transforms/RegionUtils.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

std::unique_ptr<llvm::TargetMachine> nvptx_target_machine(std::string_view arch) {
  static const bool initialized = [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
    return true;
  }();
  (void)initialized;
  const std::string triple = "nvptx64-nvidia-cuda";
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) throw InternalError("the NVPTX backend is not available in LLVM: " + error);
  // PTX ISA 8.1 (CUDA 12.1, the oldest driver tfjit uses): 32764 bytes of kernel parameters
  // rather than 4352, which a fused kernel of some 50 operands needs.
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, std::string(arch), "+ptx81", llvm::TargetOptions(), std::nullopt));
  if (!tm) throw InternalError("cannot create an NVPTX target machine for " + std::string(arch));
  return tm;
}

// Constants that a launch's body uses (sizes, divisors of the index arithmetic, loop steps),
// folded first, are copied into it, so that the kernel sees them as constants rather than
// parameters: LLVM then turns a division by a size into a multiply and shift instead of a 64-bit
// division per element.
void sink_constants_into_launches(mlir::ModuleOp module) {
  (void)mlir::applyPatternsAndFoldGreedily(module, mlir::FrozenRewritePatternSet());
  module.walk([](mlir::gpu::LaunchOp launch) {
    llvm::SetVector<mlir::Value> above;
    mlir::getUsedValuesDefinedAbove(launch.getBody(), above);
    mlir::OpBuilder b(&launch.getBody().front(), launch.getBody().front().begin());
    for (mlir::Value v : above)
      if (auto constant = v.getDefiningOp<mlir::arith::ConstantOp>())
        mlir::replaceAllUsesInRegionWith(v, b.clone(*constant)->getResult(0), launch.getBody());
  });
}

}  // namespace

std::string find_libdevice() {
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("TFJIT_LIBDEVICE")) candidates.push_back(p);
  if (const char* home = std::getenv("CUDA_HOME"))
    candidates.push_back(std::string(home) + "/nvvm/libdevice/libdevice.10.bc");
  candidates.push_back("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc");
  for (const auto& c : candidates)
    if (std::filesystem::exists(c)) return c;
  return "";
}

void lower_to_gpu_launches(mlir::ModuleOp module, const CompileOptions& options) {
  lower_to(module, Stage::kBufferized, options_for_gpu(options, options.gpu_arch));
  mlir::PassManager pm(&context());
  pm.addPass(create_strided_copies_to_linalg_pass());
  pm.addPass(create_gpu_block_reductions_pass());
  pm.addPass(create_linalg_to_gpu_loops_pass());
  // Each scf.parallel nest becomes one kernel: tiles over blocks, a tile's elements over threads.
  pm.addNestedPass<mlir::func::FuncOp>(mlir::createGpuMapParallelLoopsPass());
  pm.addPass(mlir::createParallelLoopToGpuPass());
  DiagnosticCollector diags;
  if (mlir::failed(pm.run(module)))
    throw InternalError("lowering to GPU launches failed:\n" + diags.text());
  sink_constants_into_launches(module);
  mlir::PassManager outline(&context());
  outline.addPass(mlir::createGpuKernelOutliningPass());
  outline.addPass(mlir::createLowerAffinePass());
  outline.addPass(mlir::createConvertSCFToCFPass());
  // Here, not with the NVVM lowering, so the stand-in driver's host kernels compute them alike.
  outline.addNestedPass<mlir::gpu::GPUModuleOp>(create_expand_math_for_gpu_pass());
  if (mlir::failed(outline.run(module)))
    throw InternalError("lowering to GPU launches failed:\n" + diags.text());
  // A launch plan gives every buffer its own memory for the whole call, so the host code's
  // deallocations mean nothing there. Without them, the ownership flags that bufferization
  // threads through host control flow (i1 block arguments guarding conditional deallocations)
  // fold away, leaving branches only on the graph's own predicates.
  module.walk([](mlir::memref::DeallocOp d) { d.erase(); });
  // The host side folds to constants (static shapes): launch sizes and scalar kernel arguments.
  mlir::PassManager fold(&context());
  fold.addNestedPass<mlir::func::FuncOp>(mlir::createCanonicalizerPass());
  fold.addNestedPass<mlir::func::FuncOp>(mlir::createCSEPass());
  if (mlir::failed(fold.run(module)))
    throw InternalError("lowering to GPU launches failed:\n" + diags.text());
}

void lower_to_gpu_kernels(mlir::ModuleOp module, const CompileOptions& options) {
  lower_to_gpu_launches(module, options);
  mlir::PassManager pm(&context());
  auto& kernels = pm.nest<mlir::gpu::GPUModuleOp>();
  kernels.addPass(mlir::arith::createArithExpandOpsPass());
  kernels.addPass(mlir::memref::createExpandStridedMetadataPass());
  kernels.addPass(mlir::createLowerAffinePass());
  kernels.addPass(mlir::createConvertGpuOpsToNVVMOps());  // math -> libdevice (__nv_*) calls
  // What libdevice does not cover (math.roundeven) becomes an LLVM intrinsic the NVPTX backend
  // lowers itself (cvt.rni).
  kernels.addPass(mlir::createConvertMathToLLVMPass());
  kernels.addPass(mlir::createReconcileUnrealizedCastsPass());
  DiagnosticCollector diags;
  if (mlir::failed(pm.run(module)))
    throw InternalError("lowering to GPU kernels failed:\n" + diags.text());
}

std::string emit_ptx(mlir::ModuleOp module, std::string_view arch, int opt_level) {
  auto tm = nvptx_target_machine(arch);
  llvm::LLVMContext llvm_context;
  std::unique_ptr<llvm::Module> linked;
  // Every gpu.module's kernels, translated on their own (the host code is not part of PTX).
  std::vector<std::string> kernel_names;
  for (auto gpu_module : module.getOps<mlir::gpu::GPUModuleOp>()) {
    mlir::OpBuilder b(&context());
    mlir::OwningOpRef<mlir::ModuleOp> kernels = mlir::ModuleOp::create(gpu_module.getLoc());
    b.setInsertionPointToEnd(kernels->getBody());
    for (auto& op : gpu_module.getBody()->without_terminator()) b.clone(op);
    // PTX entry points are global: each takes its module's (unique) name.
    kernels->walk([&](mlir::LLVM::LLVMFuncOp f) {
      if (!f->hasAttr("nvvm.kernel")) return;
      std::string name = ptx_entry_name(gpu_module.getName(), f.getName());
      f.setSymName(name);
      kernel_names.push_back(name);
    });
    auto translated = mlir::translateModuleToLLVMIR(*kernels, llvm_context, "tfjit_kernels");
    if (!translated) throw InternalError("translation of GPU kernels to LLVM IR failed");
    if (!linked) {
      linked = std::move(translated);
    } else if (llvm::Linker::linkModules(*linked, std::move(translated))) {
      throw InternalError("linking GPU kernel modules failed");
    }
  }
  if (!linked) return "";  // no loops: nothing runs on the GPU
  linked->setTargetTriple(tm->getTargetTriple().str());
  linked->setDataLayout(tm->createDataLayout());
  bool needs_libdevice = false;
  for (auto& f : *linked) needs_libdevice |= f.isDeclaration() && f.getName().starts_with("__nv_");
  if (needs_libdevice) {
    std::string path = find_libdevice();
    if (path.empty())
      throw InternalError(
          "GPU kernels need libdevice.10.bc for math functions; set "
          "TFJIT_LIBDEVICE or CUDA_HOME");
    llvm::SMDiagnostic error;
    auto libdevice = llvm::parseIRFile(path, error, llvm_context);
    if (!libdevice) throw InternalError("cannot read " + path + ": " + error.getMessage().str());
    libdevice->setTargetTriple(linked->getTargetTriple());
    libdevice->setDataLayout(linked->getDataLayout());
    if (llvm::Linker::linkModules(*linked, std::move(libdevice),
                                  llvm::Linker::Flags::LinkOnlyNeeded))
      throw InternalError("linking libdevice failed");
  }
  // Only the kernels are entry points; everything else may be inlined away.
  for (auto& f : *linked)
    if (!f.isDeclaration() && std::find(kernel_names.begin(), kernel_names.end(),
                                        f.getName().str()) == kernel_names.end())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  auto optimize = mlir::makeOptimizingTransformer(static_cast<unsigned>(opt_level), 0, tm.get());
  if (auto err = optimize(linked.get()))
    throw InternalError("LLVM optimisation of GPU kernels failed: " +
                        llvm::toString(std::move(err)));
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::AssemblyFile))
    throw InternalError("the NVPTX backend cannot emit PTX");
  pm.run(*linked);
  return std::string(buffer.str());
}

}  // namespace tf::compiler
