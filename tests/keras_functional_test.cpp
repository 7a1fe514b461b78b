// Keras' functional API (residual and multi-input models checked against the same layers called
// by hand), save_weights / load_weights in both formats, and the ModelCheckpoint and TensorBoard
// callbacks.
#include <filesystem>

#include "frontend/src/train/tfrecord.h"
#include "tests/helpers.h"

namespace {

namespace L = tf::keras::layers;
using tf::Tensor;

void check_close(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(w[i]).epsilon(1e-5).margin(1e-6));
}

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tfjit-functional-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("a functional model with a residual connection computes what its layers compute") {
  L::Dense hidden(8, "relu"), head(3);
  L::Add add;
  Tensor inputs = tf::keras::Input({8});
  Tensor outputs = head(add({inputs, hidden(inputs)}));
  tf::keras::Model model(inputs, outputs);
  CHECK(model.trainable_variables().size() == 4);  // hidden's and head's, tracked at once
  Tensor x = tf::random::normal({5, 8});
  check_close(model(x), head(x + hidden(x)));
  // It trains like any model.
  model.compile(tf::keras::optimizers::SGD(0.1), tf::keras::losses::MeanSquaredError());
  auto history = model.fit(x, tf::zeros({5, 3}), {.batch_size = 5, .epochs = 5, .verbose = 0});
  CHECK(history.history["loss"].back() < history.history["loss"].front());
}

TEST_CASE("a functional model takes several inputs, and nests in another") {
  L::Dense left(3), out(1);
  L::Concatenate concat;
  Tensor a = tf::keras::Input({4}), b = tf::keras::Input({2});
  tf::keras::Model model({a, b}, out(concat({left(a), b})));
  Tensor xa = tf::random::normal({6, 4}), xb = tf::random::normal({6, 2});
  Tensor want = out(tf::concat({left(xa), xb}, -1));
  check_close(model({xa, xb}), want);
  Tensor c = tf::keras::Input({4}), d = tf::keras::Input({2});
  tf::keras::Model outer({c, d}, L::Activation("relu")(model({c, d})));
  check_close(outer({xa, xb}), tf::relu(want));
  CHECK_THROWS_AS(model(xa), tf::InvalidArgumentError);  // two inputs expected
}

TEST_CASE("functional models reject graphs not made of layer calls on their inputs") {
  Tensor a = tf::keras::Input({4}), b = tf::keras::Input({4});
  Tensor y = L::Dense(2)(a);
  CHECK_THROWS_AS(tf::keras::Model(b, y), tf::InvalidArgumentError);  // y needs a
  CHECK_THROWS_AS(tf::keras::Model(a, tf::ones({1, 2})), tf::InvalidArgumentError);
  // An op that is not a layer call leaves the graph: wrap it in a Lambda layer.
  CHECK_THROWS_AS(tf::keras::Model(a, L::Dense(2)(a * 2.0f)), tf::InvalidArgumentError);
  tf::keras::Model fine(a, L::Dense(2)(L::Lambda([](const Tensor& t) { return t * 2.0f; })(a)));
  CHECK(fine(tf::ones({3, 4})).shape() == tf::TensorShape({3, 2}));
}

