// tf::train::Checkpoint and CheckpointManager: a trained model, its optimizer's slots and a data
// iterator's position restored into fresh objects; rotation; mismatches reported.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/helpers.h"

namespace {

namespace L = tf::keras::layers;
std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tfjit-ckpt-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

struct Trained {
  tf::keras::Sequential model;
  tf::keras::optimizers::Adam opt;
};
Trained make_and_step(bool step) {
  tf::keras::backend::clear_session();
  Trained t{tf::keras::Sequential({L::Dense(4, "relu"), L::Dense(2)}),
            tf::keras::optimizers::Adam(0.1)};
  tf::Tensor x = tf::random::normal({8, 3});
  tf::GradientTape tape;
  tf::Tensor loss = tf::reduce_sum(tf::square(t.model(x)));
  auto vars = t.model.trainable_variables();
  auto grads = tape.gradient(loss, vars);
  if (step)
    t.opt.apply_gradients(grads, vars);
  else
    t.opt.build(vars);
  return t;
}

}  // namespace

TEST_CASE("a checkpoint restores a model, its optimizer's slots and a data iterator") {
  const std::string dir = temp_dir("restore");
  auto ds = tf::data::Dataset::range(50).shuffle(20, 3).batch(4);
  auto it = ds.make_iterator();
  it.get_next();
  it.get_next();
  Trained a = make_and_step(true);
  tf::train::Checkpoint ckpt({{"model", a.model}, {"optimizer", a.opt}, {"data", it}});
  std::string path = ckpt.save(dir + "/ckpt");
  CHECK(path == dir + "/ckpt-1");
  CHECK(tf::train::latest_checkpoint(dir) == path);
  auto next = tf::cast(it.get_next()->at(0), tf::int64).to_vector<int64_t>();

  Trained b = make_and_step(false);  // other initial values, slots built but zero
  auto it_b = ds.make_iterator();
  tf::train::Checkpoint restore({{"model", b.model}, {"optimizer", b.opt}, {"data", it_b}});
  restore.read(path).assert_consumed();
  auto va = a.model.variables(), vb = b.model.variables();
  REQUIRE(va.size() == vb.size());
  for (size_t i = 0; i < va.size(); ++i)
    CHECK(tft::values_of(va[i].read_value()) == tft::values_of(vb[i].read_value()));
  for (size_t i = 0; i < va.size(); ++i)
    for (const char* slot : {"momentum", "velocity"})
      CHECK(tft::values_of(a.opt.get_slot(va[i], slot).read_value()) ==
            tft::values_of(b.opt.get_slot(vb[i], slot).read_value()));
  CHECK(b.opt.iterations().read_value().item<int64_t>() == 1);
  CHECK(restore.save_counter().read_value().item<int64_t>() == 1);
  CHECK(tf::cast(it_b.get_next()->at(0), tf::int64).to_vector<int64_t>() == next);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a checkpoint read into other objects reports what did not match") {
  const std::string dir = temp_dir("mismatch");
  tf::Variable w(tf::ones({2}), "w"), extra(tf::zeros({1}), "extra");
  tf::train::Checkpoint({{"w", w}}).write(dir + "/one");
  auto status = tf::train::Checkpoint({{"w", w}, {"extra", extra}}).read(dir + "/one");
  CHECK(status.missing == std::vector<std::string>{"extra/.ATTRIBUTES/VARIABLE_VALUE"});
  CHECK_THROWS_AS(status.assert_consumed(), tf::FailedPreconditionError);
  tf::Variable wrong(tf::ones({3}), "w");
  CHECK_THROWS_AS(tf::train::Checkpoint({{"w", wrong}}).read(dir + "/one"),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::train::Checkpoint({{"w", w}}).read(dir + "/absent"),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::train::Checkpoint({{"w", w}, {"w", extra}}), tf::InvalidArgumentError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("CheckpointManager keeps the newest max_to_keep checkpoints") {
  const std::string dir = temp_dir("manager");
  tf::Variable step(tf::constant(int64_t{0}), "step");
  tf::train::Checkpoint ckpt({{"step", step}});
  tf::train::CheckpointManager manager(ckpt, dir, /*max_to_keep=*/2);
  for (int i = 0; i < 4; ++i) {
    step.assign_add(int64_t{1});
    manager.save();
  }
  CHECK(manager.checkpoints() == std::vector<std::string>{dir + "/ckpt-3", dir + "/ckpt-4"});
  CHECK(!std::filesystem::exists(dir + "/ckpt-1.index"));
  CHECK(std::filesystem::exists(dir + "/ckpt-4.index"));
  CHECK(tf::train::latest_checkpoint(dir) == dir + "/ckpt-4");
  step.assign(int64_t{0});
  ckpt.read(*manager.latest_checkpoint()).assert_consumed();
  CHECK(step.read_value().item<int64_t>() == 4);
  tf::train::CheckpointManager reopened(ckpt, dir, 2);  // picks the state file up
  CHECK(reopened.latest_checkpoint() == dir + "/ckpt-4");
  std::filesystem::remove_all(dir);
}

namespace {
// The values tests/golden/checkpoint/make_checkpoint_golden.py recorded for a checkpoint key.
tf::Tensor golden_value(const nlohmann::json& manifest, const std::string& key) {
  const auto& entry = manifest.at(key);
  std::vector<int64_t> dims = entry.at("shape").get<std::vector<int64_t>>();
  auto values = entry.at("values").get<std::vector<double>>();
  return tf::constant(values, tf::TensorShape(dims));
}
void check_equal(const tf::Tensor& got, const tf::Tensor& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(w[i]).epsilon(1e-6));
}
}  // namespace

TEST_CASE("a Keras 3 model and Adam checkpointed by TensorFlow restore into the same tfjit model") {
  const std::string dir = std::string(TFJIT_GOLDEN_DIR) + "/checkpoint/";
  std::ifstream file(dir + "keras.json");
  nlohmann::json manifest = nlohmann::json::parse(file);
  tf::keras::Sequential model({L::Dense(4, "relu"), L::Dense(2)});
  model(tf::zeros({1, 3}));
  tf::keras::optimizers::Adam opt(0.01);
  opt.build(model.trainable_variables());
  tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}});
  ckpt.read(dir + "keras/ckpt-1").assert_consumed();
  auto vars = model.trainable_variables();
  REQUIRE(vars.size() == 4);
  // Keras 3 names the model's weights after the optimizer's list, its slots after _variables
  // (iterations, learning rate, then momentum and velocity per variable).
  for (size_t i = 0; i < 4; ++i) {
    std::string index = std::to_string(i);
    check_equal(vars[i].read_value(),
                golden_value(manifest, "optimizer/_trainable_variables/" + index +
                                           "/.ATTRIBUTES/VARIABLE_VALUE"),
                vars[i].name());
    check_equal(opt.get_slot(vars[i], "momentum").read_value(),
                golden_value(manifest, "optimizer/_variables/" + std::to_string(2 + 2 * i) +
                                           "/.ATTRIBUTES/VARIABLE_VALUE"),
                "momentum of " + vars[i].name());
    check_equal(opt.get_slot(vars[i], "velocity").read_value(),
                golden_value(manifest, "optimizer/_variables/" + std::to_string(3 + 2 * i) +
                                           "/.ATTRIBUTES/VARIABLE_VALUE"),
                "velocity of " + vars[i].name());
  }
  CHECK(opt.iterations().read_value().item<int64_t>() == 1);
  CHECK(ckpt.save_counter().read_value().item<int64_t>() == 1);
}

