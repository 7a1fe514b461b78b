// A graph for the GPU: the bufferized graph lowered to kernels (compiler/gpu_codegen.cpp), their
// PTX, and the launch plan of the host side (compiler/gpu_launch_plan.cpp), as one
// rt::gpu::Program the runtime loads and replays.
#include "runtime/gpu_program.h"
#include "compiler/gpu_codegen.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "tfjit/errors.h"

namespace tf::compiler {

rt::gpu::Program Graph::gpu_program(std::string_view arch, const CompileOptions& options) const {
  auto lock = lock_compiler();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::cast<mlir::ModuleOp>(impl_->module->clone());
  // No exception may unwind through MLIR's walk: find, then throw.
  std::string host_only;
  module->walk([&](mlir::Operation* op) {
    if (host_only.empty() && op->hasTrait<tfjit::HostOnly>())
      host_only = op->getName().getStringRef().str();
  });
  if (!host_only.empty())
    throw UnimplementedError("running this graph on the GPU: " + host_only +
                             " runs only on the host");
  lower_to_gpu_kernels(*module, options);
  rt::gpu::Program program;
  program.arch = std::string(arch);
  build_launch_plan(*module, impl_->arguments.size(), program);
  program.image = emit_ptx(*module, arch, options.llvm_opt_level);
  return program;
}

// Stage::kPTX: the launch plan as PTX comments, then the kernels (ptxas accepts the whole text).
std::string gpu_stage_text(mlir::ModuleOp module, size_t num_arguments,
                           const CompileOptions& options) {
  lower_to_gpu_kernels(module, options);
  std::string plan;
  try {
    rt::gpu::Program program;
    build_launch_plan(module, num_arguments, program);
    plan = program.describe();
  } catch (const UnimplementedError& e) {
    plan = std::string("runs on the CPU: ") + e.what() + "\n";
  }
  std::string text;
  size_t begin = 0;
  while (begin < plan.size()) {
    size_t end = plan.find('\n', begin);
    text += "// " + plan.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return text + emit_ptx(module, options.gpu_arch, options.llvm_opt_level);
}

}  // namespace tf::compiler
