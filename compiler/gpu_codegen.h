// The GPU path of a graph (compiler/gpu_codegen.cpp): its loop nests become CUDA kernels
// (scf.parallel -> gpu.launch -> outlined gpu.func -> NVVM) and LLVM's NVPTX backend turns them
// into PTX, with libdevice linked for the math functions.
#pragma once

#include <string>
#include <string_view>

#include "compiler/compiler.h"
#include "mlir/IR/BuiltinOps.h"

namespace tf::rt::gpu {
struct Program;
}

namespace tf::compiler {

// Lowers a traced module in place to GPU kernels: bufferized (GEMMs stay cuBLAS calls when
// options.matmul_library_call, as loops otherwise), then the host function keeps
// gpu.launch_func ops and each gpu.module holds NVVM-dialect kernels.
void lower_to_gpu_kernels(mlir::ModuleOp traced, const CompileOptions& options);
// The first half of it: the host function launches gpu.func kernels still in the arith, math,
// memref and cf dialects (what compiler/gpu_host_kernels.cpp compiles for the host).
void lower_to_gpu_launches(mlir::ModuleOp traced, const CompileOptions& options);

// PTX for every kernel of a module from lower_to_gpu_kernels, for `arch` ("sm_90").
std::string emit_ptx(mlir::ModuleOp gpu_lowered, std::string_view arch, int opt_level);

// The PTX entry point of kernel @module::@kernel after emit_ptx.
std::string ptx_entry_name(llvm::StringRef module, llvm::StringRef kernel);

// Fills `program`'s buffers and steps from @main of a module from lower_to_gpu_kernels, whose
// first `num_arguments` arguments are the graph's and the rest its results (out-parameters).
// UnimplementedError naming the op when the host code does more than allocate, view, launch,
// call a GEMM, copy, check, print and branch on a predicate computed by a kernel (unknown dims).
void build_launch_plan(mlir::ModuleOp gpu_lowered, size_t num_arguments, rt::gpu::Program& program);

// Stage::kPTX of a traced module (lowered in place): the launch plan as comments, then the PTX.
std::string gpu_stage_text(mlir::ModuleOp traced, size_t num_arguments,
                           const CompileOptions& options);

// libdevice.10.bc: $TFJIT_LIBDEVICE, else under $CUDA_HOME or /usr/local/cuda ("" if none).
std::string find_libdevice();

}  // namespace tf::compiler
