// Process-wide settings, as tf.config.
#pragma once

#include <cstdint>

namespace tf::config {

// Runs every tf::function body eagerly instead of tracing and compiling it (for debugging, as
// tf.config.run_functions_eagerly).
void run_functions_eagerly(bool eagerly);
bool functions_run_eagerly();

// The process-wide cache of compiled code: graphs with identical text and options compile once,
// whichever tf::function traced them (bounded; least recently used entries go first). Setting
// the environment variable TFJIT_DUMP_DIR writes every stage of each newly compiled graph there.
struct CompileCacheInfo {
  int64_t hits = 0, misses = 0, entries = 0;
};
CompileCacheInfo compile_cache_info();
void clear_compile_cache();

}  // namespace tf::config
