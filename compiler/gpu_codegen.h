// The GPU path of a graph (compiler/gpu_codegen.cpp): its loop nests become CUDA kernels
// (scf.parallel -> gpu.launch -> outlined gpu.func -> NVVM) and LLVM's NVPTX backend turns them
// into PTX, with libdevice linked for the math functions.
#pragma once

#include <string>
#include <string_view>

#include "mlir/IR/BuiltinOps.h"

namespace tf::compiler {

// Lowers a module at the bufferized stage (GEMMs as loops) to GPU kernels in place: the host
// function keeps gpu.launch_func ops, each gpu.module holds NVVM-dialect kernels.
void lower_to_gpu_kernels(mlir::ModuleOp bufferized);

// PTX for every kernel of a module from lower_to_gpu_kernels, for `arch` ("sm_90").
std::string emit_ptx(mlir::ModuleOp gpu_lowered, std::string_view arch, int opt_level);

// libdevice.10.bc: $TFJIT_LIBDEVICE, else under $CUDA_HOME or /usr/local/cuda ("" if none).
std::string find_libdevice();

}  // namespace tf::compiler
