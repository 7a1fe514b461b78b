// tfjit's passes, one per file under compiler/lowering/. mlir-tblgen generates their base classes
// and registration (compiler/Passes.h.inc); tfjit-opt runs any of them on an MLIR file, and
// tests/passes/ checks each one.
#ifndef TFJIT_PASSES
#define TFJIT_PASSES

include "mlir/Pass/PassBase.td"

def TfjitToLinalg : Pass<"tfjit-to-linalg", "mlir::ModuleOp"> {
  let summary = "tfjit dialect -> linalg on tensors, elementwise ops as fusible linalg.generic";
  let constructor = "::tf::compiler::create_tfjit_to_linalg_pass(true, false, true, false, false)";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::bufferization::BufferizationDialect",
    "mlir::func::FuncDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"namedMatmul", "named-matmul", "bool", "true",
           "matmuls as named linalg ops, which GEMM library calls replace">,
    Option<"parallelScans", "parallel-scans", "bool", "false",
           "scans as one parallel op over their outputs (GPU kernels), not a loop">,
    Option<"hostLibraryCalls", "host-library-calls", "bool", "true",
           "float32 convolutions and sorts as calls of the eager CPU kernels, not generated "
           "loops">,
    Option<"deviceConvCalls", "device-conv-calls", "bool", "false",
           "convolutions as tfjit_conv calls that the GPU launch plan runs on cuDNN (and no "
           "calls of host kernels)">,
    Option<"deviceScatterCalls", "device-scatter-calls", "bool", "false",
           "scatters as tfjit_scatter_<dtype> calls that the GPU launch plan runs on the "
           "GPU's eager kernel (linear in the rows; no calls of host kernels)">,
  ];
}

def FuseElementwise : Pass<"tfjit-fuse-elementwise"> {
  let summary = "Fuses elementwise linalg.generic ops and propagates reshapes, never through a "
                "named linalg op";
  let constructor = "::tf::compiler::create_fuse_elementwise_pass()";
  let dependentDialects = [
    "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def SplitReductions : Pass<"tfjit-split-reductions", "mlir::ModuleOp"> {
  let summary = "Long reductions -> trees of shorter ones (GPU kernels)";
  let constructor = "::tf::compiler::create_split_reductions_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def ScheduleCollectives : Pass<"tfjit-schedule-collectives", "mlir::ModuleOp"> {
  let summary = "Moves each collective (and the packing ops feeding only it) up to where its "
                "operand is ready, keeping the collectives' order";
  let constructor = "::tf::compiler::create_schedule_collectives_pass()";
}

def CopyAliasedResults : Pass<"tfjit-copy-aliased-results", "mlir::ModuleOp"> {
  let summary = "Returned arguments and values returned twice become fresh tensors (before "
                "bufferization, after every fold that can create them)";
  let constructor = "::tf::compiler::create_copy_aliased_results_pass()";
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect"
  ];
}

