// tf::distribute in one process: the default and one-replica strategies behave as no strategy,
// and the frontend's collective ops (packing, gradients, the gradient aggregation fit uses) on
// replicas that are threads of this process (the in-process backend). Several processes:
// tests/distribute (under mpirun).
#include <catch2/catch.hpp>

#include <tfjit/tfjit.h>

#include <thread>

#include "frontend/src/distribute/distribute_internal.h"
#include "runtime/collectives.h"

namespace dist = tf::distribute;

namespace {

// body(rank, strategy) on n threads, each replica with its own strategy over one in-process
// group; rethrows the first failure.
void on_replicas(int n, const std::function<void(int, dist::detail::StrategyImpl&)>& body,
                 int64_t bytes_per_pack = int64_t{25} << 20) {
  auto group = tf::rt::collectives::create_in_process_group(n, {});
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        auto impl = std::make_shared<dist::detail::StrategyImpl>(
            "TestStrategy", std::move(group[static_cast<size_t>(r)]), bytes_per_pack);
        body(r, *impl);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

TEST_CASE("the default strategy has one replica and all_reduce is the identity") {
  CHECK_FALSE(dist::has_strategy());
  auto s = dist::get_strategy();
  CHECK(s.name() == "DefaultStrategy");
  CHECK(s.num_replicas_in_sync() == 1);
  CHECK(s.is_chief());
  tf::Tensor x = tf::constant({1.0f, 2.0f});
  auto ctx = dist::get_replica_context();
  CHECK(ctx.all_reduce(dist::ReduceOp::SUM, x).to_vector<float>() == std::vector<float>{1, 2});
  CHECK(s.reduce(dist::ReduceOp::MEAN, x, 0).item<float>() == 1.5f);
}

TEST_CASE("MultiWorkerMirroredStrategy without mpirun is one worker and fit runs as without it") {
  dist::MultiWorkerMirroredStrategy s;
  CHECK(s.num_replicas_in_sync() == 1);
  CHECK(s.task_id() == 0);
  {
    auto scope = s.scope();
    CHECK(dist::has_strategy());
    CHECK(dist::in_cross_replica_context());
    CHECK(dist::get_strategy().name() == "MultiWorkerMirroredStrategy");
    s.run([] { CHECK_FALSE(dist::in_cross_replica_context()); });
  }
  CHECK_FALSE(dist::has_strategy());
  auto ds = tf::data::Dataset::from_tensor_slices(tf::range(10)).batch(4);
  CHECK(s.experimental_distribute_dataset(ds).cardinality() == 3);
}

TEST_CASE("MirroredStrategy runs one replica on its device and refuses several devices") {
  dist::MirroredStrategy s({"/CPU:0"});
  CHECK(s.num_replicas_in_sync() == 1);
  tf::Tensor y = s.run([] { return tf::constant({3.0f}) * 2.0f; });
  CHECK(y.device() == "/job:localhost/replica:0/task:0/device:CPU:0");
  CHECK_THROWS_AS(dist::MirroredStrategy({"/GPU:0", "/GPU:1"}), tf::UnimplementedError);
  CHECK_THROWS_AS(dist::MirroredStrategy({"/TPU:0"}), tf::InvalidArgumentError);
}

TEST_CASE("strategy options are checked") {
  dist::CommunicationOptions bad;
  bad.implementation = "gloo";
  CHECK_THROWS_AS(dist::MultiWorkerMirroredStrategy(bad), tf::InvalidArgumentError);
  dist::CommunicationOptions negative;
  negative.timeout_seconds = -1;
  CHECK_THROWS_AS(dist::MultiWorkerMirroredStrategy(negative), tf::InvalidArgumentError);
  dist::CommunicationOptions mpi;
  mpi.implementation = "mpi";  // this process was not started by mpirun
  CHECK_THROWS_AS(dist::MultiWorkerMirroredStrategy(mpi), tf::UnavailableError);
  CHECK_THROWS_AS(
      dist::get_replica_context().all_reduce(dist::ReduceOp::SUM, tf::constant(std::string("a"))),
      tf::InvalidArgumentError);
}

TEST_CASE("all_reduce of many tensors packs them and gives each its reduction") {
  for (int64_t pack : {int64_t{1} << 20, int64_t{12}}) {  // everything in one pack, or a few
    on_replicas(
        3,
        [](int r, dist::detail::StrategyImpl& s) {
          std::vector<tf::Tensor> values{tf::fill({2, 3}, static_cast<float>(r)), tf::Tensor(),
                                         tf::constant({static_cast<float>(r + 1)}),
                                         tf::fill({4}, static_cast<int32_t>(r))};
          auto out = dist::detail::all_reduce(s, dist::ReduceOp::SUM, values);
          CHECK(out[0].shape() == tf::TensorShape({2, 3}));
          CHECK(out[0].to_vector<float>() == std::vector<float>(6, 3.0f));
          CHECK_FALSE(out[1].defined());
          CHECK(out[2].to_vector<float>() == std::vector<float>{6.0f});
          CHECK(out[3].dtype() == tf::int32);
          CHECK(out[3].to_vector<int32_t>() == std::vector<int32_t>(4, 3));
        },
        pack);
  }
}

TEST_CASE("the gradient of a cross-replica sum is the cross-replica sum of the gradients") {
  on_replicas(2, [](int r, dist::detail::StrategyImpl& s) {
    // Replica r: loss_r = sum((x0 + x1) * w_r) with x = (r + 1) and w_r = r + 2, so
    // d(loss_0 + loss_1)/dx_r = w_0 + w_1 = 5 once the tape's gradient is all-reduced.
    tf::Tensor x = tf::constant({static_cast<float>(r + 1)});
    tf::GradientTape tape;
    tape.watch(x);
    tf::Tensor total = dist::detail::all_reduce(s, dist::ReduceOp::SUM, x);
    CHECK(total.item<float>() == 3.0f);
    tf::Tensor loss = tf::reduce_sum(total * static_cast<float>(r + 2));
    CHECK(tape.gradient(loss, x).item<float>() == 5.0f);
  });
}

TEST_CASE("aggregated gradients are the global batch mean however the batch is split") {
  // Replica r has r + 1 rows whose per-row gradient is r; the global mean is
  // (0 * 1 + 1 * 2 + 2 * 3) / 6. A replica without rows contributes nothing.
  on_replicas(4, [](int r, dist::detail::StrategyImpl& s) {
    const int64_t rows = r == 3 ? 0 : r + 1;
    // A replica without rows has NaN gradients (a mean over nothing).
    std::vector<tf::Tensor> grads{tf::fill({2}, rows == 0 ? NAN : static_cast<float>(r)),
                                  tf::Tensor()};
    auto out =
        dist::detail::aggregate_gradients(s, grads, tf::constant(static_cast<int32_t>(rows)));
    CHECK(out[0].to_vector<float>() == std::vector<float>(2, 8.0f / 6.0f));
    CHECK_FALSE(out[1].defined());
  });
}

TEST_CASE("variables created in a scope take replica 0's value and shards are disjoint") {
  on_replicas(3, [](int r, dist::detail::StrategyImpl& s) {
    auto impl = s.shared_from_this();
    dist::Strategy::Scope scope(impl);
    tf::Variable v(tf::fill({2}, static_cast<float>(r + 7)));
    CHECK(v.read_value().to_vector<float>() == std::vector<float>(2, 7.0f));
    auto [begin, end] = dist::detail::shard_rows(s, 10, 20);  // 10 rows over 3 replicas
    CHECK(end - begin == (r == 2 ? 4 : 3));
    CHECK(begin == 10 + 10 * r / 3);
  });
}

TEST_CASE("compute_average_loss divides by the global batch") {
  tf::Tensor loss = tf::constant({1.0f, 2.0f, 3.0f, 6.0f});
  CHECK(tf::nn::compute_average_loss(loss).item<float>() == 3.0f);  // one replica: 4 rows
  CHECK(tf::nn::compute_average_loss(loss, 8).item<float>() == 1.5f);
  CHECK(
      tf::nn::compute_average_loss(loss, 4, tf::constant({1.0f, 0.0f, 1.0f, 0.5f})).item<float>() ==
      1.75f);
  CHECK_THROWS_AS(tf::nn::compute_average_loss(loss, 0), tf::InvalidArgumentError);
  on_replicas(2, [](int, dist::detail::StrategyImpl& s) {
    auto impl = s.shared_from_this();
    dist::Strategy::Scope scope(impl);  // the replica context's strategy: two replicas
    CHECK(tf::nn::compute_average_loss(tf::constant({2.0f, 4.0f})).item<float>() == 1.5f);
  });
}
