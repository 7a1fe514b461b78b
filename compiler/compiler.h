// The compiler's interface to the rest of tfjit. No MLIR or LLVM headers here: the frontend
// and tools include this; MLIR stays inside compiler/ and ir/ sources.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tfjit/dtype.h"
#include "tfjit/shape.h"

namespace tf::rt::gpu {
struct Program;
}

namespace tf::compiler {

using AttrValue = std::variant<int64_t, std::vector<int64_t>, bool, std::string>;
struct NamedAttr {
  std::string name;
  AttrValue value;
};

struct TensorType {
  DType dtype;
  TensorShape shape;
};

// The stages a graph passes through on its way to machine code, in order.
enum class Stage {
  kTraced,
  kOptimized,
  kLinalg,
  kBufferized,
  kLoops,
  kLLVMDialect,
  kLLVMIR,
  kAssembly,
  kPTX,  // the GPU path: the loops as CUDA kernels in PTX (not part of kAllStages)
};
inline constexpr Stage kAllStages[] = {Stage::kTraced,     Stage::kOptimized, Stage::kLinalg,
                                       Stage::kBufferized, Stage::kLoops,     Stage::kLLVMDialect,
                                       Stage::kLLVMIR,     Stage::kAssembly};
std::string_view stage_name(Stage stage);  // "traced", "optimized", "linalg", ...
std::optional<Stage> parse_stage(std::string_view name);

struct CompileOptions {
  // GEMM as a call into oneDNN (true) or as code generated from linalg.matmul (false).
  bool matmul_library_call = true;
  // With the library call: matmul + row bias + activation as one oneDNN call (post-ops) rather
  // than the GEMM then a loop over its output (compiler/lowering/fuse_matmul_epilogue.cpp).
  bool fuse_matmul_epilogue = true;
  // float32 convolutions and sorts as calls of the eager CPU kernels (true) or generated loops.
  bool host_library_calls = true;
  // With those calls: a float32 convolution's bias add, residual add and activation in the same
  // oneDNN call (compiler/lowering/fuse_conv_epilogue.cpp) rather than in generated loops; on the
  // GPU with device_conv_calls, with ReLU, in the same cuDNN call.
  bool fuse_conv_epilogue = true;
  // On the GPU: convolutions (every float dtype) as cuDNN calls in the launch plan rather than
  // generated kernels. Off unless the caller has found cuDNN (frontend/src/function_gpu.cpp).
  bool device_conv_calls = false;
  // On the GPU: scatters as steps of the launch plan that run the GPU's eager scatter kernel
  // (linear in the update rows, combining by atomics) rather than one generated kernel visiting
  // every element for every row. options_for_gpu sets it.
  bool device_scatter_calls = false;
  // Reductions longer than a thread should walk alone become a tree of shorter ones
  // (compiler/lowering/split_reductions.cpp). GPU kernels always do this.
  bool split_reductions = false;
  // Scans (cumsum, ...) as one parallel op in which each output combines its window of the
  // scanned axis (quadratic in the axis' length, but no loop on the host), as GPU kernels need;
  // otherwise a loop over the axis, linear.
  bool parallel_scans = false;
  // Results written into the arguments they alias (Graph::aliases) on the host CPU. The GPU path
  // returns them as other results.
  bool alias_arguments = true;
  int llvm_opt_level = 3;
  // Threads LLVM may optimise and emit a large graph's code on (compiler/codegen.cpp). Not part of
  // the cache key: it changes how the code is cut into functions and objects, not the operations
  // (tests/parallel_codegen_test.cpp finds the same bits; LLVM could in principle vectorise a
  // reassociable reduction differently in a piece).
  int codegen_threads = 1;
  std::string gpu_arch = "sm_90";  // the GPU whose PTX Stage::kPTX prints
};

// The options as the GPU path applies them: no oneDNN epilogue fusion, reductions split (one
// thread per output element: a long reduction needs a tree), scans without a host loop.
inline CompileOptions options_for_gpu(CompileOptions options, std::string arch) {
  options.fuse_matmul_epilogue = false;
  options.host_library_calls = false;  // GPU kernels cannot call the host
  options.split_reductions = true;
  options.parallel_scans = true;
  options.alias_arguments = false;
  options.device_scatter_calls = true;
  options.gpu_arch = std::move(arch);
  return options;
}

// Input-output aliasing: result `result` is written into argument `argument`'s buffer (same
// type), as XLA's donated buffers are. tf::function aliases each variable it reads and assigns,
// so an optimizer updates its variables in place.
struct Alias {
  int argument = 0, result = 0;
  friend bool operator==(const Alias&, const Alias&) = default;
};

// Machine code for one traced graph. run() is thread-safe.
class Executable {
 public:
  struct Impl;
  explicit Executable(std::unique_ptr<Impl> impl);
  ~Executable();
  // Links `object` (host machine code from Graph::object_code, or read back from the disk
  // cache; one object or a bundle of them) into the JIT. Throws InternalError if it cannot be
  // linked, InvalidArgumentError if the bundle is malformed.
  // `aliases`: the results the code writes into arguments (Graph::aliases, when compiled with
  // CompileOptions::alias_arguments).
  static std::unique_ptr<Executable> load(std::string_view object,
                                          std::span<const TensorType> arguments,
                                          std::span<const TensorType> results,
                                          std::span<const Alias> aliases = {});
  size_t code_bytes() const;  // size of the machine code objects
  // One data pointer per argument (in argument order) and per result; results are written. A
  // result that aliases an argument is written into that argument's buffer instead, which the
  // caller must own alone (its pointer in `results` is not used).
  // A graph with unknown dims also needs `shapes`: the concrete shape of every argument, then
  // of every result (see ShapeProgram); static graphs use the shapes they were compiled for.
  void run(const void* const* args, void* const* results,
           const TensorShape* shapes = nullptr) const;

