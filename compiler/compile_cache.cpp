// The process-wide cache of compiled code: graphs with identical text and options compile once,
// whichever tf::function traced them. Also writes every stage of each newly compiled graph to
// $TFJIT_DUMP_DIR when that is set.
#include <cstdlib>
#include <fstream>
#include <list>
#include <memory>
#include <unordered_map>

#include "compiler/compiler.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

constexpr size_t kMaxEntries = 512;  // least recently used entries go first

struct Cache {
  std::mutex mutex;
  std::list<std::string> order;  // most recently used first
  struct Entry {
    std::shared_ptr<Executable> executable;
    std::list<std::string>::iterator position;
  };
  std::unordered_map<std::string, Entry> entries;
  CompileCacheStats stats;
};

Cache& cache() {
  // Leaked on purpose, like the MLIR context: executables must not be torn down during static
  // destruction, after the JIT's own globals.
  static Cache& c = *std::make_unique<Cache>().release();
  return c;
}

void dump_stages(const Graph& graph, const CompileOptions& options, const std::string& key) {
  const char* dir = std::getenv("TFJIT_DUMP_DIR");
  if (!dir || !*dir) return;
  char name[32];
  std::snprintf(name, sizeof name, "%016zx", std::hash<std::string>{}(key));
  for (Stage stage : kAllStages) {
    std::ofstream out(std::string(dir) + "/tfjit_" + name + "_" + std::string(stage_name(stage)) +
                      ".txt");
    if (!out) throw InvalidArgumentError("TFJIT_DUMP_DIR: cannot write to " + std::string(dir));
    out << graph.text(stage, options);
  }
}

}  // namespace

std::shared_ptr<Executable> compile_cached(const Graph& graph, const CompileOptions& options) {
  std::string key = graph.text(Stage::kTraced) +
                    "\n// matmul_library_call=" + std::to_string(options.matmul_library_call) +
                    " opt=" + std::to_string(options.llvm_opt_level);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    if (auto it = c.entries.find(key); it != c.entries.end()) {
      c.order.splice(c.order.begin(), c.order, it->second.position);
      ++c.stats.hits;
      return it->second.executable;
    }
  }
  std::shared_ptr<Executable> executable = graph.compile(options);
  dump_stages(graph, options, key);
  std::lock_guard lock(c.mutex);
  ++c.stats.misses;
  if (c.entries.count(key)) return c.entries[key].executable;  // compiled concurrently
  c.order.push_front(key);
  c.entries[key] = {executable, c.order.begin()};
  if (c.entries.size() > kMaxEntries) {
    c.entries.erase(c.order.back());
    c.order.pop_back();
  }
  return executable;
}

CompileCacheStats compile_cache_stats() {
  std::lock_guard lock(cache().mutex);
  CompileCacheStats s = cache().stats;
  s.entries = static_cast<int64_t>(cache().entries.size());
  return s;
}

void clear_compile_cache() {
  std::lock_guard lock(cache().mutex);
  cache().entries.clear();
  cache().order.clear();
}

}  // namespace tf::compiler
