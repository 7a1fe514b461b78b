// tf::distribute on MPI, run under mpirun with 1, 2 and 4 ranks (tests/CMakeLists.txt): the MPI
// backend's values, and training under MultiWorkerMirroredStrategy against one process training
// on the global batch, which every rank computes itself as the reference.
#include <catch2/catch.hpp>

#include <tfjit/tfjit.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "runtime/collectives.h"
#include "tests/digits_data.h"

namespace coll = tf::rt::collectives;

namespace {

tf::distribute::MultiWorkerMirroredStrategy& strategy() {
  static tf::distribute::MultiWorkerMirroredStrategy s;
  return s;
}

float max_abs_diff(const tf::Tensor& a, const tf::Tensor& b) {
  return tf::reduce_max(tf::abs(a - b)).item<float>();
}

// A digits MLP with plain variables: 64 -> 32 (relu) -> 10.
struct Mlp {
  std::vector<tf::Variable> vars;
  tf::Tensor logits(const tf::Tensor& x) const {
    tf::Tensor h = tf::nn::relu(tf::matmul(x, vars[0].read_value()) + vars[1].read_value());
    return tf::matmul(h, vars[2].read_value()) + vars[3].read_value();
  }
};

// Initial values that differ per `seed` (each rank passes its own: the scope must broadcast).
Mlp make_mlp(int seed) {
  auto init = [seed](std::vector<int64_t> shape) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      v[static_cast<size_t>(i)] = 0.2f * std::sin(static_cast<float>(i * 13 + seed * 7 + 1));
    return tf::constant(v, tf::TensorShape(shape));
  };
  return {{tf::Variable(init({64, 32})), tf::Variable(init({32})), tf::Variable(init({32, 10})),
           tf::Variable(init({10}))}};
}

// The digits with each 8x8 image as 64 features.
tft::Digits flat_digits() {
  tft::Digits d = tft::digits();
  d.x = tf::reshape(d.x, std::vector<int64_t>{-1, 64});
  return d;
}

constexpr int64_t kGlobalBatch = 62;  // shards of 15 and 16 rows on 4 ranks, 31 on 2
constexpr int kSteps = 8;
constexpr float kLearningRate = 0.5f;

// One SGD step on this replica's rows: the loss is the sum over the rows divided by the global
// batch size (tf.nn.compute_average_loss), so the all-reduced SUM of gradients is the gradient of
// the global batch mean.
void sgd_step(Mlp& m, const tf::Tensor& x, const tf::Tensor& y) {
  tf::GradientTape tape;
  tf::Tensor loss = tf::nn::compute_average_loss(
      tf::nn::sparse_softmax_cross_entropy_with_logits(y, m.logits(x)), kGlobalBatch);
  auto grads = tape.gradient(loss, m.vars);
  grads = tf::distribute::get_replica_context().all_reduce(tf::distribute::ReduceOp::SUM, grads);
  for (size_t i = 0; i < grads.size(); ++i) m.vars[i].assign_sub(kLearningRate * grads[i]);
}

std::vector<tf::Tensor> values_of(const Mlp& m) {
  std::vector<tf::Tensor> out;
  for (const auto& v : m.vars) out.push_back(v.read_value());
  return out;
}

// What one process training on each whole global batch ends with.
std::vector<tf::Tensor> reference_training(const tft::Digits& d) {
  Mlp m = make_mlp(0);
  for (int s = 0; s < kSteps; ++s) {
    auto rows = tf::slice(s * kGlobalBatch, (s + 1) * kGlobalBatch);
    sgd_step(m, d.x(rows), d.y(rows));
  }
  return values_of(m);
}

}  // namespace

