// tf::config::threading: the intra-op thread count is the runtime pool's (runtime/parallel.h);
// the inter-op count is recorded only (ops run in order).
#include <atomic>
#include <cstdlib>
#include <string>

#include "runtime/parallel.h"
#include "tfjit/config.h"
#include "tfjit/errors.h"

namespace tf::config::threading {

namespace {
std::atomic<int> intra{0};
std::atomic<int> inter{-1};  // -1: $TF_NUM_INTEROP_THREADS not read yet

int checked(const char* what, int num_threads) {
  if (num_threads < 0)
    throw InvalidArgumentError(std::string(what) + ": the number of threads must be >= 0 (0: the " +
                               "default), got " + std::to_string(num_threads));
  return num_threads;
}
}  // namespace

void set_intra_op_parallelism_threads(int num_threads) {
  rt::set_parallel_threads(checked("set_intra_op_parallelism_threads", num_threads));
  intra.store(num_threads);
}
int get_intra_op_parallelism_threads() { return intra.load(); }

void set_inter_op_parallelism_threads(int num_threads) {
  inter.store(checked("set_inter_op_parallelism_threads", num_threads));
}
int get_inter_op_parallelism_threads() {
  int n = inter.load();
  if (n < 0) {
    const char* env = std::getenv("TF_NUM_INTEROP_THREADS");
    n = env ? std::max(0, std::atoi(env)) : 0;
    inter.store(n);
  }
  return n;
}

}  // namespace tf::config::threading
