// model.fit / evaluate on a tf::data::Dataset of (x, y) batches: the same losses as on tensors,
// the progress bar's unknown total, steps_per_epoch's iterator running on across epochs (as
// Keras), and the errors.
#include <atomic>
#include <iostream>
#include <sstream>

#include "tests/digits_data.h"
#include "tests/helpers.h"

namespace {

namespace L = tf::keras::layers;
using tft::Digits;
using tft::digits;

// A fresh model with the same initial weights each time.
tf::keras::Sequential fresh_model() {
  tf::keras::backend::clear_session();
  tf::random::set_seed(3);
  tf::keras::Sequential model({L::Flatten(), L::Dense(16, "relu"), L::Dense(10)});
  model.compile(tf::keras::optimizers::Adam(1e-3),
                tf::keras::losses::SparseCategoricalCrossentropy(true), {"accuracy"});
  return model;
}

// Counts the batches of each epoch.
struct BatchCounter : tf::keras::callbacks::Callback {
  std::vector<int64_t> per_epoch;
  void on_epoch_begin(int64_t, const tf::keras::Logs&) override { per_epoch.push_back(0); }
  void on_train_batch_end(int64_t, const tf::keras::Logs&) override { ++per_epoch.back(); }
};

// (x, y) batches of the first `batches` * 32 samples from a generator (unknown cardinality),
// counting the passes begun over it.
tf::data::Dataset counted_batches(const Digits& d, int64_t batches,
                                  std::shared_ptr<std::atomic<int>> passes) {
  return tf::data::Dataset::from_generator([d, batches, passes] {
    ++*passes;
    return [d, batches, b = int64_t{0}]() mutable -> std::optional<tf::data::Element> {
      if (b >= batches) return std::nullopt;
      auto rows = tf::slice(b * 32, b * 32 + 32);
      ++b;
      return tf::data::Element{d.x(rows), d.y(rows)};
    };
  });
}

}  // namespace

TEST_CASE("fit on a dataset gives the losses of fit on tensors unshuffled, batch for batch") {
  Digits d = digits();
  auto model = fresh_model();
  auto on_tensors = model.fit(d.x, d.y,
                              {.batch_size = 32,
                               .epochs = 2,
                               .verbose = 0,
                               .validation_data = std::pair{d.x_test, d.y_test},
                               .shuffle = false});
  auto eval_tensors = model.evaluate(d.x_test, d.y_test, {.batch_size = 50, .verbose = 0});

  auto model2 = fresh_model();
  auto train = tf::data::Dataset::from_tensor_slices({d.x, d.y}).batch(32);
  auto test = tf::data::Dataset::from_tensor_slices({d.x_test, d.y_test});
  auto on_dataset =
      model2.fit(train, {.epochs = 2, .verbose = 0, .validation_dataset = test.batch(32)});
  auto eval_dataset = model2.evaluate(test.batch(50), {.verbose = 0});

  REQUIRE(on_dataset.epoch == std::vector<int64_t>{0, 1});
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"})
    for (size_t e = 0; e < 2; ++e) {
      INFO(key << " epoch " << e);
      REQUIRE(on_dataset.history[key].size() == 2);
      CHECK(std::abs(on_dataset.history[key][e] - on_tensors.history[key][e]) <=
            1e-5 * (1 + std::abs(on_tensors.history[key][e])));
    }
  CHECK(on_dataset.history["loss"][1] < on_dataset.history["loss"][0]);
  for (const char* key : {"loss", "accuracy"})
    CHECK(std::abs(eval_dataset[key] - eval_tensors[key]) <= 1e-5 * (1 + eval_tensors[key]));
  // Validation on tensors works with fit on a dataset too.
  auto mixed = model2.fit(
      train, {.epochs = 1, .verbose = 0, .validation_data = std::pair{d.x_test, d.y_test}});
  CHECK(mixed.history.count("val_loss") == 1);
}