TEST_CASE("MPI all_reduce matches a float64 reference for every op dtype and size") {
  const int n = strategy().num_replicas_in_sync();
  const int rank = strategy().task_id();
  for (bool deterministic : {false, true}) {
    tf::distribute::CommunicationOptions options;
    options.deterministic = deterministic;
    tf::distribute::MultiWorkerMirroredStrategy s(options);
    REQUIRE(s.num_replicas_in_sync() == n);
    for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{n * 1000 + 3}, int64_t{1} << 20})
      for (tf::DType dtype : {tf::float32, tf::float64, tf::int32, tf::int64, tf::int16, tf::int8,
                              tf::float16, tf::bfloat16, tf::uint8})
        for (auto op : {tf::distribute::ReduceOp::SUM, tf::distribute::ReduceOp::MEAN,
                        tf::distribute::ReduceOp::MAX, tf::distribute::ReduceOp::MIN}) {
          // Rank r holds (i % 5) + r: every result is exact in every dtype.
          std::vector<double> mine(static_cast<size_t>(count)), expect(mine.size());
          for (int64_t i = 0; i < count; ++i) {
            const double base = static_cast<double>(i % 5), sum = n * base + n * (n - 1) / 2.0;
            mine[static_cast<size_t>(i)] = base + rank;
            using tf::distribute::ReduceOp;
            expect[static_cast<size_t>(i)] = op == ReduceOp::SUM     ? sum
                                             : op == ReduceOp::MAX   ? base + n - 1
                                             : op == ReduceOp::MIN   ? base
                                             : tf::is_integer(dtype) ? std::trunc(sum / n)
                                                                     : sum / n;
          }
          tf::Tensor in = tf::cast(tf::constant(mine, tf::TensorShape({count})), dtype);
          tf::Tensor got =
              s.run([&] { return tf::distribute::get_replica_context().all_reduce(op, in); });
          INFO(tf::dtype_name(dtype) << " op " << static_cast<int>(op) << " count " << count);
          REQUIRE(got.dtype() == dtype);
          REQUIRE(tf::cast(got, tf::float64).to_vector<double>() == expect);
        }
  }
}

TEST_CASE("deterministic all-reduce sums in rank order on every rank") {
  // Values whose float32 sum depends on the order: 1e8, then 1 on every other rank, then -1e8.
  tf::distribute::CommunicationOptions options;
  options.deterministic = true;
  tf::distribute::MultiWorkerMirroredStrategy s(options);
  const int n = s.num_replicas_in_sync(), rank = s.task_id();
  auto value = [n](int r) { return r == 0 ? 1e8f : r == n - 1 && n > 2 ? -1e8f : 1.0f; };
  float expect = value(0);
  for (int r = 1; r < n; ++r) expect += value(r);  // rank order, in float32
  tf::Tensor got = s.run([&] {
    return tf::distribute::get_replica_context().all_reduce(tf::distribute::ReduceOp::SUM,
                                                            tf::fill({3}, value(rank)));
  });
  CHECK(got.to_vector<float>() == std::vector<float>(3, expect));
}

TEST_CASE("MPI broadcast all_gather reduce_scatter and reduce give each rank its share") {
  auto& s = strategy();
  const int n = s.num_replicas_in_sync(), rank = s.task_id();
  // Variables created in the scope start with rank 0's value.
  {
    auto scope = s.scope();
    tf::Variable v(tf::fill({3}, static_cast<float>(rank + 1)));
    CHECK(v.read_value().to_vector<float>() == std::vector<float>(3, 1.0f));
  }
  tf::Tensor mine = tf::fill({2, 1}, static_cast<int32_t>(rank));
  tf::Tensor all = s.run([&] { return tf::distribute::get_replica_context().all_gather(mine, 1); });
  REQUIRE(all.shape() == tf::TensorShape({2, n}));
  for (int r = 0; r < n; ++r) CHECK(all(0, r).item<int32_t>() == r);

  // reduce with an axis: the global mean of every replica's rows (rank r: r + 1 rows of r).
  tf::Tensor rows = tf::fill({rank + 1, 2}, static_cast<float>(rank));
  double total = 0, count = 0;
  for (int r = 0; r < n; ++r) total += r * (r + 1.0), count += r + 1;
  CHECK(s.reduce(tf::distribute::ReduceOp::MEAN, rows, 0).to_vector<float>() ==
        std::vector<float>(2, static_cast<float>(total / count)));

  auto c = coll::create("mpi", coll::options_from_environment());
  std::vector<float> in(static_cast<size_t>(3 * n)), out(3);
  for (int q = 0; q < n; ++q)
    for (int k = 0; k < 3; ++k)
      in[static_cast<size_t>(3 * q + k)] = static_cast<float>(q + k + rank);
  c->reduce_scatter(in.data(), out.data(), 3, tf::float32, coll::ReduceOp::kSum);
  for (int k = 0; k < 3; ++k)
    CHECK(out[static_cast<size_t>(k)] == static_cast<float>(n * (rank + k) + n * (n - 1) / 2));
  c->barrier();
}