def AliasArguments : Pass<"tfjit-alias-arguments", "mlir::ModuleOp"> {
  let summary = "A result whose argument is marked tfjit.aliasing_output materialises in that "
                "argument's buffer, computed there when it can be (before bufferization)";
  let constructor = "::tf::compiler::create_alias_arguments_pass()";
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def DropAliasedResults : Pass<"tfjit-drop-aliased-results", "mlir::ModuleOp"> {
  let summary = "Removes the results that bufferization left in their aliased arguments";
  let constructor = "::tf::compiler::create_drop_aliased_results_pass()";
}

def ResultsIntoOutParams : Pass<"tfjit-results-into-out-params", "mlir::ModuleOp"> {
  let summary = "A result computed in an allocation and copied into its output parameter is "
                "computed in the output parameter (after BufferResultsToOutParams)";
  let constructor = "::tf::compiler::create_results_into_out_params_pass()";
}

def UnshareInits : Pass<"tfjit-unshare-inits", "mlir::ModuleOp"> {
  let summary = "Gives every destination-style op its own tensor.empty init, and every matmul its "
                "own zero-filled accumulator";
  let constructor = "::tf::compiler::create_unshare_inits_pass()";
  let dependentDialects = [
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def FuseMatmulEpilogue : Pass<"tfjit-fuse-matmul-epilogue", "mlir::ModuleOp"> {
  let summary = "float32 matmul + row bias + activation on buffers -> one oneDNN call";
  let constructor = "::tf::compiler::create_fuse_matmul_epilogue_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def FuseConvEpilogue : Pass<"tfjit-fuse-conv-epilogue", "mlir::ModuleOp"> {
  let summary = "float32 tfjit.conv + bias + residual + activation -> one tfjit.fused_conv "
                "(one oneDNN call with post-ops on the CPU; with ReLU, one cuDNN call on the GPU)";
  let constructor = "::tf::compiler::create_fuse_conv_epilogue_pass()";
}

def MatmulToLibraryCall : Pass<"tfjit-matmul-to-library-call", "mlir::ModuleOp"> {
  let summary = "float32 GEMMs on buffers -> calls to the GEMM library (transposes as flags)";
  let constructor = "::tf::compiler::create_matmul_to_library_call_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def PlanBuffers : Pass<"tfjit-plan-buffers", "mlir::ModuleOp"> {
  let summary = "Static intermediates share one arena by liveness";
  let constructor = "::tf::compiler::create_plan_buffers_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::memref::MemRefDialect"
  ];
}

def StridedCopiesToLinalg : Pass<"tfjit-strided-copies-to-linalg", "mlir::ModuleOp"> {
  let summary = "memref.copy between non-contiguous buffers -> linalg.copy";
  let constructor = "::tf::compiler::create_strided_copies_to_linalg_pass()";
  let dependentDialects = [
    "mlir::linalg::LinalgDialect"
  ];
}

def LinalgToLoops : Pass<"tfjit-linalg-to-loops", "mlir::ModuleOp"> {
  let summary = "linalg on buffers -> loops, parallel above a size, inner reductions in registers";
  let constructor = "::tf::compiler::create_linalg_to_loops_pass()";
  let dependentDialects = [
    "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect"
  ];
}

def ParallelLoopsToCalls : Pass<"tfjit-parallel-loops-to-calls", "mlir::ModuleOp"> {
  let summary = "Outlines each outermost scf.parallel into a function of a range, called through "
                "tfjit's thread pool";
  let constructor = "::tf::compiler::create_parallel_loops_to_calls_pass()";
  let dependentDialects = [
    "mlir::LLVM::LLVMDialect",
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::scf::SCFDialect"
  ];
}

def ApproximateMath : Pass<"tfjit-approximate-math", "mlir::ModuleOp"> {
  let summary = "float32 exp, tanh and erf as vectorisable polynomial approximations";
  let constructor = "::tf::compiler::create_approximate_math_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::math::MathDialect",
    "mlir::vector::VectorDialect"
  ];
}

def CollapseDims : Pass<"tfjit-collapse-dims", "mlir::ModuleOp"> {
  let summary = "Generics on static shapes iterate each run of adjacent same-type loops that "
                "every operand indexes contiguously as one loop";
  let constructor = "::tf::compiler::create_collapse_dims_pass()";
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def ExpandMathForGpu : Pass<"tfjit-expand-math-for-gpu"> {
  let summary = "sinh, cosh, asin, acos, asinh, acosh, atanh as the functions libdevice "
                "lowering covers (expm1, log1p, atan2, ...), in forms without cancellation";
  let constructor = "::tf::compiler::create_expand_math_for_gpu_pass()";
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect"];
}

def ExpandIntegerDivision : Pass<"tfjit-expand-integer-division", "mlir::ModuleOp"> {
  let summary = "ceildiv/floordiv as plain integer arithmetic";
  let constructor = "::tf::compiler::create_expand_integer_division_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect"
  ];
}

def ExpandBFloat16 : Pass<"tfjit-expand-bfloat16", "mlir::ModuleOp"> {
  let summary = "bfloat16 <-> float32 conversions as integer shifts and rounding (CPU)";
  let constructor = "::tf::compiler::create_expand_bfloat16_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect"
  ];
}

def GpuBlockReductions : Pass<"tfjit-gpu-block-reductions", "mlir::ModuleOp"> {
  let summary = "Row reductions on buffers -> one GPU block per row, combined in shared memory";
  let constructor = "::tf::compiler::create_gpu_block_reductions_pass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::gpu::GPUDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect"
  ];
}

def LinalgToGpuLoops : Pass<"tfjit-linalg-to-gpu-loops", "mlir::ModuleOp"> {
  let summary = "linalg on buffers -> parallel loop nests tiled for GPU blocks and threads";
  let constructor = "::tf::compiler::create_linalg_to_gpu_loops_pass()";
  let dependentDialects = [
    "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect"
  ];
}

#endif  // TFJIT_PASSES
