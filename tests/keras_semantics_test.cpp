// Keras and tf.data semantics that are easy to get wrong (each found in review): identity layers
// in functional graphs, partial checkpoints, label shapes, freezing, callbacks, cardinalities.
#include <filesystem>

#include "tests/helpers.h"

namespace {
namespace L = tf::keras::layers;
using tf::Tensor;
std::vector<double> values(const Tensor& t) { return tft::values_of(t); }
}  // namespace

TEST_CASE("a functional skip connection around an identity layer keeps both branches") {
  Tensor x = tf::keras::Input({4});
  Tensor dropped = L::Dropout(0.5)(x);  // the identity when not training
  L::Dense dense(4);
  tf::keras::Model model(x, L::Add()({x, dense(dropped)}));
  Tensor in = tf::ones({3, 4});
  CHECK(values(model(in)) == values(in + dense(in)));
  // Training: dropout applies to the dense branch only (the skip stays the input).
  tf::random::set_seed(1);
  Tensor trained = model(in, true) - in;
  CHECK(values(trained) != values(dense(in)));  // some of the branch's inputs dropped
}

TEST_CASE("reading a checkpoint that lacks a whole object reports it missing, changing nothing") {
  auto dir = std::filesystem::temp_directory_path() / ("tfjit-sem-" + std::to_string(::getpid()));
  tf::keras::Sequential model({L::Dense(2)});
  model(tf::ones({1, 3}));
  tf::keras::optimizers::Adam opt(0.1);
  opt.build(model.trainable_variables());
  tf::train::Checkpoint({{"model", model}}).write((dir / "model-only").string());
  auto status = tf::train::Checkpoint({{"model", model}, {"optimizer", opt}})
                    .read((dir / "model-only").string());
  CHECK(status.missing.size() == 6);  // iterations, learning rate, 2 x (momentum, velocity)
  CHECK_THROWS_AS(status.assert_consumed(), tf::FailedPreconditionError);
  tf::keras::Sequential other({L::Dense(2)});
  other(tf::ones({1, 3}));
  Tensor before = other.get_weights()[0];
  CHECK_THROWS_AS(tf::train::Checkpoint({{"model", other}, {"optimizer", opt}})
                      .read((dir / "model-only").string(), /*require_match=*/true),
                  tf::InvalidArgumentError);
  CHECK(values(other.get_weights()[0]) == values(before));
  std::filesystem::remove_all(dir);
}

TEST_CASE("losses and accuracy pair labels (N,) with a Dense(1) output (N, 1) as Keras does") {
  Tensor y = tf::constant({1.0f, 0.0f, 1.0f}), p = tf::constant({{0.9f}, {0.2f}, {0.4f}});
  tf::keras::losses::MeanSquaredError mse;
  CHECK(mse(y, p).item<float>() == Approx((0.01 + 0.04 + 0.36) / 3));
  tf::keras::losses::BinaryCrossentropy bce;
  CHECK(bce(y, p).item<float>() == Approx(bce(tf::reshape(y, {3, 1}), p).item<float>()));
  tf::keras::metrics::BinaryAccuracy acc;
  acc.update_state(y, p);
  CHECK(acc.result().item<float>() == Approx(2.0 / 3));
  // compile's "accuracy" is binary for one output, whatever the loss.
  tf::keras::Sequential model({L::Dense(1, "sigmoid")});
  model.compile(tf::keras::optimizers::SGD(0.0), tf::keras::losses::MeanSquaredError(),
                {"accuracy"});
  auto logs =
      model.evaluate(tf::constant({{1.0f}, {-1.0f}}), tf::constant({1.0f, 0.0f}), {.verbose = 0});
  CHECK(logs.count("accuracy") == 1);
  CHECK((logs["accuracy"] == 0.0 || logs["accuracy"] == 0.5 || logs["accuracy"] == 1.0));
}

TEST_CASE(
    "freezing a model freezes its layers, and a frozen BatchNormalization uses its statistics") {
  L::BatchNormalization bn;
  tf::keras::Sequential model(
      {L::Dense(3, {}, {.kernel_regularizer = tf::keras::regularizers::L2()}), bn});
  model(tf::ones({4, 2}));
  CHECK(model.losses().size() == 1);
  model.set_trainable(false);
  CHECK(!bn.trainable());
  CHECK(model.trainable_variables().empty());
  CHECK(model.losses().empty());  // Keras regularises trainable weights only
  Tensor mean = bn.weight("moving_mean");
  model(tf::random::normal({4, 2}), true);
  CHECK(values(bn.weight("moving_mean")) == values(mean));  // not updated
}

TEST_CASE("a layer built by hand then called keeps one set of weights, in any copy") {
  L::Dense dense(2);
  dense.build({5, 3});
  dense(tf::ones({1, 3}));
  CHECK(dense.weights().size() == 2);
  L::LayerNormalization ln;
  tf::keras::Sequential model({ln});
  model(tf::ones({2, 4}));
  CHECK(ln(tf::ones({2, 4})).shape() == tf::TensorShape({2, 4}));  // the original object works
  CHECK_THROWS_AS(
      tf::keras::Sequential({L::Dense(1, {}, {.name = "same"}), L::Dense(1, {}, {.name = "same"})}),
      tf::InvalidArgumentError);
}

