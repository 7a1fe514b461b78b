// tf::distribute: data-parallel training (docs/distribute.md). A strategy owns a communicator of
// replicas (MPI between the processes mpirun started, NCCL for GPU tensors); variables created
// in its scope start identical on every replica (broadcast from replica 0); the values a replica
// computes are combined with all_reduce, eagerly or inside a tf::function, where the collective
// is an op of the compiled graph. Keras' compile/fit under a strategy's scope do all of it.
//
//   tf::distribute::MultiWorkerMirroredStrategy strategy;   // mpirun -np 4 ./train
//   tf::keras::Sequential model;
//   { auto scope = strategy.scope(); model = ...; model.compile(...); }
//   model.fit(x, y, {.batch_size = 128});                    // 128 per step, 32 per replica
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tfjit/data.h"
#include "tfjit/tensor.h"

// Declared before TFJIT_API_BEGIN: the strategies' internals stay hidden in libtfjit.so.
namespace tf::distribute::detail {
struct StrategyImpl;
}

TFJIT_API_BEGIN
namespace tf::distribute {

// tf.distribute.ReduceOp.
enum class ReduceOp { SUM, MEAN, MAX, MIN };

// tf.distribute.experimental.CommunicationOptions, plus the determinism switch.
struct CommunicationOptions {
  // "auto" (MPI when started by mpirun, else one replica), "mpi", "nccl" (GPU tensors).
  std::string implementation = "auto";
  // How long a collective waits for the other replicas before raising UnavailableError (a
  // replica died or hangs). TFJIT_COLLECTIVE_TIMEOUT (seconds) overrides the default.
  std::optional<double> timeout_seconds;
  // Small tensors reduced together are packed into all-reduces of at most this many bytes.
  int64_t bytes_per_pack = int64_t{25} << 20;
  // Reduce in replica order on every replica: bit-identical results on every replica and in
  // every run (TFJIT_DETERMINISTIC_COLLECTIVES=1 sets it), at the price of more traffic.
  std::optional<bool> deterministic;
};

class ReplicaContext;

class Strategy {
 public:
  // Replicas taking part in each step (processes x local devices).
  int num_replicas_in_sync() const;
  // This process's index among the workers (cluster_resolver.task_id); 0 is the chief, which
  // alone writes checkpoints.
  int task_id() const;
  bool is_chief() const { return task_id() == 0; }
  // "MultiWorkerMirroredStrategy", "MirroredStrategy" or "DefaultStrategy".
  const std::string& name() const;

  // While the returned object lives, get_strategy() is this strategy and every variable created
  // (Keras layers' weights, optimizer slots included) starts with replica 0's value.
  class Scope {
   public:
    explicit Scope(std::shared_ptr<detail::StrategyImpl> impl);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    std::shared_ptr<detail::StrategyImpl> impl_;
  };
  Scope scope() const { return Scope(impl_); }

  // fn(args...) as this replica's computation: inside it get_replica_context() is this
  // strategy's, so its all_reduce combines the replicas' values. Traced by tf::function like any
  // other call.
  template <class F, class... Args>
  decltype(auto) run(F&& fn, Args&&... args) const {
    ReplicaScope in_replica(impl_);
    try {
      return std::forward<F>(fn)(std::forward<Args>(args)...);
    } catch (const std::exception& e) {
      // The other replicas would wait for this one at their next collective: tell them now.
      report_failure(impl_, e.what());
      throw;
    }
  }
  // Tells the other replicas that this one failed (they raise AbortedError); idempotent.
  static void report_failure(const std::shared_ptr<detail::StrategyImpl>& impl,
                             const char* what) noexcept;

  // `value` combined over the replicas; with `axis`, also over that axis of each replica's value
  // (MEAN then averages every element of every replica: a global batch mean).
  Tensor reduce(ReduceOp op, const Tensor& value, std::optional<int64_t> axis = std::nullopt) const;

  // The dataset's elements are global batches: each replica gets its rows of each, a disjoint
  // contiguous share (sizes differing by at most one), the same on every run.
  data::Dataset experimental_distribute_dataset(const data::Dataset& dataset) const;

  const std::shared_ptr<detail::StrategyImpl>& impl() const { return impl_; }

 protected:
  explicit Strategy(std::shared_ptr<detail::StrategyImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<detail::StrategyImpl> impl_;

 private:
  class ReplicaScope {
   public:
    explicit ReplicaScope(const std::shared_ptr<detail::StrategyImpl>& impl);
    ~ReplicaScope();
    ReplicaScope(const ReplicaScope&) = delete;
    ReplicaScope& operator=(const ReplicaScope&) = delete;
  };
  friend Strategy get_strategy();
};

// One replica per process, the processes mpirun (or another MPI launcher) started; without a
// launcher, one worker. Collectives on MPI (CPU tensors) or NCCL (GPU tensors).
class MultiWorkerMirroredStrategy : public Strategy {
 public:
  explicit MultiWorkerMirroredStrategy(CommunicationOptions options = {});
};

// The local devices of one process ("/GPU:0", ...; default: every GPU, else the CPU). One
// device per process is supported: with several, start one process per device and use
// MultiWorkerMirroredStrategy.
class MirroredStrategy : public Strategy {
 public:
  explicit MirroredStrategy(std::vector<std::string> devices = {},
                            CommunicationOptions options = {});
};

// The scope's strategy, else the default strategy (one replica, no communication).
Strategy get_strategy();
bool has_strategy();
bool in_cross_replica_context();

class ReplicaContext {
 public:
  int num_replicas_in_sync() const;
  int replica_id_in_sync_group() const;
  // `value` combined over the replicas (differentiable for SUM and MEAN: the gradient is
  // all-reduced the same way).
  Tensor all_reduce(ReduceOp op, const Tensor& value) const;
  // Each tensor combined over the replicas; consecutive tensors of one dtype are packed into
  // all-reduces of at most bytes_per_pack bytes (fewer, larger messages). In a compiled step a
  // pack starts as soon as its tensors are ready and is awaited where first used: list the
  // gradients last layer first and the communication overlaps the rest of the backward pass.
  std::vector<Tensor> all_reduce(ReduceOp op, const std::vector<Tensor>& values) const;
  // Every replica's value concatenated along `axis` (in replica order; eager only).
  Tensor all_gather(const Tensor& value, int64_t axis) const;

 private:
  friend ReplicaContext get_replica_context();
  explicit ReplicaContext(std::shared_ptr<detail::StrategyImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<detail::StrategyImpl> impl_;
};

// The replica context of the innermost Strategy::run, else the scope's (or default) strategy's.
ReplicaContext get_replica_context();

}  // namespace tf::distribute
TFJIT_API_END
