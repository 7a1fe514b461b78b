// Shared MLIR plumbing for compiler/ sources: the process-wide context, diagnostics capture and
// the Graph's internals.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "compiler/compiler.h"
#include "compiler/passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Support/Timing.h"
#include "runtime/library_abi.h"

namespace mlir {
class DialectRegistry;
class PassManager;
}  // namespace mlir

namespace tf::compiler {

// Every dialect and interface the pipeline uses (tfjit-opt parses and runs passes with them).
void register_dialects(mlir::DialectRegistry& registry);
// The process-wide MLIR context, with those dialects registered and the common ones loaded.
mlir::MLIRContext& context();

// Collects the diagnostics MLIR emits while alive, so failures become typed errors.
class DiagnosticCollector {
 public:
  DiagnosticCollector();
  ~DiagnosticCollector();
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  uint64_t handler_id_;
};

std::string print(mlir::Operation* op);

struct Graph::Impl {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<TensorType> arguments, results;
  std::vector<Alias> aliases;
};

// @main's argument attribute `tfjit.aliasing_output = j`: result j is written into that argument
// (Graph::aliases; compiler/lowering/alias_arguments.cpp).
inline constexpr char kAliasingOutput[] = "tfjit.aliasing_output";

// Lowers `module` in place to `stage` (at most kLLVMDialect). Throws InternalError on failure.
// With `timing`, each pass's time is recorded under it (Graph::compile_timing).
void lower_to(mlir::ModuleOp module, Stage stage, const CompileOptions& options,
              mlir::TimingScope* timing = nullptr);
// Stage::kLLVMDialect's passes: loops in the arith, math, memref and cf dialects to LLVM.
// tfjit_allocator: compiled allocations go to the host allocator (backends/cpu/library_calls.cpp),
// which the process-wide JIT resolves; code linked elsewhere (GPU kernels run on the host) uses
// malloc.
void add_llvm_dialect_passes(mlir::PassManager& pm, bool tfjit_allocator = true);

// A named linalg GEMM (matmul, batch_matmul and their transpose_a / transpose_b forms): what the
// library-call pass turns into calls, and which operand it reads transposed.
struct GemmForm {
  bool batched = false, transpose_a = false, transpose_b = false;
};
std::optional<GemmForm> gemm_form(mlir::Operation* op);

// Compiled loops split over threads as eager kernels do: tasks of at least a grain of
// iterations, so only loops of two grains or more are worth threads.
inline constexpr int64_t kParallelElements = 2 * rt::abi::kParallelGrain;

}  // namespace tf::compiler