TEST_CASE(
    "EarlyStopping restores the best weights when training ends, and predict needs no compile") {
  tf::random::set_seed(5);
  tf::keras::Sequential model({L::Dense(1)});
  Tensor x = tf::random::normal({16, 2});
  CHECK(model.predict(x, {.batch_size = 8}).shape() == tf::TensorShape({16, 1}));
  // A learning rate that diverges: the first epoch's weights are the best.
  model.compile(tf::keras::optimizers::SGD(3.0), tf::keras::losses::MeanSquaredError());
  std::vector<std::vector<double>> after_epoch;
  auto record = std::make_shared<tf::keras::callbacks::LambdaCallback>();
  record->on_epoch_end_fn = [&](int64_t, const tf::keras::Logs&) {
    after_epoch.push_back(values(model.get_weights()[0]));
  };
  auto stop = std::make_shared<tf::keras::callbacks::EarlyStopping>(
      tf::keras::callbacks::EarlyStoppingOptions{
          .monitor = "loss", .patience = 10, .restore_best_weights = true});
  auto history =
      model.fit(x, tf::reduce_sum(x, 1, true),
                {.batch_size = 16, .epochs = 4, .verbose = 0, .callbacks = {record, stop}});
  REQUIRE(history.epoch.size() == 4);  // ran every epoch: no early stop
  auto losses = history.history["loss"];
  size_t best = std::min_element(losses.begin(), losses.end()) - losses.begin();
  CHECK(values(model.get_weights()[0]) == after_epoch[best]);
}

TEST_CASE("Dataset cardinalities stay right at the extremes") {
  using tf::data::Dataset;
  CHECK(Dataset::range(0, INT64_MAX).cardinality() == INT64_MAX);
  CHECK(Dataset::range(INT64_MIN, INT64_MAX, INT64_MAX).cardinality() == 3);
  CHECK(Dataset::range(10).repeat(INT64_MAX).cardinality() == tf::data::UNKNOWN_CARDINALITY);
  CHECK(Dataset::range(10).repeat().skip(3).cardinality() == tf::data::INFINITE_CARDINALITY);
  CHECK_THROWS_AS(Dataset::range(10).repeat().skip(-1), tf::InvalidArgumentError);
  CHECK(Dataset::range(10).skip(-1).cardinality() == 0);
  auto it = Dataset::range(3).make_iterator();
  auto moved = std::move(it);
  CHECK_THROWS_AS(it.get_next(), tf::FailedPreconditionError);  // NOLINT: testing the moved-from
  CHECK(moved.get_next()->at(0).item<int64_t>() == 0);
}

TEST_CASE("label smoothing counts the classes at run time when the class dim is unknown") {
  tf::keras::losses::CategoricalCrossentropy loss(/*from_logits=*/true, 0.1);
  Tensor logits = tf::constant({{1.0f, 2.0f, 3.0f}, {0.5f, -1.0f, 2.0f}});
  Tensor labels = tf::constant({{0.0f, 0.0f, 1.0f}, {1.0f, 0.0f, 0.0f}});
  auto compiled =
      tf::function([&](const Tensor& y, const Tensor& p) { return loss(y, p); },
                   {tf::TensorSpec({tf::None, tf::None}), tf::TensorSpec({tf::None, tf::None})});
  CHECK(compiled(labels, logits).item<float>() == Approx(loss(labels, logits).item<float>()));
}

TEST_CASE("categorical crossentropy of scalars is a typed error (found by tfjit-fuzz)") {
  // A scalar has no class dim: reading it read past the shape (a segfault).
  for (bool from_logits : {true, false})
    for (double smoothing : {0.0, 0.1})
      CHECK_THROWS_AS(tf::keras::losses::CategoricalCrossentropy(from_logits, smoothing)(
                          tf::constant(1.5f), tf::constant(1.5f)),
                      tf::InvalidArgumentError);
}

TEST_CASE("Reshape keeps the batch, also unknown, and infers a -1 in its target") {
  namespace L = tf::keras::layers;
  Tensor x = tf::reshape(tf::range(0.0f, 12.0f), {2, 6});
  CHECK(L::Reshape({3, 2})(x).shape() == tf::TensorShape{2, 3, 2});
  CHECK(L::Reshape({-1, 2})(x).shape() == tf::TensorShape{2, 3, 2});
  CHECK_THROWS_AS(L::Reshape({4, 1, 1})(x), tf::InvalidArgumentError);
  L::Reshape pairs({-1, 2}), wrong({4, 1, 1});
  auto f = tf::function([&](const Tensor& t) { return pairs(t); }, {tf::TensorSpec({tf::None, 6})});
  auto g = tf::function([&](const Tensor& t) { return wrong(t); }, {tf::TensorSpec({tf::None, 4})});
  for (int64_t batch : {2, 1, 0}) {
    Tensor in = tf::reshape(tf::range(0.0f, static_cast<float>(6 * batch)), {batch, 6});
    CHECK(f(in).shape() == tf::TensorShape{batch, 3, 2});
    CHECK(f(in).to_vector<float>() == in.to_vector<float>());
  }
  // The batch is the input's at the call, never inferred: (4, 4) into (4, 4, 1, 1) is fine,
  // (4, 1) would need 16 elements (tfjit-fuzz found it inferring a batch of 1).
  CHECK(g(tf::zeros({4, 4})).shape() == tf::TensorShape{4, 4, 1, 1});
  auto h = tf::function([&](const Tensor& t) { return wrong(t); }, {tf::TensorSpec({tf::None, 1})});
  CHECK_THROWS_AS(h(tf::zeros({4, 1})), tf::InvalidArgumentError);
}
