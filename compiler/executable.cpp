// From the LLVM dialect to machine code: translation to LLVM IR, -O3 for the host CPU, and the
// ORC JIT (MLIR's ExecutionEngine). Also prints the LLVM IR and assembly stages.
#include "compiler/library_calls.h"
#include "compiler/mlir_support.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    throw InternalError("cannot detect the host CPU: " + llvm::toString(builder.takeError()));
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = builder->createTargetMachine();
  if (!tm) throw InternalError("cannot create a target machine: " + llvm::toString(tm.takeError()));
  return std::move(*tm);
}

// Tags every function with the host CPU (so the vectorisers use its full vector width), then
// runs LLVM's -O<level> pipeline.
std::function<llvm::Error(llvm::Module*)> optimizer(llvm::TargetMachine* tm, int level) {
  auto optimize = mlir::makeOptimizingTransformer(static_cast<unsigned>(level), 0, tm);
  return [tm, optimize](llvm::Module* m) {
    for (auto& f : *m) {
      if (f.isDeclaration()) continue;
      f.addFnAttr("target-cpu", tm->getTargetCPU());
      f.addFnAttr("target-features", tm->getTargetFeatureString());
    }
    return optimize(m);
  };
}

mlir::OwningOpRef<mlir::ModuleOp> lowered_copy(const Graph::Impl& graph, Stage stage,
                                               const CompileOptions& options) {
  mlir::OwningOpRef<mlir::ModuleOp> copy = mlir::cast<mlir::ModuleOp>(graph.module.get()->clone());
  lower_to(*copy, stage, options);
  return copy;
}

// MLIR's memref descriptor flattened to 8-byte fields: allocated, aligned, offset, sizes, strides.
size_t descriptor_fields(int64_t rank) { return static_cast<size_t>(3 + 2 * rank); }

}  // namespace

struct Executable::Impl {
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*entry)(void**) = nullptr;
  size_t num_memrefs = 0, num_inputs = 0;
  std::vector<int64_t> descriptors;  // one template descriptor per memref, pointers left 0
  std::vector<size_t> offsets;       // where each memref's descriptor starts
};

Executable::Executable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executable::~Executable() = default;

void Executable::run(const void* const* args, void* const* results,
                     const TensorShape* shapes) const {
  const Impl& I = *impl_;
  const size_t n = I.num_memrefs;
  // Descriptors live on the stack for the common case: no allocation on the call path.
  constexpr size_t kStackFields = 256, kStackMemrefs = 32;
  int64_t stack_fields[kStackFields];
  void* stack_ptrs[2 * kStackMemrefs];
  std::vector<int64_t> heap_fields;
  std::vector<void*> heap_ptrs;
  int64_t* fields = stack_fields;
  void** ptrs = stack_ptrs;
  if (I.descriptors.size() > kStackFields || n > kStackMemrefs) {
    heap_fields.resize(I.descriptors.size());
    heap_ptrs.resize(2 * n);
    fields = heap_fields.data();
    ptrs = heap_ptrs.data();
  }
  std::copy(I.descriptors.begin(), I.descriptors.end(), fields);
  void** desc_ptrs = ptrs;
  void** packed = ptrs + n;
  for (size_t i = 0; i < n; ++i) {
    int64_t* d = fields + I.offsets[i];
    const void* data = i < I.num_inputs ? args[i] : results[i - I.num_inputs];
    d[0] = d[1] = reinterpret_cast<int64_t>(data);
    if (shapes) {  // a graph with unknown dims: this call's sizes and row-major strides
      const TensorShape& shape = shapes[i];
      int64_t rank = shape.rank(), stride = 1;
      for (int64_t k = rank - 1; k >= 0; --k) {
        d[3 + k] = shape[k];
        d[3 + rank + k] = stride;
        stride *= shape[k];
      }
    }
    desc_ptrs[i] = d;
    packed[i] = &desc_ptrs[i];
  }
  I.entry(packed);
  if (std::string error = take_library_error(); !error.empty()) throw InternalError(error);
}

std::unique_ptr<Executable> Graph::compile(const CompileOptions& options) const {
  auto lock = lock_compiler();
  auto impl = std::make_unique<Executable::Impl>();
  auto module = lowered_copy(*impl_, Stage::kLLVMDialect, options);

  impl->tm = host_target_machine();
  auto transformer = optimizer(impl->tm.get(), options.llvm_opt_level);
  mlir::ExecutionEngineOptions engine_options;
  engine_options.transformer = transformer;
  engine_options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  engine_options.enableGDBNotificationListener = false;
  engine_options.enablePerfNotificationListener = false;
  auto engine = mlir::ExecutionEngine::create(*module, engine_options);
  if (!engine) throw InternalError("JIT compilation failed: " + llvm::toString(engine.takeError()));
  impl->engine = std::move(*engine);
  impl->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    for (const auto& call : library_calls())
      symbols[interner(call.symbol)] = {llvm::orc::ExecutorAddr::fromPtr(call.address),
                                        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  auto entry = impl->engine->lookupPacked("_mlir_ciface_main");
  if (!entry)
    throw InternalError("compiled module has no entry point: " + llvm::toString(entry.takeError()));
  impl->entry = *entry;

  // Descriptor templates: arguments, then results (out-parameters come last).
  auto add = [&](const TensorType& t) {
    impl->offsets.push_back(impl->descriptors.size());
    int64_t rank = t.shape.rank();
    impl->descriptors.resize(impl->descriptors.size() + descriptor_fields(rank), 0);
    int64_t* d = impl->descriptors.data() + impl->offsets.back();
    int64_t stride = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      d[3 + i] = t.shape[i];
      d[3 + rank + i] = stride;
      stride *= t.shape[i];
    }
  };
  for (const auto& t : impl_->arguments) add(t);
  for (const auto& t : impl_->results) add(t);
  impl->num_memrefs = impl->offsets.size();
  impl->num_inputs = impl_->arguments.size();
  return std::make_unique<Executable>(std::move(impl));
}

std::string Graph::text(Stage stage, const CompileOptions& options) const {
  auto lock = lock_compiler();
  if (stage <= Stage::kLLVMDialect) return print(*lowered_copy(*impl_, stage, options));
  auto module = lowered_copy(*impl_, Stage::kLLVMDialect, options);
  llvm::LLVMContext llvm_context;
  auto llvm_module = mlir::translateModuleToLLVMIR(*module, llvm_context);
  if (!llvm_module) throw InternalError("translation to LLVM IR failed");
  auto tm = host_target_machine();
  llvm_module->setDataLayout(tm->createDataLayout());
  llvm_module->setTargetTriple(tm->getTargetTriple().str());
  if (auto err = optimizer(tm.get(), options.llvm_opt_level)(llvm_module.get()))
    throw InternalError("LLVM optimisation failed: " + llvm::toString(std::move(err)));
  std::string out;
  llvm::raw_string_ostream os(out);
  if (stage == Stage::kLLVMIR) {
    llvm_module->print(os, nullptr);
    return out;
  }
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream asm_stream(buffer);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, asm_stream, nullptr, llvm::CodeGenFileType::AssemblyFile))
    throw InternalError("the host target cannot emit assembly");
  pm.run(*llvm_module);
  return std::string(buffer.str());
}

}  // namespace tf::compiler
