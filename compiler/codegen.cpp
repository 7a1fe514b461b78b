// From the LLVM dialect to machine code for the host CPU: translation to LLVM IR, the entry
// wrapper, -O<n> with the host's full vector width, then LLVM IR text, assembly or a relocatable
// object (which executable.cpp links into the JIT and the disk cache stores).
#include "compiler/codegen.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

// Functions of up to twice this many blocks stay whole (a 100-op graph's entry has about 300).
constexpr size_t kMaxBlocksPerFunction = 256;

llvm::orc::JITTargetMachineBuilder host_builder() {
  initialize_native_target();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    throw InternalError("cannot detect the host CPU: " + llvm::toString(builder.takeError()));
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  // Without AVX512-FP16's half-precision vector compares: LLVM 19 narrows a compare of a widened
  // float16 to one, and ANDing its mask with a float64 compare's gave wrong lanes on a Sapphire
  // Rapids (compiled float16 digamma was NaN at every positive integer). float16 arithmetic is
  // computed in float32 anyway.
  builder->getFeatures().AddFeature("avx512fp16", false);
  // Position-independent: the object is linked wherever the JIT maps it, possibly far from the
  // process's libraries.
  builder->setRelocationModel(llvm::Reloc::PIC_);
  return std::move(*builder);
}

// `void tfjit_entry(void** descriptors)`: calls _mlir_ciface_main with descriptors[i] as its
// i-th argument, so the runtime can call any signature through one C function pointer.
void add_entry_wrapper(llvm::Module& module) {
  llvm::Function* main = module.getFunction("_mlir_ciface_main");
  if (!main) throw InternalError("the compiled module has no _mlir_ciface_main");
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* type = llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy()}, false);
  auto* entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage, kEntrySymbol, module);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", entry));
  std::vector<llvm::Value*> args;
  for (unsigned i = 0; i < main->arg_size(); ++i)
    args.push_back(
        b.CreateLoad(b.getPtrTy(), b.CreateConstGEP1_64(b.getPtrTy(), entry->getArg(0), i)));
  b.CreateCall(main, args);
  b.CreateRetVoid();
}

}  // namespace

std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  auto tm = host_builder().createTargetMachine();
  if (!tm) throw InternalError("cannot create a target machine: " + llvm::toString(tm.takeError()));
  return std::move(*tm);
}

const std::string& host_target_id() {
  // From the host queries directly: creating a TargetMachine costs milliseconds, and this is on
  // the path of every disk cache hit.
  static const std::string id = [] {
    std::string s = llvm::sys::getProcessTriple() + " " + llvm::sys::getHostCPUName().str();
    std::vector<std::string> enabled;
    for (const auto& f : llvm::sys::getHostCPUFeatures())
      if (f.second) enabled.push_back(f.first().str());
    std::sort(enabled.begin(), enabled.end());
    for (const auto& f : enabled) s += " +" + f;
    return s;
  }();
  return id;
}

void initialize_native_target() {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
}

std::string emit_code(mlir::ModuleOp llvm_dialect, Emit what, int opt_level,
                      mlir::TimingScope* timing) {
  // A step's time is recorded from here until the next step starts (or the function returns).
  mlir::TimingScope step;
  auto start = [&](const char* name) {
    if (!timing) return;
    step.stop();
    step = timing->nest(name);
  };
  start("translate to LLVM IR");
  llvm::LLVMContext llvm_context;
  auto module = mlir::translateModuleToLLVMIR(llvm_dialect, llvm_context);
  if (!module) throw InternalError("translation to LLVM IR failed");
  auto tm = host_target_machine();
  module->setDataLayout(tm->createDataLayout());
  module->setTargetTriple(tm->getTargetTriple().str());
  add_entry_wrapper(*module);
  start("split large functions");
  split_large_functions(*module, kMaxBlocksPerFunction);
  // Every function is tagged with the host CPU, so the vectorisers use its full vector width.
  for (auto& f : *module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", tm->getTargetCPU());
    f.addFnAttr("target-features", tm->getTargetFeatureString());
  }
  start("LLVM optimisation");
  auto optimize = mlir::makeOptimizingTransformer(static_cast<unsigned>(opt_level), 0, tm.get());
  if (auto err = optimize(module.get()))
    throw InternalError("LLVM optimisation failed: " + llvm::toString(std::move(err)));

  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  if (what == Emit::kLLVMIR) {
    module->print(os, nullptr);
    return std::string(buffer.str());
  }
  start("machine code");
  llvm::legacy::PassManager pm;
  auto type = what == Emit::kAssembly ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile;
  if (tm->addPassesToEmitFile(pm, os, nullptr, type))
    throw InternalError("the host target cannot emit machine code");
  pm.run(*module);
  return std::string(buffer.str());
}

}  // namespace tf::compiler