 private:
  std::unique_ptr<Impl> impl_;
};

struct GraphStats {
  std::map<std::string, int64_t> ops;   // traced ops by name ("tfjit.binary add": 2)
  int64_t kernels = 0;                  // loop nests and library calls after fusion
  int64_t gemm_calls = 0;               // GEMMs that call the library (oneDNN / cuBLAS)
  int64_t gemm_loops = 0;               // contractions left to generated loops (slow)
  int64_t flops = 0;                    // arithmetic of the traced ops (matmul: 2mkn)
  int64_t bytes_in = 0, bytes_out = 0;  // at the function boundary
  std::vector<int64_t> buffers;         // intermediate buffers after bufferization, in bytes
  std::vector<int64_t> allocations;     // what each call allocates after liveness planning
};

// The kernels of a graph's GPU program compiled for the host CPU, so that what they compute can
// be checked where there is no GPU: the stand-in CUDA driver of the tests runs them for the
// launches of the program Graph::gpu_program builds with the same options.
class HostKernels {
 public:
  struct Kernel {
    // Called with cuLaunchKernel's `num_params` parameter pointers, then pointers to four
    // int64_t: block index, thread index, block size and grid size (tfjit's launches are
    // one-dimensional). Runs one GPU thread. A kernel's shared memory is a static buffer and its
    // barriers call gpu_kernels_for_host's `barrier`, so the threads of a block must run as
    // coroutines of one OS thread, one block at a time, switched at the barrier.
    void (*run_thread)(void** args);
    size_t num_params;
  };
  struct Impl;
  explicit HostKernels(std::unique_ptr<Impl> impl);
  ~HostKernels();
  // By PTX entry name.
  const std::map<std::string, Kernel>& kernels() const;

