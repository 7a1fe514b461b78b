// From the LLVM dialect to machine code for the host CPU: translation to LLVM IR, the entry
// wrapper, -O<n> with the host's full vector width, then LLVM IR text, assembly or relocatable
// objects (which executable.cpp links into the JIT and the disk cache stores).
//
// LLVM optimises and emits one module on one thread, and that is three quarters of a cold
// compile. With several threads, a large module's functions (the entry cut into pieces, the
// parallel loops' bodies) are dealt out to partitions that are optimised and emitted at once,
// each in its own LLVMContext (read back from one bitcode copy), as LLVM's own parallel LTO code
// generation does. The large functions called across partitions never inlined into each other
// anyway (pieces are noinline, loop bodies are called through the thread pool); small ones are
// copied into each partition.
#include "compiler/codegen.h"
#include "compiler/object_bundle.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <string>
#include <system_error>
#include <thread>

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Scalar/LoopUnrollPass.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

// Functions of up to twice this many blocks stay whole (a 100-op graph's entry has about 300).
constexpr size_t kMaxBlocksPerFunction = 256;
// With several threads, pieces this long: the entry holds every kernel too small for threads
// (a transformer step's: 75 blocks, a third of its compile time), and is cut for the partitions
// to come out even.
constexpr size_t kMaxBlocksPerParallelPiece = 24;
// Partitions per thread: enough that threads finishing early find more work.
constexpr size_t kPartitionsPerThread = 3;
// A thread per this many instructions at most: a smaller share compiles in tens of milliseconds,
// less than the thread and its copy of the module cost (so a module under twice this stays
// whole, and a many-core machine does not parse the module once per core).
constexpr size_t kInstructionsPerThread = 1000;
// Functions this small are copied into every partition that calls them, as local functions:
// the inliner still sees them (MLIR's wrappers that pack a library call's descriptors).
constexpr size_t kMaxCopiedInstructions = 64;

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

namespace {

// LLVM's -O`opt_level` pipeline for `tm`, as mlir::makeOptimizingTransformer builds it, but
// with loops unrolled only whole, and only before the vectorisers: small loops of known trip
// count (a pooling window's) as O3 unrolls them there, and nothing partially, at run time or
// after vectorising. The vectoriser's interleaving (up to four vectors an iteration with AVX) is
// what memory-bound kernels need; O3's later unrolling doubled a transformer step's machine code
// and took a third of its cold compile for no measurably faster kernel, while no unrolling at all
// slowed a CNN step by a quarter (docs/benchmarks.md, 2026-12-08).
void optimise(llvm::Module& module, llvm::TargetMachine& tm, int opt_level) {
  const llvm::OptimizationLevel levels[] = {
      llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1, llvm::OptimizationLevel::O2,
      llvm::OptimizationLevel::O3};
  if (opt_level < 0 || opt_level > 3)
    throw InternalError("LLVM optimisation level " + std::to_string(opt_level) +
                        " is not one of 0, 1, 2, 3");
  const llvm::OptimizationLevel level = levels[opt_level];
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopInterleaving = true;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgsccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&tm, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgsccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgsccs, modules);
  // The O0 pipeline runs without the hook below (it would call it too).
  if (level == llvm::OptimizationLevel::O0) {
    builder.buildO0DefaultPipeline(level).run(module, modules);
    return;
  }
  // Right after where O3 would have unrolled loops whole.
  builder.registerLoopOptimizerEndEPCallback(
      [forget = tuning.ForgetAllSCEVInLoopUnroll](llvm::LoopPassManager& loop_passes,
                                                  llvm::OptimizationLevel at) {
        loop_passes.addPass(llvm::LoopFullUnrollPass(static_cast<int>(at.getSpeedupLevel()),
                                                     /*OnlyWhenForced=*/false, forget));
      });
  builder.buildPerModuleDefaultPipeline(level).run(module, modules);
}

// -O`opt_level`, then `what` (LLVM IR text, assembly or an object) of `module`.
std::string optimise_and_emit(llvm::Module& module, llvm::TargetMachine& tm, Emit what,
                              int opt_level, const std::function<void(const char*)>& start) {
  start("LLVM optimisation");
  optimise(module, tm, opt_level);
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  if (what == Emit::kLLVMIR) {
    module.print(os, nullptr);
    return std::string(buffer.str());
  }
  start("machine code");
  llvm::legacy::PassManager pm;
  auto type = what == Emit::kAssembly ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    throw InternalError("the host target cannot emit machine code");
  pm.run(module);
  return std::string(buffer.str());
}

size_t instructions(const llvm::Function& f) { return f.getInstructionCount(); }

bool copied(const llvm::GlobalVariable& g) {
  constexpr uint64_t kMaxCopiedBytes = 4096;
  return g.isConstant() && g.hasLocalLinkage() &&
         g.getParent()->getDataLayout().getTypeAllocSize(g.getValueType()) <= kMaxCopiedBytes;
}
bool copied(const llvm::Function& f) {
  return f.hasLocalLinkage() && instructions(f) <= kMaxCopiedInstructions;
}