TEST_CASE("training under MultiWorkerMirroredStrategy equals one process on the global batch") {
  const tft::Digits d = flat_digits();
  const auto reference = reference_training(d);
  auto& s = strategy();
  for (bool compiled : {false, true}) {
    Mlp m;
    {
      auto scope = s.scope();
      m = make_mlp(s.task_id());
    }
    auto step = [&](const tf::Tensor& x, const tf::Tensor& y) {
      sgd_step(m, x, y);
      return x;  // tf::function needs a result
    };
    auto compiled_step = tf::function(step);
    for (int k = 0; k < kSteps; ++k) {
      // This replica's share of global batch k.
      const int64_t begin =
          k * kGlobalBatch + kGlobalBatch * s.task_id() / s.num_replicas_in_sync();
      const int64_t end =
          k * kGlobalBatch + kGlobalBatch * (s.task_id() + 1) / s.num_replicas_in_sync();
      tf::Tensor x = d.x(tf::slice(begin, end)), y = d.y(tf::slice(begin, end));
      if (compiled)
        s.run(compiled_step, x, y);
      else
        s.run(step, x, y);
    }
    INFO((compiled ? "compiled" : "eager"));
    auto got = values_of(m);
    for (size_t i = 0; i < got.size(); ++i) CHECK(max_abs_diff(got[i], reference[i]) < 2e-5f);
    if (compiled) {
      // The four gradients travel packed in one all-reduce of the compiled step.
      tf::Tensor x = d.x(tf::slice(0, 15)), y = d.y(tf::slice(0, 15));
      const std::string graph = s.run([&] { return compiled_step.graph("traced", x, y); });
      size_t count = 0;
      for (size_t at = graph.find("tfjit.all_reduce"); at != std::string::npos;
           at = graph.find("tfjit.all_reduce", at + 1))
        ++count;
      CHECK(count == (s.num_replicas_in_sync() > 1 ? 1u : 0u));
    }
  }
}

TEST_CASE("deterministic all-reduce gives bit-identical training on every rank and every run") {
  const tft::Digits d = flat_digits();
  tf::distribute::CommunicationOptions options;
  options.deterministic = true;
  tf::distribute::MultiWorkerMirroredStrategy s(options);
  auto train = [&] {
    Mlp m;
    {
      auto scope = s.scope();
      m = make_mlp(s.task_id());
    }
    auto step = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
      sgd_step(m, x, y);
      return x;
    });
    for (int k = 0; k < kSteps; ++k) {
      auto [begin, end] =
          std::pair{k * kGlobalBatch + kGlobalBatch * s.task_id() / s.num_replicas_in_sync(),
                    k * kGlobalBatch + kGlobalBatch * (s.task_id() + 1) / s.num_replicas_in_sync()};
      s.run(step, d.x(tf::slice(begin, end)), d.y(tf::slice(begin, end)));
    }
    return values_of(m);
  };
  auto first = train(), second = train();
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].to_vector<float>() == second[i].to_vector<float>());
    // Bit-identical across ranks: the largest and smallest value over the ranks agree exactly.
    CHECK(max_abs_diff(s.reduce(tf::distribute::ReduceOp::MAX, first[i]),
                       s.reduce(tf::distribute::ReduceOp::MIN, first[i])) == 0.0f);
  }
}

TEST_CASE("Keras fit under MultiWorkerMirroredStrategy equals fit in one process") {
  namespace layers = tf::keras::layers;
  const tft::Digits d = flat_digits();
  auto& s = strategy();
  // 561 rows in batches of 62: uneven shards, and a last batch of 3 rows, which leaves one of 4
  // replicas without rows.
  tf::Tensor x = d.x(tf::slice(0, 561)), y = d.y(tf::slice(0, 561));
  auto build = [&](tf::keras::Sequential& model) {
    model.compile(tf::keras::optimizers::SGD(0.3),
                  tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true),
                  {"accuracy"});
    model(x(tf::slice(0, 1)));  // builds the weights
  };
  tf::keras::Sequential distributed({layers::Dense(32, "relu"), layers::Dense(10)});
  tf::keras::Sequential single({layers::Dense(32, "relu"), layers::Dense(10)});
  {
    auto scope = s.scope();
    build(distributed);
  }
  build(single);
  single.set_weights(distributed.get_weights());  // rank 0's initial weights, on every rank

  auto h_distributed =
      distributed.fit(x, y, {.batch_size = 62, .epochs = 2, .verbose = 0, .shuffle = false});
  auto h_single = single.fit(x, y, {.batch_size = 62, .epochs = 2, .verbose = 0, .shuffle = false});
  auto got = distributed.get_weights(), want = single.get_weights();
  for (size_t i = 0; i < got.size(); ++i) CHECK(max_abs_diff(got[i], want[i]) < 2e-5f);
  // The logged loss and accuracy are the global epoch's, as one process logs them.
  for (const char* k : {"loss", "accuracy"})
    CHECK(h_distributed.history.at(k).back() ==
          Approx(h_single.history.at(k).back()).epsilon(1e-4));

  // Shuffled: every replica follows the chief's order, so the weights stay identical everywhere.
  auto history = distributed.fit(x, y, {.batch_size = 64, .epochs = 2, .verbose = 0});
  for (const auto& w : distributed.get_weights())
    CHECK(max_abs_diff(s.reduce(tf::distribute::ReduceOp::MAX, w),
                       s.reduce(tf::distribute::ReduceOp::MIN, w)) == 0.0f);
  CHECK(history.history.at("loss").back() < history.history.at("loss").front());
}

