// Running compiled code: relocatable objects (from codegen.cpp or the disk cache) are linked
// into one process-wide ORC JIT, each in its own JITDylib, and called through `tfjit_entry`.
// Also prints the LLVM IR and assembly stages.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>

#include <unistd.h>

#include "compiler/codegen.h"
#include "compiler/gpu_codegen.h"
#include "compiler/mlir_support.h"
#include "compiler/object_bundle.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "runtime/library_abi.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

// The JIT that links every executable. Its main JITDylib resolves the library calls and the
// process's own symbols (libm); each executable's
// JITDylib links against it. Leaked on
// purpose: executables may be destroyed during static destruction.
llvm::orc::LLJIT& jit() {
  static llvm::orc::LLJIT* instance = [] {
    initialize_native_target();
    auto jit =
        llvm::orc::LLJITBuilder().setPlatformSetUp(llvm::orc::setUpInactivePlatform).create();
    if (!jit) throw InternalError("cannot create the JIT: " + llvm::toString(jit.takeError()));
    llvm::orc::JITDylib& main = (*jit)->getMainJITDylib();
    auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        (*jit)->getDataLayout().getGlobalPrefix());
    if (!process)
      throw InternalError("cannot resolve process symbols: " + llvm::toString(process.takeError()));
    main.addGenerator(std::move(*process));
    llvm::orc::MangleAndInterner mangle((*jit)->getExecutionSession(), (*jit)->getDataLayout());
    llvm::orc::SymbolMap symbols;
    for (const auto& call : rt::abi::library_calls())
      symbols[mangle(call.symbol)] = {llvm::orc::ExecutorAddr::fromPtr(call.address),
                                      llvm::JITSymbolFlags::Exported};
    if (auto err = main.define(llvm::orc::absoluteSymbols(std::move(symbols))))
      throw InternalError("cannot register library calls: " + llvm::toString(std::move(err)));
    return jit->release();
  }();
  return *instance;
}

// With TFJIT_PERF_MAP=1, names the functions of each loaded object in /tmp/perf-<pid>.map, where
// `perf report` looks up code it finds no file for. The functions in a global function's text
// section lie at its address (`address_of`) plus their offset from it. (Entries of unloaded code
// stay in the file.)
void write_perf_map(std::string_view object,
                    const std::function<std::optional<uint64_t>(llvm::StringRef)>& address_of) {
  const char* enabled = std::getenv("TFJIT_PERF_MAP");  // read per load: loads are rare
  if (!enabled || !*enabled || std::string_view(enabled) == "0") return;
  auto file = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(llvm::StringRef(object.data(), object.size()), "tfjit-object"));
  if (!file) return llvm::consumeError(file.takeError());
  const auto* elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(file->get());
  if (!elf) return;
  struct Function {
    std::string name;
    uint64_t offset, size;
    llvm::object::section_iterator section;
    bool global;
  };
  std::vector<Function> functions;
  for (const llvm::object::ELFSymbolRef& symbol : elf->symbols()) {
    auto type = symbol.getType();
    auto name = symbol.getName();
    auto value = symbol.getValue();
    auto section = symbol.getSection();
    if (type && name && value && section && *type == llvm::object::SymbolRef::ST_Function) {
      functions.push_back({name->str(), *value, symbol.getSize(), *section,
                           symbol.getBinding() == llvm::ELF::STB_GLOBAL});
      continue;
    }
    if (!type) llvm::consumeError(type.takeError());
    if (!name) llvm::consumeError(name.takeError());
    if (!value) llvm::consumeError(value.takeError());
    if (!section) llvm::consumeError(section.takeError());
  }
  auto anchor = std::ranges::find(functions, true, &Function::global);
  if (anchor == functions.end()) return;
  auto anchor_address = address_of(anchor->name);
  if (!anchor_address) return;
  static std::mutex mutex;
  std::lock_guard guard(mutex);
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  std::FILE* out = std::fopen(path.c_str(), "a");
  if (!out) return;
  for (const Function& f : functions)
    if (f.section == anchor->section)
      std::fprintf(out, "%llx %llx tfjit:%s\n",
                   static_cast<unsigned long long>(*anchor_address + f.offset - anchor->offset),
                   static_cast<unsigned long long>(f.size), f.name.c_str());
  std::fclose(out);
}

// MLIR's memref descriptor flattened to 8-byte fields: allocated, aligned, offset, sizes, strides.
size_t descriptor_fields(int64_t rank) { return static_cast<size_t>(3 + 2 * rank); }

}  // namespace