// Deals `module`'s function definitions out to `n` partitions, largest first to the least loaded
// (by instruction count), and makes every other local function and variable global, so that
// partitions link to each other's. Small local constants and functions stay local, copied into
// every partition (a copy costs less than a call or a load through another object). Default
// visibility: a hidden symbol would be addressed PC-relative across objects, which the JIT
// places where it likes (a GOT entry reaches anywhere, and the linker relaxes it when near).
std::vector<std::vector<std::string>> partition(llvm::Module& module, size_t n) {
  auto externalise = [](llvm::GlobalObject& g) {
    g.setComdat(nullptr);
    if (g.hasLocalLinkage() && !g.hasName()) g.setName("tfjit.unnamed");  // made unique
    if (g.hasLocalLinkage() || g.isDiscardableIfUnused())  // dropped where unused otherwise
      g.setLinkage(llvm::GlobalValue::ExternalLinkage);
  };
  std::vector<std::pair<size_t, llvm::Function*>> functions;
  for (llvm::Function& f : module)
    if (!f.isDeclaration() && !copied(f)) {
      externalise(f);
      functions.emplace_back(instructions(f), &f);
    }
  for (llvm::GlobalVariable& g : module.globals())
    if (!copied(g) && !g.getName().starts_with("llvm.")) externalise(g);
  std::stable_sort(functions.begin(), functions.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::vector<std::string>> parts(n);
  std::vector<size_t> load(n, 0);
  for (const auto& [size, f] : functions) {
    const size_t p = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[p] += size;
    parts[p].push_back(f->getName().str());
  }
  return parts;
}

// An object of the functions `names` of the module in `bitcode` (the others declared only, the
// copied ones kept), compiled in a context of its own. The first partition defines the global
// variables and keeps LLVM's special ones (constructors, llvm.used).
std::string compile_partition(llvm::StringRef bitcode, const std::vector<std::string>& names,
                              bool first, int opt_level) {
  if (names.empty() && !first) return {};
  llvm::LLVMContext context;
  auto module = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "partition"), context);
  if (!module)
    throw InternalError("reading a partition back: " + llvm::toString(module.takeError()));
  llvm::StringSet<> mine;
  for (const std::string& name : names) mine.insert(name);
  for (llvm::Function& f : **module)
    if (!f.isDeclaration() && !f.hasLocalLinkage() && !mine.contains(f.getName())) f.deleteBody();
  if (!first)
    for (llvm::GlobalVariable& g : llvm::make_early_inc_range((*module)->globals())) {
      if (g.hasAppendingLinkage()) {
        g.eraseFromParent();
      } else if (!g.hasLocalLinkage() && !g.isDeclaration()) {
        g.setInitializer(nullptr);
        g.setLinkage(llvm::GlobalValue::ExternalLinkage);
      }
    }
  auto tm = host_target_machine();  // a TargetMachine serves one thread
  return optimise_and_emit(**module, *tm, Emit::kObject, opt_level, [](const char*) {});
}

}  // namespace

std::string emit_code(mlir::ModuleOp llvm_dialect, Emit what, int opt_level,
                      mlir::TimingScope* timing, int threads) {
  // A step's time is recorded from here until the next step starts (or the function returns).
  mlir::TimingScope step;
  std::function<void(const char*)> start = [&](const char* name) {
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
  size_t size = 0;
  for (const llvm::Function& f : *module) size += instructions(f);
  const size_t workers = std::clamp<size_t>(size / kInstructionsPerThread, 1,
                                            static_cast<size_t>(std::max(threads, 1)));
  start("split large functions");
  // IR and assembly are printed cut as the objects are, though they stay one module.
  split_large_functions(*module, workers > 1 ? kMaxBlocksPerParallelPiece : kMaxBlocksPerFunction);
  // Every function is tagged with the host CPU, so the vectorisers use its full vector width.
  for (auto& f : *module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", tm->getTargetCPU());
    f.addFnAttr("target-features", tm->getTargetFeatureString());
  }
  if (workers == 1 || what != Emit::kObject)
    return optimise_and_emit(*module, *tm, what, opt_level, start);

  start("partition, bitcode");
  auto owned = partition(*module, kPartitionsPerThread * workers);
  llvm::SmallString<0> bitcode;
  {
    llvm::raw_svector_ostream os(bitcode);
    llvm::WriteBitcodeToFile(*module, os);
  }
  module.reset();
  start("LLVM optimisation and machine code, partitions in parallel");
  std::vector<std::string> objects(owned.size());
  std::vector<std::exception_ptr> errors(owned.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    // The instruction count is a rough guess at a partition's time (vectorised loops cost more
    // per instruction than the entry's glue), so threads take the next partition when done,
    // largest first, rather than a fixed share.
    for (size_t p = next++; p < owned.size(); p = next++) {
      try {
        objects[p] = compile_partition(bitcode, owned[p], p == 0, opt_level);
      } catch (...) {
        errors[p] = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    try {
      for (size_t t = 1; t < workers; ++t) helpers.emplace_back(work);
    } catch (const std::system_error&) {  // no thread to be had: fewer threads take the rest
    }
    work();
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  std::erase(objects, std::string());  // partitions left empty
  return pack_objects(objects);
}

}  // namespace tf::compiler
