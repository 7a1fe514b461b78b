// Keras optimizers (5 updates), learning-rate schedules, losses (value and gradient) and metrics
// against Keras 3 (tests/golden/keras/make_keras_golden.py), eager and compiled; tf::Module
// tracking; fit on the digits data set (examples/data).
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>

#include "tests/helpers.h"

namespace {

namespace K = tf::keras;
namespace O = tf::keras::optimizers;
using tf::Tensor;
const std::string kDir = std::string(TFJIT_GOLDEN_DIR) + "/keras/";

Tensor golden(const std::string& path) { return tf::load_npy(kDir + path); }

void check_close(const Tensor& got, const Tensor& want, const std::string& what,
                 double tol = 3e-6) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", Keras " << w[i]);
    CHECK(std::abs(g[i] - w[i]) <= tol * (1 + std::abs(w[i])));
  }
}

using MakeOptimizer = std::function<std::shared_ptr<O::Optimizer>()>;
template <class T, class... A>
MakeOptimizer make(A... args) {
  return [=] { return std::make_shared<T>(args...); };
}

// tests/golden/keras/optimizers/README.txt, written as a C++ user writes it.
const std::map<std::string, MakeOptimizer>& optimizer_cases() {
  static const std::map<std::string, MakeOptimizer> c = {
      {"sgd", make<O::SGD>(0.1)},
      {"sgd_momentum", make<O::SGD>(0.1, 0.9)},
      {"sgd_nesterov", make<O::SGD>(0.1, 0.9, true)},
      {"adam", make<O::Adam>(0.01)},
      {"adam_amsgrad", make<O::Adam>(0.01, O::AdamOptions{.amsgrad = true})},
      {"adamw", make<O::AdamW>(0.01, 0.1)},
      {"rmsprop", make<O::RMSprop>(0.01)},
      {"rmsprop_centered_momentum",
       make<O::RMSprop>(0.01, O::RMSpropOptions{.rho = 0.8, .momentum = 0.5, .centered = true})},
      {"adagrad", make<O::Adagrad>(0.1)},
      {"nadam", make<O::Nadam>(0.01)},
      {"sgd_clipnorm", make<O::SGD>(0.1, 0.0, false, O::OptimizerOptions{.clipnorm = 1.0})},
      {"sgd_clipvalue", make<O::SGD>(0.1, 0.0, false, O::OptimizerOptions{.clipvalue = 0.5})},
      {"adam_global_clipnorm",
       make<O::Adam>(0.01, O::AdamOptions{}, O::OptimizerOptions{.global_clipnorm = 1.0})},
      {"adam_schedule",
       make<O::Adam>(O::LearningRate(O::schedules::ExponentialDecay(0.01, 2, 0.5)))},
  };
  return c;
}

void check_optimizer(const std::string& name, const MakeOptimizer& make_optimizer, bool compiled) {
  INFO(name << (compiled ? " compiled" : " eager"));
  const std::string dir = "optimizers/" + name + "/";
  const bool two = std::filesystem::exists(kDir + dir + "var2.npy");
  std::vector<tf::Variable> vars{tf::Variable(golden(dir + "var.npy"), "var")};
  std::vector<std::string> suffixes{""};
  if (two) {
    vars.emplace_back(golden(dir + "var2.npy"), "var2");
    suffixes.push_back("2");
  }
  auto opt = make_optimizer();
  for (int64_t t = 0; t < 5; ++t) {
    std::vector<Tensor> grads;
    for (const auto& s : suffixes) grads.push_back(golden(dir + "grads" + s + ".npy")(t));
    if (compiled) {
      // Two gradient tensors as separate arguments: a tf::function takes tensors, not lists.
      auto f = tf::function([&](const Tensor& g0, const Tensor& g1) {
        std::vector<Tensor> g{g0};
        if (two) g.push_back(g1);
        opt->apply_gradients(g, vars);
        return tf::constant(0);
      });
      f(grads[0], two ? grads[1] : tf::zeros({}));
    } else {
      opt->apply_gradients(grads, vars);
    }
    for (size_t i = 0; i < vars.size(); ++i)
      check_close(vars[i].read_value(), golden(dir + "expected" + suffixes[i] + ".npy")(t),
                  "step " + std::to_string(t + 1) + " of " + vars[i].name());
  }
  CHECK(opt->iterations().read_value().item<int64_t>() == 5);
}

}  // namespace

