// model.fit end to end on the digits data set (examples/data): the accuracy the issue targets
// with a fixed seed, eager and compiled giving the same losses, callbacks.
#include "tests/digits_data.h"
#include "tests/helpers.h"

namespace {

namespace L = tf::keras::layers;
using tft::Digits;
using tft::digits;

void compile(tf::keras::Model& model, bool eager = false) {
  model.compile(tf::keras::optimizers::Adam(1e-3),
                tf::keras::losses::SparseCategoricalCrossentropy(true), {"accuracy"},
                {.run_eagerly = eager});
}

}  // namespace

TEST_CASE("fit trains the digits MLP to at least 97 % test accuracy") {
  tf::random::set_seed(0);
  Digits d = digits();
  tf::keras::Sequential model({L::Flatten(), L::Dense(128, "relu"), L::Dropout(0.2), L::Dense(10)});
  compile(model);
  auto history = model.fit(d.x, d.y, {.batch_size = 32, .epochs = 40, .verbose = 0});
  REQUIRE(history.history["loss"].size() == 40);
  CHECK(history.history["loss"].back() < history.history["loss"].front() / 5);
  CHECK(model.evaluate(d.x_test, d.y_test, {.verbose = 0})["accuracy"] >= 0.97);
}

TEST_CASE("fit trains the digits CNN to at least 98 % test accuracy") {
  tf::random::set_seed(0);
  Digits d = digits();
  tf::keras::Sequential model({L::Conv2D(32, 3, "relu", {.padding = "same"}), L::MaxPooling2D(2),
                               L::Flatten(), L::Dropout(0.3), L::Dense(64, "relu"), L::Dense(10)});
  compile(model);
  model.fit(d.x, d.y, {.batch_size = 32, .epochs = 40, .verbose = 0});
  CHECK(model.evaluate(d.x_test, d.y_test, {.verbose = 0})["accuracy"] >= 0.98);
  // predict in batches gives what one call gives.
  tf::Tensor all = model(d.x_test);
  tf::Tensor batched = model.predict(d.x_test, {.batch_size = 50});
  auto a = tft::values_of(all), b = tft::values_of(batched);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(std::abs(a[i] - b[i]) <= 1e-4 * (1 + std::abs(a[i])));
}

// No dropout: its masks come from different random streams eagerly and compiled.
TEST_CASE("fit gives the same losses eagerly and compiled, from the same seed") {
  auto train = [](bool eager) {
    tf::keras::backend::clear_session();
    tf::random::set_seed(1);
    Digits d = digits();
    tf::keras::Sequential model({L::Conv2D(4, 3, "relu"), L::Flatten(), L::Dense(10)});
    compile(model, eager);
    return model.fit(d.x, d.y,
                     {.batch_size = 64, .epochs = 2, .verbose = 0, .validation_split = 0.2});
  };
  auto eager = train(true), compiled = train(false);
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"})
    for (size_t e = 0; e < 2; ++e) {
      INFO(key << " epoch " << e);
      CHECK(std::abs(eager.history[key][e] - compiled.history[key][e]) <=
            1e-4 * (1 + std::abs(eager.history[key][e])));
    }
}

TEST_CASE("fit runs callbacks: early stopping, a learning-rate schedule, lambdas") {
  tf::random::set_seed(2);
  Digits d = digits();
  tf::keras::Sequential model({L::Flatten(), L::Dense(10)});
  compile(model);
  std::vector<double> rates;
  auto lambda = std::make_shared<tf::keras::callbacks::LambdaCallback>();
  int batches = 0;
  lambda->on_batch_end_fn = [&](int64_t, const tf::keras::Logs&) { ++batches; };
  lambda->on_epoch_end_fn = [&](int64_t, const tf::keras::Logs&) {
    rates.push_back(lambda->model->optimizer().learning_rate().item<float>());
  };
  auto schedule = std::make_shared<tf::keras::callbacks::LearningRateScheduler>(
      [](int64_t epoch, double lr) { return epoch == 0 ? 0.01 : lr / 2; });
  // An impossible improvement threshold: stops after patience + 1 epochs.
  auto stop = std::make_shared<tf::keras::callbacks::EarlyStopping>(
      tf::keras::callbacks::EarlyStoppingOptions{
          .monitor = "loss", .min_delta = 100, .patience = 2});
  auto history = model.fit(
      d.x, d.y,
      {.batch_size = 100, .epochs = 10, .verbose = 0, .callbacks = {schedule, lambda, stop}});
  CHECK(history.epoch == std::vector<int64_t>{0, 1, 2});
  CHECK(stop->stopped_epoch() == 2);
  CHECK(batches == 3 * 15);
  REQUIRE(rates.size() == 3);
  CHECK(rates[0] == Approx(0.01));
  CHECK(rates[2] == Approx(0.0025));
  CHECK_THROWS_AS(model.fit(d.x, d.y(tf::slice(0, 10))), tf::InvalidArgumentError);
  CHECK_THROWS_AS(model.fit(d.x, d.y, {.batch_size = 0}), tf::InvalidArgumentError);
  tf::keras::Sequential uncompiled({L::Dense(2)});
  CHECK_THROWS_AS(uncompiled.fit(d.x, d.y), tf::FailedPreconditionError);
}

// The compiled step checks the labels (sparse cross-entropy raises on one outside [0, classes))
// and updates the weights and Adam's slots in place: a step that raises must change none of them.
// A model that met the bad batch then trains on as its twin that never did.
TEST_CASE(
    "fit with a label out of range raises and leaves the weights and the optimizer as they were",
    "[errors]") {
  tf::random::set_seed(2);
  tf::Tensor x = tf::random::normal({32, 8});
  tf::Tensor y = tf::cast(tf::random::uniform({32}, 0, 3), tf::int32);
  tf::Tensor bad = tft::make(std::vector<double>(32, 5.0), {32}, tf::int32);
  auto make_model = [] {
    tf::keras::Sequential m({L::Dense(16, "relu"), L::Dense(3)});
    m.build(tf::TensorShape{tf::unknown, 8});
    compile(m);
    return m;
  };
  tf::keras::Sequential met = make_model(), twin = make_model();
  twin.set_weights(met.get_weights());
  const tf::keras::FitOptions opts{.batch_size = 32, .epochs = 1, .verbose = 0, .shuffle = false};
  met.fit(x, y, opts);
  twin.fit(x, y, opts);
  // Values, not tensors: a tensor held here would share the weights' buffers, which the step then
  // leaves alone (it updates copies).
  std::vector<std::vector<double>> before;
  for (const tf::Tensor& w : met.get_weights()) before.push_back(tft::values_of(w));
  CHECK_THROWS_AS(met.fit(x, bad, opts), tf::InvalidArgumentError);
  {
    const std::vector<tf::Tensor> after = met.get_weights();
    REQUIRE(after.size() == before.size());
    for (size_t i = 0; i < after.size(); ++i) CHECK(tft::values_of(after[i]) == before[i]);
  }
  met.fit(x, y, opts);
  twin.fit(x, y, opts);
  const std::vector<tf::Tensor> a = met.get_weights(), b = twin.get_weights();
  double moved = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    auto va = tft::values_of(a[i]), vb = tft::values_of(b[i]);
    const std::vector<double>& v0 = before[i];
    for (size_t k = 0; k < va.size(); ++k) {
      INFO("weight " << i << " element " << k);
      CHECK(std::abs(va[k] - vb[k]) <= 1e-6);  // an Adam step moves a weight by up to 1e-3
      moved = std::max(moved, std::abs(va[k] - v0[k]));
    }
  }
  CHECK(moved > 1e-4);
}
