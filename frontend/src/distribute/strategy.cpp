// The strategies, their scopes and replica contexts, and the dataset and reduce helpers.
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "frontend/src/distribute/distribute_internal.h"
#include "tfjit/creation.h"
#include "tfjit/device.h"
#include "tfjit/ops.h"

namespace tf::distribute {

namespace detail {

namespace {

namespace coll = rt::collectives;

thread_local std::vector<std::shared_ptr<StrategyImpl>> scopes;
thread_local std::vector<std::shared_ptr<StrategyImpl>> replicas;
thread_local std::vector<std::unique_ptr<DeviceScope>> replica_devices;

std::mutex& workers_mutex() {
  static std::mutex m;
  return m;
}
// Every strategy with several workers created so far (expired ones are skipped and pruned).
std::vector<std::weak_ptr<StrategyImpl>>& multi_workers() {
  static std::vector<std::weak_ptr<StrategyImpl>> w;
  return w;
}

coll::Options collective_options(const std::string& strategy, const CommunicationOptions& o) {
  coll::Options out = coll::options_from_environment();
  if (o.timeout_seconds) {
    if (!(*o.timeout_seconds >= 0.001) || *o.timeout_seconds > 1e7)
      throw InvalidArgumentError(strategy + ": timeout_seconds must be from 0.001 to 1e7, got " +
                                 std::to_string(*o.timeout_seconds));
    out.timeout = std::chrono::milliseconds(std::llround(*o.timeout_seconds * 1000));
  }
  if (o.deterministic) out.deterministic = *o.deterministic;
  if (o.bytes_per_pack <= 0)
    throw InvalidArgumentError(strategy + ": bytes_per_pack must be positive, got " +
                               std::to_string(o.bytes_per_pack));
  return out;
}

std::shared_ptr<coll::Communicator> single(const coll::Options& options) {
  return std::move(coll::create_in_process_group(1, options)[0]);
}

}  // namespace

StrategyImpl::StrategyImpl(std::string name_, std::shared_ptr<rt::collectives::Communicator> c,
                           int64_t bytes_per_pack_)
    : name(std::move(name_)), communicator(std::move(c)), bytes_per_pack(bytes_per_pack_) {
  group = rt::collectives::register_group(communicator);
}

StrategyImpl::~StrategyImpl() { rt::collectives::unregister_group(group); }

std::shared_ptr<StrategyImpl> scope_strategy() { return scopes.empty() ? nullptr : scopes.back(); }

std::shared_ptr<StrategyImpl> default_strategy() {
  static auto impl = std::make_shared<StrategyImpl>(
      "DefaultStrategy", single(rt::collectives::Options{}), CommunicationOptions{}.bytes_per_pack);
  return impl;
}

std::shared_ptr<StrategyImpl> multi_worker() {
  std::lock_guard lock(workers_mutex());
  auto& all = multi_workers();
  std::erase_if(all, [](const auto& w) { return w.expired(); });
  return all.empty() ? nullptr : all.front().lock();
}

void chief_writes(const std::function<void()>& write) {
  auto s = multi_worker();
  if (!s) return write();
  if (s->communicator->rank() == 0) {
    try {
      write();
    } catch (const std::exception& e) {
      s->communicator->abort(std::string("the chief failed to write a file: ") + e.what());
      throw;
    }
  }
  // Writing a large file takes longer than a collective may: the others wait longer for it.
  s->communicator->barrier(std::max<std::chrono::milliseconds>(
      std::chrono::minutes(10), 20 * s->communicator->options().timeout));
}

std::string replica_context_key() {
  // What get_replica_context() answers: Strategy::run's, else the scope's.
  const auto s = replicas.empty() ? scope_strategy() : replicas.back();
  if (!s || s->replicas() == 1) return "";
  return "replica context of " + s->name + " (communicator " + std::to_string(s->group) + ")";
}

std::pair<int64_t, int64_t> shard_rows(const StrategyImpl& s, int64_t begin, int64_t end) {
  const int64_t n = s.replicas(), r = s.communicator->rank(), length = end - begin;
  return {begin + length * r / n, begin + length * (r + 1) / n};
}

}  // namespace detail

using detail::StrategyImpl;

int Strategy::num_replicas_in_sync() const { return impl_->replicas(); }
int Strategy::task_id() const { return impl_->communicator->rank(); }
const std::string& Strategy::name() const { return impl_->name; }

Strategy::Scope::Scope(std::shared_ptr<StrategyImpl> impl) : impl_(std::move(impl)) {
  detail::scopes.push_back(impl_);
}
Strategy::Scope::~Scope() {
  // Scopes are RAII objects: they end in reverse order on their thread.
  if (!detail::scopes.empty()) detail::scopes.pop_back();
}

Strategy::ReplicaScope::ReplicaScope(const std::shared_ptr<StrategyImpl>& impl) {
  // The device scope first: if it throws, nothing was pushed.
  auto device = impl->device ? std::make_unique<DeviceScope>(*impl->device) : nullptr;
  detail::replica_devices.push_back(std::move(device));
  detail::replicas.push_back(impl);
}
Strategy::ReplicaScope::~ReplicaScope() {
  detail::replica_devices.pop_back();
  detail::replicas.pop_back();
}

void Strategy::report_failure(const std::shared_ptr<StrategyImpl>& impl,
                              const char* what) noexcept {
  impl->communicator->abort(what);
}

Tensor Strategy::reduce(ReduceOp op, const Tensor& value, std::optional<int64_t> axis) const {
  if (!value.defined()) throw InvalidArgumentError(impl_->name + ".reduce: undefined value");
  if (!axis) return detail::all_reduce(*impl_, op, value);
  Tensor local = op == ReduceOp::MAX   ? reduce_max(value, {*axis})
                 : op == ReduceOp::MIN ? reduce_min(value, {*axis})
                                       : reduce_sum(value, {*axis});
  if (op != ReduceOp::MEAN) return detail::all_reduce(*impl_, op, local);
  const int64_t a = *axis < 0 ? *axis + value.ndim() : *axis;
  Tensor count = cast(shape(value)[a], value.dtype());  // counted at run time (unknown dims)
  auto sums = detail::all_reduce(*impl_, ReduceOp::SUM, std::vector<Tensor>{local, count});
  return sums[0] / sums[1];
}

data::Dataset Strategy::experimental_distribute_dataset(const data::Dataset& dataset) const {
  auto impl = impl_;
  if (impl->replicas() == 1) return dataset;
  data::Dataset shards = dataset.map([impl](const data::Element& batch) {
    data::Element shard;
    for (const Tensor& t : batch) {
      if (t.ndim() == 0)
        throw InvalidArgumentError(impl->name +
                                   ".experimental_distribute_dataset: elements must be batches "
                                   "(a leading batch dim), got a scalar component");
      auto [begin, end] = detail::shard_rows(*impl, 0, t.shape()[0]);
      shard.push_back(t(slice(begin, end)));
    }
    return shard;
  });
  shards.per_replica_ = true;
  return shards;
}

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(CommunicationOptions options)
    : Strategy(nullptr) {
  const std::string name = "MultiWorkerMirroredStrategy";
  auto copts = detail::collective_options(name, options);
  std::string backend = options.implementation;
  if (backend != "auto" && backend != "mpi" && backend != "nccl")
    throw InvalidArgumentError(
        name + ": implementation must be \"auto\", \"mpi\" or \"nccl\", got \"" + backend + "\"");
  std::shared_ptr<rt::collectives::Communicator> communicator;
  if (backend == "auto" && !rt::collectives::started_by_mpi_launcher())
    communicator = detail::single(copts);  // one worker, as TensorFlow without TF_CONFIG
  else
    communicator = rt::collectives::create(backend == "auto" ? "mpi" : backend, copts);
  impl_ = std::make_shared<StrategyImpl>(name, std::move(communicator), options.bytes_per_pack);
  if (impl_->replicas() > 1) {
    std::lock_guard lock(detail::workers_mutex());
    detail::multi_workers().push_back(impl_);
  }
}

MirroredStrategy::MirroredStrategy(std::vector<std::string> devices, CommunicationOptions options)
    : Strategy(nullptr) {
  const std::string name = "MirroredStrategy";
  if (devices.empty()) {
    const size_t gpus = config::list_physical_devices("GPU").size();
    for (size_t i = 0; i < gpus; ++i) devices.push_back("/GPU:" + std::to_string(i));
    if (devices.empty()) devices.push_back("/CPU:0");
  }
  if (devices.size() > 1)
    throw UnimplementedError(
        name + ": " + std::to_string(devices.size()) +
        " devices in one process; tfjit runs one replica per process: start one process per "
        "device (mpirun -np " +
        std::to_string(devices.size()) + ") with MultiWorkerMirroredStrategy");
  DeviceScope check(devices[0]);  // a malformed name is an InvalidArgumentError now
  impl_ = std::make_shared<StrategyImpl>(
      name, detail::single(detail::collective_options(name, options)), options.bytes_per_pack);
  impl_->device = devices[0];
}

Strategy get_strategy() {
  auto s = detail::scope_strategy();
  return Strategy(s ? s : detail::default_strategy());
}

bool has_strategy() { return detail::scope_strategy() != nullptr; }

bool in_cross_replica_context() { return detail::replicas.empty() && has_strategy(); }

ReplicaContext get_replica_context() {
  if (!detail::replicas.empty()) return ReplicaContext(detail::replicas.back());
  return ReplicaContext(get_strategy().impl());
}

int ReplicaContext::num_replicas_in_sync() const { return impl_->replicas(); }
int ReplicaContext::replica_id_in_sync_group() const { return impl_->communicator->rank(); }

Tensor ReplicaContext::all_reduce(ReduceOp op, const Tensor& value) const {
  return detail::all_reduce(*impl_, op, value);
}

std::vector<Tensor> ReplicaContext::all_reduce(ReduceOp op,
                                               const std::vector<Tensor>& values) const {
  return detail::all_reduce(*impl_, op, values);
}

}  // namespace tf::distribute