TEST_CASE("every Keras optimizer's five updates match Keras 3, eagerly") {
  for (const auto& [name, make_optimizer] : optimizer_cases())
    check_optimizer(name, make_optimizer, false);
}

TEST_CASE("every Keras optimizer's five updates match Keras 3, eagerly op by op") {
  tf::config::run_functions_eagerly(true);  // the compiled updates run their bodies op by op
  struct Restore {
    ~Restore() { tf::config::run_functions_eagerly(false); }
  } restore;
  for (const auto& [name, make_optimizer] : optimizer_cases())
    check_optimizer(name, make_optimizer, false);
}

TEST_CASE("an eager optimizer compiles each variable's update once per shape, unless told not to") {
  auto run = [](O::OptimizerOptions options) {
    std::vector<tf::Variable> vars{
        tf::Variable(tft::make({1, 2, 3, 4}, {4}, tf::float32), "a"),
        tf::Variable(tft::make({-1, 0, 1, 2}, {4}, tf::float32), "b"),
        tf::Variable(tft::make({5, 6, 7, 8, 9, 10}, {2, 3}, tf::float32), "c")};
    O::Adam opt(0.1, O::AdamOptions{}, options);
    const auto before = tf::config::compile_cache_info();
    for (int step = 0; step < 3; ++step) {
      std::vector<Tensor> grads;
      for (const auto& v : vars) grads.push_back(v.read_value() * 0.5f - 1.0f);
      opt.apply_gradients(grads, vars);
    }
    const auto after = tf::config::compile_cache_info();
    std::vector<std::vector<double>> values;
    for (const auto& v : vars) values.push_back(tft::values_of(v.read_value()));
    return std::tuple{after.hits + after.misses - before.hits - before.misses,
                      after.misses - before.misses, values};
  };
  auto [compiled_lookups, compiled_misses, compiled] = run({});
  auto [eager_lookups, eager_misses, eager] = run({.jit_compile = false});
  CHECK(compiled_lookups == 3);  // each variable's update traced once, at the first step
  CHECK(compiled_misses <= 2);   // and compiled once per shape: (4) and (2, 3)
  CHECK(eager_lookups == 0);
  for (size_t i = 0; i < eager.size(); ++i)
    tft::check_close(compiled[i], eager[i], tf::float32, "variable " + std::to_string(i));
}

TEST_CASE("a copy of an eager optimizer steps on after the original is gone") {
  auto grads = [](const std::vector<tf::Variable>& vars) {
    return std::vector<Tensor>{vars[0].read_value() * 0.5f};
  };
  std::vector<tf::Variable> one{tf::Variable(tft::make({1, -2, 3}, {3}, tf::float32))};
  std::vector<tf::Variable> two{tf::Variable(tft::make({1, -2, 3}, {3}, tf::float32))};
  O::Adam reference(0.1);
  auto first = std::make_unique<O::Adam>(0.1);
  for (int step = 0; step < 2; ++step) {
    reference.apply_gradients(grads(one), one);
    first->apply_gradients(grads(two), two);
  }
  O::Adam copy = *first;  // shares the state: slots, iterations, compiled updates
  first.reset();
  for (int step = 0; step < 2; ++step) {
    reference.apply_gradients(grads(one), one);
    copy.apply_gradients(grads(two), two);
  }
  CHECK(copy.iterations().read_value().item<int64_t>() == 4);
  tft::check_close(tft::values_of(two[0].read_value()), tft::values_of(one[0].read_value()),
                   tf::float32, "four steps");
}

TEST_CASE("every Keras optimizer's five updates match Keras 3 inside a tf::function") {
  for (const auto& [name, make_optimizer] : optimizer_cases())
    check_optimizer(name, make_optimizer, true);
}