struct Executable::Impl {
  llvm::orc::JITDylib* dylib = nullptr;
  size_t code_bytes = 0;
  void (*entry)(void**) = nullptr;
  size_t num_memrefs = 0, num_inputs = 0;
  std::vector<size_t> out_results;   // per out-parameter, its result: aliased ones have none
  std::vector<int64_t> descriptors;  // one template descriptor per memref, pointers left 0
  std::vector<size_t> offsets;       // where each memref's descriptor starts

  ~Impl() {
    if (dylib) llvm::consumeError(jit().getExecutionSession().removeJITDylib(*dylib));
  }
};

Executable::Executable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executable::~Executable() = default;

size_t Executable::code_bytes() const { return impl_->code_bytes; }

std::unique_ptr<Executable> Executable::load(std::string_view object,
                                             std::span<const TensorType> arguments,
                                             std::span<const TensorType> results,
                                             std::span<const Alias> aliases) {
  static std::atomic<uint64_t> next_id{0};
  auto impl = std::make_unique<Impl>();
  llvm::orc::LLJIT& j = jit();
  auto dylib = j.createJITDylib("tfjit_" + std::to_string(next_id++));
  if (!dylib) throw InternalError("JIT: " + llvm::toString(dylib.takeError()));
  impl->dylib = &*dylib;
  impl->dylib->addToLinkOrder(j.getMainJITDylib());
  impl->code_bytes = object.size();
  const std::vector<std::string_view> parts = unpack_objects(object);
  for (std::string_view part : parts) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(part.data(), part.size()),
                                                       "tfjit-object");
    if (auto err = j.addObjectFile(*impl->dylib, std::move(buffer)))
      throw InternalError("JIT: cannot load compiled code: " + llvm::toString(std::move(err)));
  }
  auto entry = j.lookup(*impl->dylib, kEntrySymbol);
  if (!entry)
    throw InternalError("JIT: cannot link compiled code: " + llvm::toString(entry.takeError()));
  impl->entry = entry->toPtr<void (*)(void**)>();
  for (std::string_view part : parts)
    write_perf_map(part, [&](llvm::StringRef name) -> std::optional<uint64_t> {
      auto address = j.lookup(*impl->dylib, name);
      if (!address) return llvm::consumeError(address.takeError()), std::nullopt;
      return address->getValue();
    });

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
  for (const auto& t : arguments) add(t);
  for (size_t j = 0; j < results.size(); ++j) {
    if (std::ranges::any_of(aliases, [&](const Alias& a) { return size_t(a.result) == j; }))
      continue;  // written into its argument
    add(results[j]);
    impl->out_results.push_back(j);
  }
  impl->num_memrefs = impl->offsets.size();
  impl->num_inputs = arguments.size();
  return std::make_unique<Executable>(std::move(impl));
}

namespace {
// Runs compiled code; false when an allocation inside it failed and jumped back here
// (rt::abi::CompiledCall). Its own frame, so no local of the caller lives across setjmp.
bool enter(void (*entry)(void**), void** descriptors, rt::abi::CompiledCall& call) {
  if (setjmp(call.exit) != 0) return false;
  entry(descriptors);
  return true;
}
}  // namespace

void Executable::run(const void* const* args, void* const* results,
                     const TensorShape* shapes) const {
  const Impl& I = *impl_;
  const size_t n = I.num_memrefs;
  // Descriptors live on the stack for the common case: no allocation on the call path.
  constexpr size_t kStackFields = 256, kStackMemrefs = 64;
  int64_t stack_fields[kStackFields];
  void* stack_ptrs[kStackMemrefs];
  std::vector<int64_t> heap_fields;
  std::vector<void*> heap_ptrs;
  int64_t* fields = stack_fields;
  void** descriptors = stack_ptrs;
  if (I.descriptors.size() > kStackFields || n > kStackMemrefs) {
    heap_fields.resize(I.descriptors.size());
    heap_ptrs.resize(n);
    fields = heap_fields.data();
    descriptors = heap_ptrs.data();
  }
  std::copy(I.descriptors.begin(), I.descriptors.end(), fields);
  for (size_t i = 0; i < n; ++i) {
    int64_t* d = fields + I.offsets[i];
    const bool input = i < I.num_inputs;
    const size_t result = input ? 0 : I.out_results[i - I.num_inputs];
    const void* data = input ? args[i] : results[result];
    d[0] = d[1] = reinterpret_cast<int64_t>(data);
    if (shapes) {  // a graph with unknown dims: this call's sizes and row-major strides
      const TensorShape& shape = shapes[input ? i : I.num_inputs + result];
      int64_t rank = shape.rank(), stride = 1;
      for (int64_t k = rank - 1; k >= 0; --k) {
        d[3 + k] = shape[k];
        d[3 + rank + k] = stride;
        stride *= shape[k];
      }
    }
    descriptors[i] = d;
  }
  rt::abi::CompiledCall call;
  {
    struct Restore {
      rt::abi::CompiledCall* outer;
      ~Restore() { rt::abi::set_current_call(outer); }
    } restore{rt::abi::set_current_call(&call)};
    if (!enter(I.entry, descriptors, call)) {  // an allocation failed (recorded): free the rest
      call.live.for_each([&](void* p) {
        try {
          call.release(p);
        } catch (...) {  // the recorded failure is what the caller needs to see
        }
      });
    }
  }
  rt::abi::raise_recorded_failure();
}

