// What the rest of the frontend asks of tf::distribute: variables take replica 0's initial value
// inside a scope; Keras' fit shards batches and all-reduces gradients; checkpoints are written by
// the chief alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/collectives.h"
#include "tfjit/distribute.h"

namespace tf::distribute::detail {

struct StrategyImpl : std::enable_shared_from_this<StrategyImpl> {
  std::string name;
  std::shared_ptr<rt::collectives::Communicator> communicator;
  int64_t group = 0;  // the communicator's id for compiled code (runtime/collectives.h)
  int64_t bytes_per_pack = int64_t{25} << 20;
  std::optional<std::string> device;  // MirroredStrategy's device: where run() computes
  StrategyImpl(std::string name, std::shared_ptr<rt::collectives::Communicator> communicator,
               int64_t bytes_per_pack);
  ~StrategyImpl();
  int replicas() const { return communicator->size(); }
};

// The innermost scope's strategy on this thread (null outside every scope).
std::shared_ptr<StrategyImpl> scope_strategy();
std::shared_ptr<StrategyImpl> default_strategy();
// The live strategy with several workers, if any: checkpoints are then written by its chief.
std::shared_ptr<StrategyImpl> multi_worker();

// Files are written by the chief alone while a multi-worker strategy lives: `write` runs on the
// chief, then every worker waits until it is done (so all can read the file after). A chief that
// fails to write aborts the collectives, so the other workers raise AbortedError, not hang.
void chief_writes(const std::function<void()>& write);

// Inside Strategy::run of a strategy with several replicas: what identifies its communicator
// ("" otherwise), part of a tf::function's cache key, since the trace holds its collectives.
std::string replica_context_key();

// The value a variable created now starts with: replica 0's inside a scope of several replicas.
Tensor mirrored_initial_value(const Tensor& value);
// `value` as replica `root` has it (eager).
Tensor broadcast(StrategyImpl& s, const Tensor& value, int root = 0);
Tensor all_reduce(StrategyImpl& s, ReduceOp op, const Tensor& value);
std::vector<Tensor> all_reduce(StrategyImpl& s, ReduceOp op, const std::vector<Tensor>& values);
// The global-batch mean gradient from each replica's local-batch mean: every gradient weighted by
// the local batch size (a scalar tensor: known only at run time under unknown dims), summed over
// the replicas with the sizes, divided by their total (shards may differ in size). Undefined
// entries (no gradient) stay undefined.
std::vector<Tensor> aggregate_gradients(StrategyImpl& s, const std::vector<Tensor>& grads,
                                        const Tensor& local_batch);
// This replica's rows of rows [begin, end): a contiguous share, sizes differing by at most one.
std::pair<int64_t, int64_t> shard_rows(const StrategyImpl& s, int64_t begin, int64_t end);

}  // namespace tf::distribute::detail