TEST_CASE("fit on a dataset of unknown cardinality counts its steps as Keras: 12/Unknown") {
  Digits d = digits();
  auto model = fresh_model();
  auto passes = std::make_shared<std::atomic<int>>(0);
  auto ds = counted_batches(d, 12, passes);
  REQUIRE(ds.cardinality() == tf::data::UNKNOWN_CARDINALITY);
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  tf::keras::History history;
  try {
    history = model.fit(ds, {.epochs = 3, .verbose = 2});
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  INFO(captured.str());
  CHECK(captured.str().find("Epoch 3/3\n12/Unknown - ") != std::string::npos);
  CHECK(history.history["loss"].size() == 3);
  CHECK(*passes == 3);  // a new pass (a new iterator, a new shuffle) each epoch
  auto logs = model.evaluate(ds, {.verbose = 0, .steps = 2});
  CHECK(logs.count("loss") == 1);
}

TEST_CASE("fit with steps_per_epoch continues one iterator across epochs, as Keras") {
  Digits d = digits();
  auto model = fresh_model();
  SECTION("a generator of 6 batches, 3 per epoch: one pass every 2 epochs") {
    auto passes = std::make_shared<std::atomic<int>>(0);
    auto counter = std::make_shared<BatchCounter>();
    model.fit(counted_batches(d, 6, passes),
              {.epochs = 4, .verbose = 0, .callbacks = {counter}, .steps_per_epoch = 3});
    CHECK(counter->per_epoch == std::vector<int64_t>{3, 3, 3, 3});
    CHECK(*passes == 2);
  }
  SECTION("a repeated dataset: one iterator throughout") {
    auto counter = std::make_shared<BatchCounter>();
    auto ds = tf::data::Dataset::from_tensor_slices({d.x, d.y}).batch(32).repeat();
    auto history =
        model.fit(ds, {.epochs = 3, .verbose = 0, .callbacks = {counter}, .steps_per_epoch = 10});
    CHECK(counter->per_epoch == std::vector<int64_t>{10, 10, 10});
    CHECK(history.history["loss"].size() == 3);
  }
  SECTION("a known cardinality that runs out mid-epoch: the epoch ends early, then starts over") {
    auto counter = std::make_shared<BatchCounter>();
    auto ds = tf::data::Dataset::from_tensor_slices({d.x, d.y}).take(160).batch(32);  // 5
    model.fit(ds, {.epochs = 3, .verbose = 0, .callbacks = {counter}, .steps_per_epoch = 3});
    CHECK(counter->per_epoch == std::vector<int64_t>{3, 2, 3});
  }
}

TEST_CASE("fit and evaluate on a dataset reject bad elements and options") {
  Digits d = digits();
  auto model = fresh_model();
  auto xy = tf::data::Dataset::from_tensor_slices({d.x, d.y}).batch(32);
  auto throws = [](auto&& fn, const std::string& message) {
    INFO(message);
    CHECK_THROWS_WITH(fn(), Catch::Contains(message));
  };
  throws(
      [&] {
        model.fit(tf::data::Dataset::from_tensor_slices({d.x, d.y, d.y}).batch(8), {.verbose = 0});
      },
      "Model.fit: dataset elements must be (x, y) batches, got an element of 3 components");
  throws([&] { model.evaluate(tf::data::Dataset::from_tensor_slices(d.x).batch(8)); },
         "Model.evaluate: dataset elements must be (x, y) batches, got an element of 1");
  throws([&] { model.fit(xy.repeat(), {.verbose = 0}); },
         "the dataset is infinite (repeat()); pass steps_per_epoch");
  throws([&] { model.evaluate(xy.repeat(), {.verbose = 0}); }, "pass steps");
  throws([&] { model.fit(xy, {.verbose = 0, .steps_per_epoch = 0}); },
         "steps_per_epoch must be positive, got 0");
  throws([&] { model.fit(xy, {.verbose = 0, .validation_split = 0.2}); },
         "validation_split does not apply to a dataset");
  throws([&] { model.fit(xy.take(0), {.verbose = 0}); }, "produced no batches in epoch 1");
  throws([&] { model.fit(xy, {.verbose = 0, .validation_dataset = xy.repeat()}); },
         "pass validation_steps");
  throws([&] { model.fit(d.x, d.y, {.verbose = 0, .steps_per_epoch = 3}); },
         "apply to fit on a dataset");
  throws([&] { model.evaluate(d.x, d.y, {.verbose = 0, .steps = 3}); },
         "steps applies to a dataset");
  // x and y of different batch sizes in one element.
  auto ragged = tf::data::Dataset::from_generator([&d] {
    return [&d, done = false]() mutable -> std::optional<tf::data::Element> {
      if (done) return std::nullopt;
      done = true;
      return tf::data::Element{d.x(tf::slice(0, 4)), d.y(tf::slice(0, 3))};
    };
  });
  throws([&] { model.fit(ragged, {.verbose = 0}); }, "x has 4 samples");
}