TEST_CASE("save_weights and load_weights round-trip a model, as a checkpoint or safetensors") {
  const std::string dir = temp_dir("weights");
  for (std::string path : {dir + "/w", dir + "/w.safetensors"}) {
    tf::keras::Sequential a({L::Dense(4, "relu"), L::Dense(2)}),
        b({L::Dense(4, "relu"), L::Dense(2)});
    a(tf::ones({1, 3}));
    b(tf::ones({1, 3}));
    a.save_weights(path);
    b.load_weights(path);
    auto va = a.get_weights(), vb = b.get_weights();
    for (size_t i = 0; i < va.size(); ++i) check_close(vb[i], va[i]);
    tf::keras::Sequential other({L::Dense(5), L::Dense(2)});
    other(tf::ones({1, 3}));
    CHECK_THROWS_AS(other.load_weights(path), tf::InvalidArgumentError);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("ModelCheckpoint saves the best epochs' weights and TensorBoard writes epoch scalars") {
  const std::string dir = temp_dir("callbacks");
  tf::random::set_seed(4);
  tf::keras::Sequential model({L::Dense(1)});
  model.compile(tf::keras::optimizers::SGD(0.05), tf::keras::losses::MeanSquaredError());
  Tensor x = tf::random::normal({32, 2}), y = tf::reduce_sum(x, 1, true);
  auto every = std::make_shared<tf::keras::callbacks::ModelCheckpoint>(
      dir + "/every-{epoch:02d}.safetensors");
  auto best = std::make_shared<tf::keras::callbacks::ModelCheckpoint>(
      dir + "/best.safetensors",
      tf::keras::callbacks::ModelCheckpointOptions{.monitor = "loss", .save_best_only = true});
  auto board = std::make_shared<tf::keras::callbacks::TensorBoard>(dir + "/logs");
  model.fit(x, y,
            {.batch_size = 8,
             .epochs = 3,
             .verbose = 0,
             .validation_split = 0.25,
             .callbacks = {every, best, board}});
  for (const char* f :
       {"every-01.safetensors", "every-02.safetensors", "every-03.safetensors", "best.safetensors"})
    CHECK(std::filesystem::exists(dir + "/" + f));
  // The loss falls every epoch here, so the best is the last.
  tf::keras::Sequential last({L::Dense(1)});
  last(tf::ones({1, 2}));
  last.load_weights(dir + "/best.safetensors");
  check_close(last.get_weights()[0], model.get_weights()[0]);
  // One event file per run side, each with epoch_loss at steps 0, 1, 2.
  for (const char* side : {"train", "validation"}) {
    INFO(side);
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/logs/" + side))
      files.push_back(e.path());
    REQUIRE(files.size() == 1);
    auto records = tf::detail::read_tfrecords(files[0].string());
    int64_t losses = 0;
    for (const auto& r : records) losses += r.find("epoch_loss") != std::string::npos;
    CHECK(losses == 3);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("PyTorch state_dicts in safetensors load into the same tfjit layers and back") {
  const std::string dir = std::string(TFJIT_GOLDEN_DIR) + "/pytorch/";
  using Layout = tf::keras::Model::WeightsLayout;
  tf::keras::Sequential mlp(
      {L::Dense(8), L::ReLU(), L::BatchNormalization({.epsilon = 1e-5}), L::Dense(3)});
  tf::keras::Sequential conv(
      {L::Conv2D(4, 3, {}, {.padding = "same"}), L::ReLU(), L::Conv2D(6, 3, {}, {.strides = 2}),
       L::Conv2DTranspose(3, 2, {}, {.strides = 2, .padding = "valid"}),
       L::DepthwiseConv2D(3, {}, {.padding = "same", .depth_multiplier = 2})});
  for (auto [name, model] : {std::pair{"mlp", &mlp}, std::pair{"conv", &conv}}) {
    INFO(name);
    Tensor x = tf::load_npy(dir + name + ".x.npy");
    (*model)(x);  // build
    model->load_weights(dir + name + ".safetensors", Layout::kPyTorch);
    check_close((*model)(x), tf::load_npy(dir + name + ".y.npy"));  // PyTorch's eval output
    // Saved back in PyTorch's layout, the file holds the same tensors under the same names.
    const std::string copy = temp_dir("torch") + ".safetensors";
    model->save_weights(copy, Layout::kPyTorch);
    auto original = tf::load_safetensors(dir + name + ".safetensors");
    auto written = tf::load_safetensors(copy);
    std::map<std::string, Tensor> by_name(written.begin(), written.end());
    REQUIRE(by_name.size() == original.size());
    for (const auto& [key, t] : original) {
      INFO(key);
      REQUIRE(by_name.count(key) == 1);
      check_close(by_name.at(key), t);
    }
    std::filesystem::remove(copy);
  }
  tf::keras::Sequential attention({L::Dense(2)});
  attention(tf::ones({1, 2}));
  CHECK_THROWS_AS(attention.load_weights(dir + "mlp.safetensors", Layout::kPyTorch),
                  tf::InvalidArgumentError);
}