TEST_CASE("learning-rate schedules match Keras 3 at steps 0 to 19") {
  namespace S = O::schedules;
  const std::map<std::string, std::shared_ptr<S::LearningRateSchedule>> cases = {
      {"exponential_decay", std::make_shared<S::ExponentialDecay>(0.1, 5, 0.5)},
      {"exponential_decay_staircase", std::make_shared<S::ExponentialDecay>(0.1, 5, 0.5, true)},
      {"piecewise_constant", std::make_shared<S::PiecewiseConstantDecay>(
                                 std::vector<int64_t>{5, 10}, std::vector<double>{1.0, 0.5, 0.1})},
      {"cosine_decay", std::make_shared<S::CosineDecay>(0.1, 10, 0.1)},
      {"cosine_decay_warmup", std::make_shared<S::CosineDecay>(0.0, 10, 0.0, 0.1, 5)},
      {"inverse_time_decay", std::make_shared<S::InverseTimeDecay>(0.1, 5, 0.5)},
      {"polynomial_decay", std::make_shared<S::PolynomialDecay>(0.1, 10, 0.01, 2.0)},
  };
  for (const auto& [name, schedule] : cases) {
    std::vector<Tensor> values;
    for (int64_t step = 0; step < 20; ++step) values.push_back((*schedule)(step));
    check_close(tf::stack(values), golden("schedules/" + name + ".npy"), name);
  }
}

TEST_CASE("Keras losses match Keras 3 in value and gradient") {
  namespace Ls = tf::keras::losses;
  const std::map<std::string, std::shared_ptr<Ls::Loss>> cases = {
      {"sparse_cce_logits", std::make_shared<Ls::SparseCategoricalCrossentropy>(true)},
      {"sparse_cce_probs", std::make_shared<Ls::SparseCategoricalCrossentropy>()},
      {"cce_logits_smoothing", std::make_shared<Ls::CategoricalCrossentropy>(true, 0.1)},
      {"cce_probs", std::make_shared<Ls::CategoricalCrossentropy>()},
      {"bce_logits", std::make_shared<Ls::BinaryCrossentropy>(true)},
      {"bce_probs_smoothing", std::make_shared<Ls::BinaryCrossentropy>(false, 0.2)},
      {"mse", std::make_shared<Ls::MeanSquaredError>()},
      {"mae", std::make_shared<Ls::MeanAbsoluteError>()},
      {"huber", std::make_shared<Ls::Huber>(0.5)},
  };
  for (const auto& [name, loss] : cases) {
    Tensor y_true = golden("losses/" + name + "/y_true.npy");
    Tensor y_pred = golden("losses/" + name + "/y_pred.npy");
    tf::GradientTape tape;
    tape.watch(y_pred);
    Tensor value = (*loss)(y_true, y_pred);
    check_close(value, golden("losses/" + name + "/loss.npy"), name);
    check_close(tape.gradient(value, y_pred), golden("losses/" + name + "/grad.npy"),
                name + " gradient", 1e-5);
  }
}

TEST_CASE("Keras metrics accumulate over two batches as Keras 3 does, and reset") {
  namespace M = tf::keras::metrics;
  const std::map<std::string, std::shared_ptr<M::Metric>> cases = {
      {"accuracy", std::make_shared<M::Accuracy>()},
      {"sparse_categorical_accuracy", std::make_shared<M::SparseCategoricalAccuracy>()},
      {"categorical_accuracy", std::make_shared<M::CategoricalAccuracy>()},
      {"binary_accuracy", std::make_shared<M::BinaryAccuracy>()},
      {"auc", std::make_shared<M::AUC>()},
  };
  for (const auto& [name, metric] : cases) {
    const std::string dir = "metrics/" + name + "/";
    for (int round = 0; round < 2; ++round) {  // the second round after reset_state()
      metric->update_state(golden(dir + "y_true_0.npy"), golden(dir + "y_pred_0.npy"));
      metric->update_state(golden(dir + "y_true_1.npy"), golden(dir + "y_pred_1.npy"));
      check_close(metric->result(), golden(dir + "result.npy"), name, 1e-5);
      metric->reset_state();
    }
  }
  M::Mean mean;
  mean.update_state(golden("metrics/mean/values_0.npy"));
  mean.update_state(golden("metrics/mean/values_1.npy"));
  check_close(mean.result(), golden("metrics/mean/result.npy"), "mean");
}