namespace {
// A copy of `module` lowered and compiled to an object; with `timing`, each step timed under it.
std::string lower_and_emit(mlir::ModuleOp module, const CompileOptions& options,
                           mlir::TimingScope* timing = nullptr) {
  mlir::OwningOpRef<mlir::ModuleOp> copy = mlir::cast<mlir::ModuleOp>(module->clone());
  {
    mlir::TimingScope passes = timing ? timing->nest("MLIR passes") : mlir::TimingScope();
    lower_to(*copy, Stage::kLLVMDialect, options, timing ? &passes : nullptr);
  }
  return emit_code(*copy, Emit::kObject, options.llvm_opt_level, timing, options.codegen_threads);
}
}  // namespace

std::string Graph::object_code(const CompileOptions& options) const {
  auto lock = lock_compiler();
  return lower_and_emit(*impl_->module, options);
}

std::unique_ptr<Executable> Graph::compile(const CompileOptions& options) const {
  return load(object_code(options), options);
}

std::unique_ptr<Executable> Graph::load(std::string_view object,
                                        const CompileOptions& options) const {
  return Executable::load(
      object, impl_->arguments, impl_->results,
      options.alias_arguments ? std::span<const Alias>(impl_->aliases) : std::span<const Alias>());
}

namespace {
// MLIR's timing tree as text: wall milliseconds, share of the total, name.
class TimingText : public mlir::OutputStrategy {
 public:
  using OutputStrategy::OutputStrategy;
  void printHeader(const mlir::TimeRecord& total) override {
    os << llvm::format("compile time: %.1f ms wall\n", total.wall * 1e3);
  }
  void printFooter() override {}
  void printTime(const mlir::TimeRecord& time, const mlir::TimeRecord& total) override {
    os << llvm::format("%9.1f ms %5.1f%%  ", time.wall * 1e3, 100 * time.wall / total.wall);
  }
  void printListEntry(llvm::StringRef name, const mlir::TimeRecord& time,
                      const mlir::TimeRecord& total, bool) override {
    printTime(time, total);
    os << name << "\n";
  }
  void printTreeEntry(unsigned indent, llvm::StringRef name, const mlir::TimeRecord& time,
                      const mlir::TimeRecord& total) override {
    printTime(time, total);
    os.indent(indent) << name << "\n";
  }
  void printTreeEntryEnd(unsigned, bool) override {}
};
}  // namespace

std::string Graph::compile_timing(const CompileOptions& options) const {
  std::string report;
  llvm::raw_string_ostream os(report);
  {
    mlir::DefaultTimingManager manager;
    manager.setEnabled(true);
    manager.setOutput(std::make_unique<TimingText>(os));
    {
      auto lock = lock_compiler();
      mlir::TimingScope root = manager.getRootScope();
      std::string object = lower_and_emit(*impl_->module, options, &root);
      mlir::TimingScope link = root.nest("JIT link");
      load(object, options);
    }
    manager.print();
    manager.setEnabled(false);  // printed: nothing more at destruction
  }
  return report;
}

std::string Graph::text(Stage stage, const CompileOptions& options) const {
  auto lock = lock_compiler();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::cast<mlir::ModuleOp>(impl_->module->clone());
  if (stage == Stage::kPTX) return gpu_stage_text(*module, impl_->arguments.size(), options);
  lower_to(*module, std::min(stage, Stage::kLLVMDialect), options);
  if (stage <= Stage::kLLVMDialect) return print(*module);
  return emit_code(*module, stage == Stage::kLLVMIR ? Emit::kLLVMIR : Emit::kAssembly,
                   options.llvm_opt_level, nullptr, options.codegen_threads);
}

}  // namespace tf::compiler