TEST_CASE("TensorFlow restores a tfjit checkpoint into the same Keras model (needs .venv-peers)") {
  const std::string python = std::string(TFJIT_GOLDEN_DIR) + "/../../.venv-peers/bin/python";
  if (!std::filesystem::exists(python)) {
    WARN("not checked: no " << python);
    return;
  }
  const std::string dir = temp_dir("to-tensorflow");
  Trained a = make_and_step(true);
  std::string path =
      tf::train::Checkpoint({{"model", a.model}, {"optimizer", a.opt}}).save(dir + "/ckpt");
  const std::string script = R"PY(
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf, keras
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(2)])
opt = keras.optimizers.Adam(0.1)
opt.build(model.trainable_variables)
tf.train.Checkpoint(model=model, optimizer=opt).restore(sys.argv[1]).assert_consumed()
out = {"weights": [w.numpy().ravel().tolist() for w in model.weights],
       "momentums": [m.numpy().ravel().tolist() for m in opt._momentums],
       "velocities": [v.numpy().ravel().tolist() for v in opt._velocities],
       "iterations": int(opt.iterations.numpy())}
json.dump(out, open(sys.argv[2], "w"))
)PY";
  { std::ofstream(dir + "/check.py") << script; }
  const std::string command =
      python + " " + dir + "/check.py " + path + " " + dir + "/out.json > " + dir + "/log.txt 2>&1";
  int rc = std::system(command.c_str());
  std::ifstream log(dir + "/log.txt");
  INFO(std::string(std::istreambuf_iterator<char>(log), {}));
  REQUIRE(rc == 0);
  nlohmann::json out = nlohmann::json::parse(std::ifstream(dir + "/out.json"));
  auto vars = a.model.trainable_variables();
  for (size_t i = 0; i < vars.size(); ++i) {
    auto want = [](const tf::Tensor& t) { return tft::values_of(t); };
    CHECK(out["weights"][i].get<std::vector<double>>() == want(vars[i].read_value()));
    CHECK(out["momentums"][i].get<std::vector<double>>() ==
          want(a.opt.get_slot(vars[i], "momentum").read_value()));
    CHECK(out["velocities"][i].get<std::vector<double>>() ==
          want(a.opt.get_slot(vars[i], "velocity").read_value()));
  }
  CHECK(out["iterations"] == 1);
  std::filesystem::remove_all(dir);
}
