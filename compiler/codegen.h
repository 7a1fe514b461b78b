// Machine code for the host CPU from a module in the LLVM dialect (compiler/codegen.cpp).
#pragma once

#include <memory>
#include <string>

#include "mlir/IR/BuiltinOps.h"

namespace mlir {
class TimingScope;
}  // namespace mlir
namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace tf::compiler {

// Every compiled module exports `void tfjit_entry(void** descriptors)`: one pointer to an MLIR
// memref descriptor per argument, then per result.
inline constexpr const char* kEntrySymbol = "tfjit_entry";

enum class Emit { kLLVMIR, kAssembly, kObject };
// Translates, adds the entry wrapper, optimises at -O`opt_level` and emits `what`. With `timing`,
// each of those steps is timed under it. An object of a large module is compiled on `threads`
// threads, as several objects packed into one string (object_bundle.h).
std::string emit_code(mlir::ModuleOp llvm_dialect, Emit what, int opt_level,
                      mlir::TimingScope* timing = nullptr, int threads = 1);

// Cuts each function of more than 2 * `max_blocks` blocks into noinline pieces of about
// `max_blocks` along the blocks every path to its return passes through
// (compiler/split_functions.cpp), so that -O3 takes time linear in a graph's size.
void split_large_functions(llvm::Module& module, size_t max_blocks);

std::unique_ptr<llvm::TargetMachine> host_target_machine();
void initialize_native_target();
// Triple, CPU name and features: code built for one id may not run on another.
const std::string& host_target_id();

}  // namespace tf::compiler