 private:
  std::unique_ptr<Impl> impl_;
};

// A traced function: an MLIR module in the tfjit dialect with one function, @main.
class Graph {
 public:
  struct Impl;
  explicit Graph(std::unique_ptr<Impl> impl);
  ~Graph();
  const std::vector<TensorType>& arguments() const;
  const std::vector<TensorType>& results() const;
  // @main's `tfjit.aliasing_output` argument attributes, by argument.
  const std::vector<Alias>& aliases() const;
  // The graph's text at `stage` (lowering a copy; the graph itself is unchanged). Throws
  // InternalError, with MLIR's diagnostics, if lowering fails.
  std::string text(Stage stage = Stage::kTraced, const CompileOptions& options = {}) const;
  // Relocatable objects for the host CPU, one exporting `tfjit_entry` (compiler/codegen.h),
  // packed as compiler/object_bundle.h says.
  std::string object_code(const CompileOptions& options = {}) const;
  std::unique_ptr<Executable> compile(const CompileOptions& options = {}) const;
  // Links `object`, object_code(options)'s output (or the disk cache's copy of it).
  std::unique_ptr<Executable> load(std::string_view object, const CompileOptions& options) const;
  // Compiles for the host CPU as compile() does and reports where the time went: each MLIR pass,
  // then translation, function splitting, LLVM optimisation, machine code and linking, as a tree
  // of wall-clock milliseconds (tfjit-dump --time).
  std::string compile_timing(const CompileOptions& options = {}) const;
  // The graph for a GPU of architecture `arch` ("sm_90"): PTX kernels and the launch plan that
  // runs them (GEMMs through cuBLAS when options.matmul_library_call). UnimplementedError, naming
  // the op, when part of the graph cannot run there (unknown dims: see specialize).
  rt::gpu::Program gpu_program(std::string_view arch, const CompileOptions& options = {}) const;
  // The same program's kernels compiled for the host CPU (compiler/gpu_host_kernels.cpp), each
  // block barrier a call of `barrier` (UnimplementedError if a kernel has one and it is null).
  std::unique_ptr<HostKernels> gpu_kernels_for_host(const CompileOptions& options = {},
                                                    void (*barrier)() = nullptr) const;
  // This graph with every unknown dim replaced by its size at a call whose graph arguments have
  // `shapes` (one per argument; checked as ShapeProgram checks them): a static graph, as XLA
  // compiles one per shape; ops inside control flow's regions too. How graphs with unknown dims
  // run on a GPU (compiler/dynamic_shapes.cpp). UnimplementedError when code inside a region
  // breaks a tracing assumption at these shapes (ShapeProgram::run's region_failure).
  std::unique_ptr<Graph> specialize(std::span<const TensorShape> shapes) const;
  // The traced graph in Graphviz DOT, and statistics (compiler/inspect.cpp).
  std::string dot() const;
  GraphStats stats(const CompileOptions& options = {}) const;
  // Parses a graph from .mlir text (as text(kTraced) prints it). Throws InvalidArgumentError
  // with the parser's diagnostics on malformed input.
  static std::unique_ptr<Graph> parse(std::string_view mlir_text);

 private:
  friend class ShapeProgram;
  std::unique_ptr<Impl> impl_;
};

// The shapes of a graph with unknown dims, re-derived at each call from the arguments' concrete
// shapes with the same rules tracing used (core/shape_rules.h), op by op. This is where the
// assumptions made while tracing are checked (an unknown dim broadcast against n was n; two
// unknown dims combined elementwise were equal), so a call that breaks one raises
// InvalidArgumentError naming the op, before compiled code runs (compiler/dynamic_shapes.cpp).
class ShapeProgram {
 public:
  explicit ShapeProgram(const Graph& graph);
  ~ShapeProgram();
  // `args`: one concrete shape per graph argument. Returns one per result. An assumption that
  // fails inside a tf::cond or tf::while_loop region does not raise (that code may not run at
  // this call: `cond(size(a) == size(b), a + b, a)`); the first such failure goes to
  // `region_failure` when given, and the value takes its first operand's shape.
  std::vector<TensorShape> run(std::span<const TensorShape> args,
                               std::string* region_failure = nullptr) const;
  // The same, but the shape of every value, in Graph::specialize's order: the arguments, then
  // per op its regions' block arguments and ops, then its results.
  std::vector<TensorShape> values(std::span<const TensorShape> args,
                                  std::string* region_failure = nullptr) const;

  struct Step;

