// The process-wide cache of compiled code: graphs with identical text and options compile once,
// whichever tf::function traced them. A miss asks the disk cache before compiling, and stores
// what it compiled there. Also writes every stage of each newly compiled graph to
// $TFJIT_DUMP_DIR when that is set.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "compiler/compiler.h"
#include "compiler/disk_cache.h"
#include "runtime/gpu_program.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

constexpr size_t kMaxEntries = 512;  // least recently used entries go first

struct Cache {
  std::mutex mutex;
  std::list<std::string> order;  // most recently used first
  struct Entry {
    std::shared_ptr<Executable> executable;           // host code, or
    std::shared_ptr<const rt::gpu::Program> program;  // a GPU program
    std::list<std::string>::iterator position;
    int64_t code_bytes() const {
      return static_cast<int64_t>(executable ? executable->code_bytes() : program->image.size());
    }
  };
  std::unordered_map<std::string, Entry> entries;
  CompileCacheStats stats;
  int64_t code_bytes = 0;
};

Cache& cache() {
  // Leaked on purpose, like the MLIR context: executables must not be torn down during static
  // destruction, after the JIT's own globals.
  static Cache& c = *std::make_unique<Cache>().release();
  return c;
}

// Every stage of host code; for a GPU program, the stages it shares with host code (with the GPU's
// options), then its PTX.
void dump_stages(const Graph& graph, const CompileOptions& options, const std::string& key,
                 bool gpu) {
  const char* dir = std::getenv("TFJIT_DUMP_DIR");
  if (!dir || !*dir) return;
  char name[32];
  std::snprintf(name, sizeof name, "%016zx", std::hash<std::string>{}(key));
  std::vector<Stage> stages(std::begin(kAllStages), std::end(kAllStages));
  if (gpu)
    stages = {Stage::kTraced, Stage::kOptimized, Stage::kLinalg, Stage::kBufferized, Stage::kPTX};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // reported below if it could not be made
  for (Stage stage : stages) {
    std::ofstream out(std::string(dir) + "/tfjit_" + name + "_" + std::string(stage_name(stage)) +
                      ".txt");
    if (!out) throw InvalidArgumentError("TFJIT_DUMP_DIR: cannot write to " + std::string(dir));
    out << graph.text(stage, options);
  }
}

std::mutex observer_mutex;
GpuProgramObserver& observer_slot() {
  static auto& slot = *std::make_unique<GpuProgramObserver>().release();
  return slot;
}
GpuProgramObserver gpu_program_observer() {
  std::lock_guard lock(observer_mutex);
  return observer_slot();
}

std::string cache_key(const Graph& graph, const CompileOptions& options) {
  return graph.text(Stage::kTraced) +
         "\n// matmul_library_call=" + std::to_string(options.matmul_library_call) +
         " fuse_matmul_epilogue=" + std::to_string(options.fuse_matmul_epilogue) +
         " host_library_calls=" + std::to_string(options.host_library_calls) +
         " fuse_conv_epilogue=" + std::to_string(options.fuse_conv_epilogue) +
         " device_conv_calls=" + std::to_string(options.device_conv_calls) +
         " device_scatter_calls=" + std::to_string(options.device_scatter_calls) +
         " split_reductions=" + std::to_string(options.split_reductions) +
         " parallel_scans=" + std::to_string(options.parallel_scans) +
         " alias_arguments=" + std::to_string(options.alias_arguments) +
         " opt=" + std::to_string(options.llvm_opt_level);
}

// The cached entry for `key`, or the one `make` builds (from the disk cache or by compiling).
template <class Make>
Cache::Entry lookup(const std::string& key, Make make) {
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    if (auto it = c.entries.find(key); it != c.entries.end()) {
      c.order.splice(c.order.begin(), c.order, it->second.position);
      ++c.stats.hits;
      return it->second;
    }
  }
  Cache::Entry entry = make();
  std::lock_guard lock(c.mutex);
  ++c.stats.misses;
  if (c.entries.count(key)) return c.entries[key];  // compiled concurrently
  c.order.push_front(key);
  entry.position = c.order.begin();
  c.entries[key] = entry;
  c.code_bytes += entry.code_bytes();
  if (c.entries.size() > kMaxEntries) {
    c.code_bytes -= c.entries[c.order.back()].code_bytes();
    c.entries.erase(c.order.back());
    c.order.pop_back();
  }
  return entry;
}

}  // namespace

