// The lowering pipeline, as named stages: each stage adds its passes to a PassManager, so a
// graph can be printed after any of them (tfjit-dump --stage) or compiled all the way.
#include <array>

#include "compiler/mlir_support.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {
constexpr std::array<std::string_view, 9> kStageNames = {
    "traced", "optimized", "linalg", "bufferized", "loops", "llvm", "llvmir", "asm", "ptx"};

// @main's calling convention: a C interface, and arguments that belong to the caller and must
// never be written.
void prepare_entry(mlir::ModuleOp module) {
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main) return;
  mlir::Builder b(module.getContext());
  main->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    main.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
}

}  // namespace

void add_llvm_dialect_passes(mlir::PassManager& pm, bool tfjit_allocator) {
  pm.addPass(create_expand_integer_division_pass());  // floordivsi etc. into LLVM-level ops
  pm.addPass(create_expand_bfloat16_pass());          // bf16 conversions as integer ops
  pm.addPass(mlir::memref::createExpandStridedMetadataPass());
  pm.addPass(mlir::createLowerAffinePass());
  pm.addPass(mlir::createConvertMathToLLVMPass());
  pm.addPass(mlir::createConvertMathToLibmPass());
  // With tfjit's allocator, memref.alloc/dealloc call _mlir_memref_to_llvm_alloc/free, which
  // backends/cpu/library_calls.cpp maps to the host allocator's cache (malloc would map and unmap a
  // large arena at every call, paying a page fault per 4 KiB).
  mlir::FinalizeMemRefToLLVMConversionPassOptions memref_options;
  memref_options.useGenericFunctions = tfjit_allocator;
  pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass(memref_options));
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::createConvertControlFlowToLLVMPass());
  pm.addPass(mlir::createConvertIndexToLLVMPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}

namespace {

void add_stage(mlir::PassManager& pm, Stage stage, const CompileOptions& options) {
  switch (stage) {
    case Stage::kTraced:
      break;
    case Stage::kOptimized:
      pm.addPass(mlir::createCanonicalizerPass());
      pm.addPass(mlir::createCSEPass());
      pm.addPass(create_schedule_collectives_pass());
      // Convolutions with their epilogues, where they become library calls (oneDNN, cuDNN).
      if (options.fuse_conv_epilogue && (options.host_library_calls || options.device_conv_calls))
        pm.addPass(create_fuse_conv_epilogue_pass());
      break;
    case Stage::kLinalg:
      pm.addPass(create_tfjit_to_linalg_pass(
          options.matmul_library_call, options.parallel_scans, options.host_library_calls,
          options.device_conv_calls && !options.host_library_calls,
          options.device_scatter_calls && !options.host_library_calls));
      pm.addPass(create_fuse_elementwise_pass());
      pm.addPass(create_collapse_dims_pass());
      if (options.split_reductions) pm.addPass(create_split_reductions_pass());
      pm.addPass(mlir::createCanonicalizerPass());
      pm.addPass(mlir::createCSEPass());
      break;
    case Stage::kBufferized: {
      pm.addPass(create_copy_aliased_results_pass());
      if (options.alias_arguments) pm.addPass(create_alias_arguments_pass());
      pm.addPass(create_unshare_inits_pass());
      mlir::bufferization::OneShotBufferizationOptions bufferization;
      bufferization.bufferizeFunctionBoundaries = true;
      // tf::while_loop bodies compute new loop values in new buffers (yielding them is fine;
      // the deallocation pipeline frees the previous iteration's).
      bufferization.allowReturnAllocsFromLoops = true;
      bufferization.setFunctionBoundaryTypeConversion(
          mlir::bufferization::LayoutMapOption::IdentityLayoutMap);
      pm.addPass(mlir::bufferization::createOneShotBufferizePass(bufferization));
      if (options.alias_arguments) pm.addPass(create_drop_aliased_results_pass());
      mlir::bufferization::BufferResultsToOutParamsOpts out_params;
      out_params.hoistStaticAllocs = true;  // write results straight into the caller's buffers
      pm.addPass(mlir::bufferization::createBufferResultsToOutParamsPass(out_params));
      pm.addPass(create_results_into_out_params_pass());  // reshaped results too
      if (options.matmul_library_call && options.fuse_matmul_epilogue)
        pm.addPass(create_fuse_matmul_epilogue_pass());  // before plain GEMMs become calls
      if (options.matmul_library_call) pm.addPass(create_matmul_to_library_call_pass());
      mlir::bufferization::buildBufferDeallocationPipeline(pm, {});
      pm.addPass(mlir::createCanonicalizerPass());
      pm.addPass(create_plan_buffers_pass());
      break;
    }
    case Stage::kLoops:
      pm.addPass(create_strided_copies_to_linalg_pass());
      pm.addPass(create_linalg_to_loops_pass());
      // Large parallel loops run on tfjit's thread pool, the eager kernels' (the calling thread
      // takes part).
      pm.addPass(create_parallel_loops_to_calls_pass());
      pm.addPass(create_approximate_math_pass());
      pm.addPass(mlir::createLowerAffinePass());
      pm.addPass(mlir::createConvertSCFToCFPass());
      pm.addPass(mlir::createCanonicalizerPass());
      break;
    case Stage::kLLVMDialect:
      add_llvm_dialect_passes(pm);
      break;
    case Stage::kLLVMIR:
    case Stage::kAssembly:
    case Stage::kPTX:
      break;  // produced from the LLVM dialect by executable.cpp
  }
}
}  // namespace

std::string_view stage_name(Stage stage) { return kStageNames[static_cast<size_t>(stage)]; }

std::optional<Stage> parse_stage(std::string_view name) {
  for (size_t i = 0; i < kStageNames.size(); ++i)
    if (kStageNames[i] == name) return static_cast<Stage>(i);
  return std::nullopt;
}

void lower_to(mlir::ModuleOp module, Stage stage, const CompileOptions& options,
              mlir::TimingScope* timing) {
  if (stage >= Stage::kBufferized) prepare_entry(module);
  mlir::PassManager pm(&context());
  if (timing) pm.enableTiming(*timing);
  for (Stage s : kAllStages) {
    if (s > stage) break;
    add_stage(pm, s, options);
  }
  DiagnosticCollector diags;
  if (mlir::failed(pm.run(module)))
    throw InternalError("lowering to stage '" + std::string(stage_name(stage)) + "' failed:\n" +
                        diags.text());
}

}  // namespace tf::compiler
