// Process-wide settings, as tf.config.
#pragma once

#include <cstdint>
#include <string>

#include "tfjit/export.h"

TFJIT_API_BEGIN
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
  int64_t code_bytes = 0;  // machine code held in memory
  // The disk cache: loads, misses, entries written, and corrupt entries found (and recompiled).
  int64_t disk_hits = 0, disk_misses = 0, disk_writes = 0, disk_corrupt = 0;
};
CompileCacheInfo compile_cache_info();
void clear_compile_cache();  // the in-memory cache; the disk cache is kept

// The persistent cache of machine code, shared by processes: a graph compiled once loads from
// disk in later runs. Entries are keyed by the graph, the options, the compiler build and the
// host CPU. Directory: $TFJIT_CACHE_DIR, else $XDG_CACHE_HOME/tfjit, else ~/.cache/tfjit;
// TFJIT_DISK_CACHE=0 switches it off. Bounded (512 MiB by default; least recently used first).
void set_disk_cache_dir(const std::string& dir);
std::string disk_cache_dir();
void enable_disk_cache(bool enabled);
bool disk_cache_enabled();
void set_disk_cache_max_bytes(int64_t bytes);

// Threads, as tf.config.threading. Intra-op: the threads one op (an eager kernel, a compiled
// loop, a oneDNN GEMM) splits its work over; one pool serves all three. 0 (the default) means
// $TF_NUM_INTRAOP_THREADS if set, else OpenMP's choice: OMP_NUM_THREADS, or the CPUs this process
// may run on (taskset and cpusets are honoured). Unlike TensorFlow, it may be changed at any time.
// Inter-op: threads for running independent work side by side. tfjit runs a program's ops (and a
// compiled graph's kernels) in order; the value ($TF_NUM_INTEROP_THREADS gives its default) sets
// how many threads tf::data's map uses with num_parallel_calls = AUTOTUNE.
namespace threading {
void set_intra_op_parallelism_threads(int num_threads);
int get_intra_op_parallelism_threads();  // 0 until set: the default is in effect
void set_inter_op_parallelism_threads(int num_threads);
int get_inter_op_parallelism_threads();
}  // namespace threading

}  // namespace tf::config
TFJIT_API_END
