// tfjit's passes (compiler/Passes.td), one per file under compiler/lowering/.
#pragma once

#include <memory>

#include "mlir/Pass/Pass.h"

namespace tf::compiler {

std::unique_ptr<mlir::Pass> create_tfjit_to_linalg_pass(bool named_matmul, bool parallel_scans,
                                                        bool host_library_calls,
                                                        bool device_conv_calls,
                                                        bool device_scatter_calls);
std::unique_ptr<mlir::Pass> create_fuse_elementwise_pass();
std::unique_ptr<mlir::Pass> create_schedule_collectives_pass();
std::unique_ptr<mlir::Pass> create_collapse_dims_pass();
std::unique_ptr<mlir::Pass> create_matmul_to_library_call_pass();
std::unique_ptr<mlir::Pass> create_fuse_matmul_epilogue_pass();
std::unique_ptr<mlir::Pass> create_fuse_conv_epilogue_pass();
std::unique_ptr<mlir::Pass> create_strided_copies_to_linalg_pass();
std::unique_ptr<mlir::Pass> create_gpu_block_reductions_pass();
std::unique_ptr<mlir::Pass> create_linalg_to_gpu_loops_pass();
std::unique_ptr<mlir::Pass> create_split_reductions_pass();
std::unique_ptr<mlir::Pass> create_linalg_to_loops_pass();
std::unique_ptr<mlir::Pass> create_parallel_loops_to_calls_pass();
std::unique_ptr<mlir::Pass> create_approximate_math_pass();
std::unique_ptr<mlir::Pass> create_expand_integer_division_pass();
std::unique_ptr<mlir::Pass> create_expand_bfloat16_pass();
std::unique_ptr<mlir::Pass> create_expand_math_for_gpu_pass();
std::unique_ptr<mlir::Pass> create_plan_buffers_pass();
std::unique_ptr<mlir::Pass> create_unshare_inits_pass();
std::unique_ptr<mlir::Pass> create_copy_aliased_results_pass();
std::unique_ptr<mlir::Pass> create_alias_arguments_pass();
std::unique_ptr<mlir::Pass> create_drop_aliased_results_pass();
std::unique_ptr<mlir::Pass> create_results_into_out_params_pass();

// Registers every pass above under its command-line name (tfjit-opt, mlir's pass pipelines).
void register_passes();

}  // namespace tf::compiler