TEST_CASE("fit on a distributed dataset takes its shards as they are") {
  namespace layers = tf::keras::layers;
  const tft::Digits d = flat_digits();
  auto& s = strategy();
  auto ds = tf::data::Dataset::from_tensor_slices({d.x(tf::slice(0, 248)), d.y(tf::slice(0, 248))})
                .batch(62);
  auto distributed_ds = s.experimental_distribute_dataset(ds);
  CHECK(distributed_ds.per_replica() == (s.num_replicas_in_sync() > 1));
  std::vector<tf::keras::Sequential> models;
  for (int i = 0; i < 2; ++i) {
    auto scope = s.scope();
    models.push_back(tf::keras::Sequential({layers::Dense(8, "relu"), layers::Dense(10)}));
    models.back().compile(tf::keras::optimizers::SGD(0.3),
                          tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true));
    models.back()(d.x(tf::slice(0, 1)));
  }
  models[1].set_weights(models[0].get_weights());
  models[0].fit(ds, {.epochs = 1, .verbose = 0});              // global batches, sharded by fit
  models[1].fit(distributed_ds, {.epochs = 1, .verbose = 0});  // already sharded
  auto a = models[0].get_weights(), b = models[1].get_weights();
  for (size_t i = 0; i < a.size(); ++i) CHECK(max_abs_diff(a[i], b[i]) < 1e-6f);
}

TEST_CASE("under a strategy the chief writes checkpoints and every rank restores them") {
  auto& s = strategy();
  const std::string dir = "distribute-checkpoint-np" + std::to_string(s.num_replicas_in_sync());
  // Each rank holds its own value (outside a scope): the file must hold the chief's.
  tf::Variable v(tf::fill({4}, 1.5f + static_cast<float>(s.task_id())));
  tf::train::Checkpoint ckpt({{"v", v}});
  const std::string path = ckpt.write(dir + "/ckpt");
  v.assign(tf::fill({4}, 0.0f));
  ckpt.read(path);
  CHECK(v.read_value().to_vector<float>() == std::vector<float>(4, 1.5f));
}

TEST_CASE("with small packs the first all-reduce starts before the backward pass ends") {
  const tft::Digits d = flat_digits();
  tf::distribute::CommunicationOptions options;
  options.bytes_per_pack = 64;  // every gradient its own pack
  tf::distribute::MultiWorkerMirroredStrategy s(options);
  Mlp m;
  {
    auto scope = s.scope();
    m = make_mlp(0);
  }
  auto step = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    tf::Tensor loss = tf::nn::compute_average_loss(
        tf::nn::sparse_softmax_cross_entropy_with_logits(y, m.logits(x)), kGlobalBatch);
    auto grads = tape.gradient(loss, m.vars);
    std::reverse(grads.begin(), grads.end());  // last layer first: ready first
    grads = tf::distribute::get_replica_context().all_reduce(tf::distribute::ReduceOp::SUM, grads);
    return grads[0];
  });
  tf::Tensor x = d.x(tf::slice(0, 15)), y = d.y(tf::slice(0, 15));
  const std::string graph = s.run([&] { return step.graph("optimized", x, y); });
  const size_t first_collective = graph.find("tfjit.all_reduce");
  const size_t last_matmul = graph.rfind("tfjit.matmul");
  REQUIRE(last_matmul != std::string::npos);
  if (s.num_replicas_in_sync() == 1) {
    CHECK(first_collective == std::string::npos);
  } else {
    // The last layer's gradients are reduced while the first layer's weight gradient (the last
    // matmul) is still to be computed.
    CHECK(first_collective < last_matmul);
  }
}

// Run alone (hidden tag), after the suite ran on 4 ranks: resuming on another number of ranks.
TEST_CASE("a checkpoint written by four ranks restores on this number of ranks", "[.resume]") {
  const std::string path = "distribute-checkpoint-np4/ckpt";
  REQUIRE(std::filesystem::exists(path + ".index"));
  tf::Variable v(tf::fill({4}, 0.0f));
  {
    auto scope = strategy().scope();
    tf::train::Checkpoint({{"v", v}}).read(path);
  }
  CHECK(v.read_value().to_vector<float>() == std::vector<float>(4, 1.5f));
}