TEST_CASE("tf::Module tracks variables and sub-modules, and copies are the same module") {
  tf::Module outer("outer"), inner("inner");
  auto w = outer.add_variable("w", tf::ones({2}));
  auto frozen = inner.add_variable("frozen", tf::zeros({3}), /*trainable=*/false);
  auto b = inner.add_variable("b", tf::zeros({1}));
  outer.add_module(inner);
  tf::Module copy = outer;
  copy.add_variable("late", tf::zeros({}));  // seen through `outer` too
  auto names = [](const std::vector<tf::Variable>& vs) {
    std::vector<std::string> out;
    for (const auto& v : vs) out.push_back(v.name());
    return out;
  };
  CHECK(names(outer.variables()) ==
        std::vector<std::string>{"outer/w", "outer/late", "inner/frozen", "inner/b"});
  CHECK(names(outer.trainable_variables()) ==
        std::vector<std::string>{"outer/w", "outer/late", "inner/b"});
  CHECK(names(outer.non_trainable_variables()) == std::vector<std::string>{"inner/frozen"});
  REQUIRE(outer.submodules().size() == 1);
  CHECK(outer.submodules()[0].name() == "inner");
  CHECK_THROWS_AS(outer.add_module(copy), tf::InvalidArgumentError);
}

TEST_CASE("Keras layers are named uniquely, build lazily, and track the layers they call") {
  tf::keras::backend::clear_session();
  namespace L = tf::keras::layers;
  L::Dense a(3), b(2);
  CHECK(a.name() == "dense");
  CHECK(b.name() == "dense_1");
  CHECK_FALSE(a.built());
  CHECK_THROWS_AS(a.weight("kernel"), tf::InvalidArgumentError);
  K::Sequential model({a, L::Dropout(0.5), b});
  Tensor y = model(tf::ones({4, 5}));
  CHECK(y.shape() == tf::TensorShape({4, 2}));
  CHECK(a.built());  // the copy inside the model is the same layer
  CHECK(a.weight("kernel").shape() == tf::TensorShape({5, 3}));
  CHECK(model.variables().size() == 4);
  CHECK(model.variables()[0].name() == "dense/kernel");
  a.set_trainable(false);
  CHECK(model.trainable_variables().size() == 2);
  CHECK_THROWS_AS(model(tf::ones({4, 6})), tf::InvalidArgumentError);  // built for 5 features
  std::ostringstream summary;
  model.summary(summary);
  CHECK(summary.str().find("dense_1 (dense)") != std::string::npos);
  CHECK(summary.str().find("Total params: 26") != std::string::npos);
}

TEST_CASE("Keras optimizers reject mismatched gradients and warn about missing ones") {
  tf::Variable v(tf::ones({2}), "v"), u(tf::ones({3}), "u");
  O::SGD sgd(0.5);
  CHECK_THROWS_AS(sgd.apply_gradients({tf::ones({3})}, {v}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(sgd.apply_gradients({tf::ones({2})}, {v, u}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(sgd.apply_gradients({Tensor()}, {v}), tf::InvalidArgumentError);
  sgd.apply_gradients({tf::ones({2}), Tensor()}, {v, u});  // u is skipped (a warning)
  CHECK(tft::values_of(v.read_value()) == std::vector<double>{0.5, 0.5});
  CHECK(tft::values_of(u.read_value()) == std::vector<double>{1, 1, 1});
  CHECK_THROWS_AS(O::Adam(-1.0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(O::SGD(0.1, 0, false, O::OptimizerOptions{.clipnorm = 1, .clipvalue = 1}),
                  tf::InvalidArgumentError);
}