 private:
  std::vector<Step> steps_;
  std::vector<TensorShape> arguments_;  // as traced
  std::vector<int> results_;            // value numbers
  size_t num_values_ = 0;
};

// Records a graph op by op, as a tf::function body runs on symbolic tensors. Values are
// numbered in creation order.
class GraphBuilder {
 public:
  GraphBuilder();
  ~GraphBuilder();
  int add_argument(const TensorType& type);
  // A constant embedded in the graph; `data` holds the elements, row-major.
  int add_constant(const TensorType& type, const void* data);
  // A tfjit dialect op by name ("binary", "matmul", ...), with its result type.
  int add_op(std::string_view name, std::span<const int> operands, std::span<const NamedAttr> attrs,
             const TensorType& result);
  // A side-effecting tfjit op with no result (tfjit.print): kept in order, never erased.
  void add_effect(std::string_view name, std::span<const int> operands,
                  std::span<const NamedAttr> attrs);
  // `aliases` index arguments (add_argument's numbers) and `results`.
  std::unique_ptr<Graph> finish(std::span<const int> results, std::span<const Alias> aliases = {});

  // Structured control flow. Ops added between begin_* and end_* land in the construct's
  // regions (they nest); a value defined in a region is visible only inside it.
  // scf.if on `pred`, a scalar bool value: the then-region opens first.
  void begin_if(int pred);
  void begin_else(std::span<const int> then_results);          // yields them; the else-region opens
  std::vector<int> end_if(std::span<const int> else_results);  // the scf.if's results
  // scf.while carrying `inits`: returns the condition region's arguments (the loop variables).
  std::vector<int> begin_while(std::span<const int> inits);
  // Ends the condition region with `cond` (a scalar bool value); returns the body's arguments.
  std::vector<int> begin_while_body(int cond);
  std::vector<int> end_while(std::span<const int> next);  // the scf.while's results
  // Whether `value` may be used at the current insertion point.
  bool visible(int value) const;
  // Region nesting depth: of the insertion point, and where `value` was defined (0 = body).
  int depth() const;
  int depth(int value) const;
  TensorType type(int value) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The process-wide cache of compiled code (compiler/compile_cache.cpp): graphs with identical
// text and options compile once. Bounded (least recently used entries are dropped). Behind it,
// the on-disk cache (compiler/disk_cache.cpp) keeps machine code across processes.
struct CompileCacheStats {
  int64_t hits = 0, misses = 0, entries = 0;
  int64_t code_bytes = 0;  // machine code held by the entries
  int64_t disk_hits = 0, disk_misses = 0, disk_writes = 0, disk_corrupt = 0;
};
std::shared_ptr<Executable> compile_cached(const Graph& graph, const CompileOptions& options);
// The GPU a program is compiled for. The compiler never calls a driver: the caller describes the
// GPU and hands over the driver's assembler (PTX -> the GPU's binary), which the cache applies
// once, before it keeps the program in memory and on disk.
struct GpuTarget {
  std::string arch;  // the NVPTX target, "sm_90"
  int compute_capability_major = 0, compute_capability_minor = 0;
  int driver_version = 0;
  std::function<std::string(const std::string& ptx)> assemble;
};
// The same for a GPU: the program with its kernels assembled for that GPU, keyed also by its
// architecture and the driver's version (in memory and on disk).
std::shared_ptr<const rt::gpu::Program> compile_gpu_cached(const Graph& graph,
                                                           const CompileOptions& options,
                                                           const GpuTarget& target);

// Called with each GPU program compile_gpu_cached compiles (not one it finds in memory; while
// an observer is set, none is read from disk): the graph, the options and the program's PTX
// before assembly. The stand-in driver's tests build
// host versions of its kernels with it (tests/fake_gpu_kernels.h); null removes it.
using GpuProgramObserver =
    std::function<void(const Graph& graph, const CompileOptions& options, const std::string& ptx)>;
void set_gpu_program_observer(GpuProgramObserver observer);

// The on-disk cache of compiled code (compiler/disk_cache.cpp), as tf::config exposes it.
void set_disk_cache_dir(const std::string& dir);
std::string disk_cache_dir();
void enable_disk_cache(bool enabled);
bool disk_cache_enabled();
void set_disk_cache_max_bytes(int64_t bytes);
CompileCacheStats compile_cache_stats();
void clear_compile_cache();

// Serialises tracing and compilation (MLIR contexts and the JIT are shared process-wide).
std::unique_lock<std::recursive_mutex> lock_compiler();

}  // namespace tf::compiler