std::shared_ptr<Executable> compile_cached(const Graph& graph, const CompileOptions& options) {
  const std::string key = cache_key(graph, options);
  return lookup(key,
                [&] {
                  Cache::Entry entry;
                  const std::string digest = disk_cache::digest(key);
                  if (auto object = disk_cache::read(digest)) {
                    entry.executable = graph.load(*object, options);
                  } else {
                    std::string code = graph.object_code(options);
                    entry.executable = graph.load(code, options);
                    disk_cache::write(digest, code);
                  }
                  dump_stages(graph, options, key, /*gpu=*/false);
                  return entry;
                })
      .executable;
}

std::shared_ptr<const rt::gpu::Program> compile_gpu_cached(const Graph& graph,
                                                           const CompileOptions& options,
                                                           const GpuTarget& target) {
  // The driver's binary is only good for this GPU's exact architecture (not the PTX target,
  // which newer GPUs share) and this driver.
  const std::string& arch = target.arch;
  const std::string key = cache_key(graph, options) + " ptx=" + arch + " gpu=sm_" +
                          std::to_string(target.compute_capability_major) +
                          std::to_string(target.compute_capability_minor) +
                          " driver=" + std::to_string(target.driver_version);
  return lookup(key,
                [&] {
                  const std::string digest = disk_cache::digest(key);
                  std::optional<rt::gpu::Program> program;
                  // An observer sees every program compiled here: none is read from disk.
                  GpuProgramObserver observer = gpu_program_observer();
                  if (auto bytes = observer ? std::nullopt : disk_cache::read(digest)) {
                    try {
                      program = rt::gpu::Program::deserialize(*bytes);
                    } catch (const InvalidArgumentError&) {  // checksummed, so only a format change
                    }
                  }
                  if (!program) {
                    program = graph.gpu_program(arch, options);
                    if (observer) observer(graph, options, program->image);
                    if (!program->image.empty()) {
                      program->image = target.assemble(program->image);
                      program->image_is_binary = true;
                    }
                    disk_cache::write(digest, program->serialize());
                  }
                  dump_stages(graph, options_for_gpu(options, arch), key, /*gpu=*/true);
                  Cache::Entry entry;
                  entry.program = std::make_shared<const rt::gpu::Program>(std::move(*program));
                  return entry;
                })
      .program;
}

void set_gpu_program_observer(GpuProgramObserver observer) {
  std::lock_guard lock(observer_mutex);
  observer_slot() = std::move(observer);
}

void set_disk_cache_dir(const std::string& dir) { disk_cache::set_directory(dir); }
std::string disk_cache_dir() { return disk_cache::directory(); }
void enable_disk_cache(bool enabled) { disk_cache::set_enabled(enabled); }
bool disk_cache_enabled() { return disk_cache::enabled(); }
void set_disk_cache_max_bytes(int64_t bytes) { disk_cache::set_max_bytes(bytes); }

CompileCacheStats compile_cache_stats() {
  std::lock_guard lock(cache().mutex);
  CompileCacheStats s = cache().stats;
  s.entries = static_cast<int64_t>(cache().entries.size());
  s.code_bytes = cache().code_bytes;
  auto disk = disk_cache::stats();
  s.disk_hits = disk.hits;
  s.disk_misses = disk.misses;
  s.disk_writes = disk.writes;
  s.disk_corrupt = disk.corrupt;
  return s;
}

void clear_compile_cache() {
  std::lock_guard lock(cache().mutex);
  cache().entries.clear();
  cache().order.clear();
  cache().code_bytes = 0;
}

}  // namespace tf::compiler
