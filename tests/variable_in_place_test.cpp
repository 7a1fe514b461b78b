// Compiled calls write the variables they read and assign in place (compiler::Alias,
// frontend/src/in_place.h): only buffers nothing else can see, never a tensor a user holds or
// memory a user lent, with readers of other threads held off while the call writes.
#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/helpers.h"

using tft::values_of;

namespace {

const void* buffer_of(const tf::Variable& v) { return v.read_value().data(); }

std::vector<double> ramp(int64_t n, double scale) {
  std::vector<double> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(scale * static_cast<double>(i % 97 - 48));
  return out;
}

// p - 0.5 g, elementwise, in float64.
std::vector<double> sgd(const std::vector<double>& p, const std::vector<double>& g) {
  std::vector<double> out;
  for (size_t i = 0; i < p.size(); ++i) out.push_back(p[i] - 0.5 * g[i]);
  return out;
}

}  // namespace

TEST_CASE("a compiled update writes a variable nothing else holds in its own buffer",
          "[function][in_place]") {
  const auto p0 = ramp(3000, 0.25), g = ramp(3000, 0.125);
  tf::Variable v(tft::make(p0, {30, 100}, tf::float32));
  auto gt = tft::make(g, {30, 100}, tf::float32);
  auto step = tf::function([&](const tf::Tensor& grad) {
    v.assign_sub(grad * 0.5f);
    return tf::reduce_sum(grad);
  });
  CHECK(step.graph("traced", gt).find("tfjit.aliasing_output") != std::string::npos);
  step(gt);  // the first call may copy the initial value
  const void* buffer = buffer_of(v);
  step(gt);
  CHECK(buffer_of(v) == buffer);
  tft::check_close(values_of(v.read_value()), sgd(sgd(p0, g), g), tf::float32, "two steps");
}

TEST_CASE("a tensor read before a compiled update keeps its values", "[function][in_place]") {
  const auto p0 = ramp(500, 1.0), g = ramp(500, 0.5);
  tf::Variable v(tft::make(p0, {500}, tf::float32));
  auto step = tf::function([&](const tf::Tensor& grad) {
    v.assign_sub(grad * 0.5f);
    return grad;
  });
  auto gt = tft::make(g, {500}, tf::float32);
  step(gt);
  tf::Tensor held = v.read_value();
  auto reshaped = tf::reshape(v.read_value(), {20, 25});  // a view of the same buffer
  step(gt);
  tft::check_close(values_of(held), sgd(p0, g), tf::float32, "held value");
  tft::check_close(values_of(reshaped), sgd(p0, g), tf::float32, "view of the value");
  tft::check_close(values_of(v.read_value()), sgd(sgd(p0, g), g), tf::float32, "variable");
  CHECK(held.data() != v.read_value().data());
}

TEST_CASE("memory a user lent to a variable is never written by a compiled update",
          "[function][in_place]") {
  std::vector<float> lent(256, 2.0f);
  tf::Variable v(tf::from_blob(lent.data(), {256}, tf::float32));
  auto step = tf::function([&]() {
    v.assign_add(tf::ones({256}));
    return tf::constant(0.0f);
  });
  step();
  step();
  CHECK(std::ranges::all_of(lent, [](float x) { return x == 2.0f; }));
  CHECK(values_of(v.read_value()) == std::vector<double>(256, 4.0));
}

TEST_CASE("readers on other threads see a compiled update whole, and no update is lost",
          "[function][in_place][threads]") {
  constexpr int64_t kSize = 1 << 18;
  constexpr int kCalls = 60;
  tf::Variable a(tf::zeros({kSize})), b(tf::zeros({kSize}));
  // Both variables in each, named in opposite orders: claims follow one global order.
  auto ab = tf::function([&]() {
    a.assign_add(tf::ones({kSize}));
    b.assign_add(tf::ones({kSize}));
    return tf::constant(0.0f);
  });
  auto ba = tf::function([&]() {
    b.assign_add(tf::ones({kSize}));
    a.assign_add(tf::ones({kSize}));
    return tf::constant(0.0f);
  });
  ab();
  ba();
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto x = a.read_value().to_vector<float>();
      auto [lo, hi] = std::ranges::minmax(x);
      if (lo != hi) ++torn;
      ++reads;
    }
  });
  std::thread other([&] {
    for (int i = 0; i < kCalls; ++i) ba();
  });
  for (int i = 0; i < kCalls; ++i) ab();
  other.join();
  done = true;
  reader.join();
  CHECK(torn.load() == 0);
  CHECK(reads.load() > 0);
  const double want = 2.0 + 2.0 * kCalls;
  CHECK(values_of(tf::reduce_min(a.read_value()))[0] == want);
  CHECK(values_of(tf::reduce_max(a.read_value()))[0] == want);
  CHECK(values_of(tf::reduce_min(b.read_value()))[0] == want);
  CHECK(values_of(tf::reduce_max(b.read_value()))[0] == want);
}

TEST_CASE("a call that checks its input at run time and fails leaves its variables unchanged",
          "[function][in_place][errors]") {
  tf::Variable v(tft::make({1, 2, 3, 4}, {4}, tf::float32));
  auto step = tf::function([&](const tf::Tensor& index) {
    v.assign_add(tf::gather(v.read_value(), index));
    return tf::constant(0.0f);
  });
  auto good = tft::make({3, 2, 1, 0}, {4}, tf::int32);
  // Still in place: the new value is the old one where the check fails.
  CHECK(step.graph("traced", good).find("tfjit.aliasing_output") != std::string::npos);
  step(good);
  const void* buffer = buffer_of(v);
  CHECK(values_of(v.read_value()) == std::vector<double>{5, 5, 5, 5});
  CHECK_THROWS_AS(step(tft::make({0, 9, 1, 2}, {4}, tf::int32)), tf::InvalidArgumentError);
  CHECK(values_of(v.read_value()) == std::vector<double>{5, 5, 5, 5});
  step(good);
  CHECK(values_of(v.read_value()) == std::vector<double>{10, 10, 10, 10});
  CHECK(buffer_of(v) == buffer);
}

TEST_CASE("a variable a checked scatter assigns takes a new buffer and survives a failing call",
          "[function][in_place][errors]") {
  tf::Variable v(tft::make({1, 2, 3, 4}, {4}, tf::float32));
  auto step = tf::function([&](const tf::Tensor& index, const tf::Tensor& update) {
    v.assign(tf::tensor_scatter_nd_add(v.read_value(), index, update));
    return tf::constant(0.0f);
  });
  auto good = tft::make({2, 0}, {2, 1}, tf::int32), update = tft::make({10, 20}, {2}, tf::float32);
  // Not a select over the whole variable after the scatter: the new value takes a new buffer.
  CHECK(step.graph("traced", good, update).find("tfjit.aliasing_output") == std::string::npos);
  step(good, update);
  CHECK(values_of(v.read_value()) == std::vector<double>{21, 2, 13, 4});
  CHECK_THROWS_AS(step(tft::make({2, 7}, {2, 1}, tf::int32), update), tf::InvalidArgumentError);
  CHECK(values_of(v.read_value()) == std::vector<double>{21, 2, 13, 4});
}

TEST_CASE("a call whose check sits inside a cond and fails leaves its variables unchanged",
          "[function][in_place][errors]") {
  tf::Variable v(tft::make({1, 2, 3, 4}, {4}, tf::float32));
  auto step = tf::function([&](const tf::Tensor& index, const tf::Tensor& pred) {
    auto picked = tf::cond(
        pred, [&] { return std::vector<tf::Tensor>{tf::gather(v.read_value(), index)}; },
        [&] { return std::vector<tf::Tensor>{v.read_value()}; });
    v.assign_add(picked[0]);
    return tf::constant(0.0f);
  });
  auto good = tft::make({3, 2, 1, 0}, {4}, tf::int32), yes = tf::constant(true);
  // The check's flag is not visible outside the cond: the new value goes to a new buffer.
  CHECK(step.graph("traced", good, yes).find("tfjit.aliasing_output") == std::string::npos);
  step(good, yes);
  CHECK(values_of(v.read_value()) == std::vector<double>{5, 5, 5, 5});
  CHECK_THROWS_AS(step(tft::make({0, 9, 1, 2}, {4}, tf::int32), yes), tf::InvalidArgumentError);
  CHECK(values_of(v.read_value()) == std::vector<double>{5, 5, 5, 5});
}

TEST_CASE("under a tape the value a compiled call read stays the one its gradient uses",
          "[function][in_place][gradient]") {
  tf::Variable v(tft::make({1, 2, 3}, {3}, tf::float32));
  auto f = tf::function([&](const tf::Tensor& x) {
    auto y = tf::reduce_sum(v.read_value() * x);
    v.assign_add(tf::ones({3}));
    return y;
  });
  auto x = tft::make({0.5, 1, 2}, {3}, tf::float32);
  f(x);  // v = 2, 3, 4
  tf::GradientTape tape;
  tape.watch(x);
  auto y = f(x);  // reads 2, 3, 4; v = 3, 4, 5
  CHECK(values_of(y)[0] == 2 * 0.5 + 3 * 1 + 4 * 2);
  CHECK(values_of(tape.gradient(y, x)) == std::vector<double>{2, 3, 4});
  CHECK(values_of(v.read_value()) == std::vector<double>{3, 4, 5});
}

TEST_CASE("a graph with unknown dims updates its variables in place too",
          "[function][in_place][dynamic]") {
  tf::Variable w(tft::make({1, 1, 1}, {3}, tf::float32));
  auto step = tf::function(
      [&](const tf::Tensor& x) {
        w.assign_sub(0.5f * tf::reduce_sum(x, 0));
        return tf::reduce_sum(x);
      },
      {tf::TensorSpec({tf::None, 3}, tf::float32)});
  step(tft::make({1, 2, 3, 4, 5, 6}, {2, 3}, tf::float32));  // column sums 5, 7, 9
  const void* buffer = buffer_of(w);
  step(tft::make({1, 1, 1}, {1, 3}, tf::float32));
  CHECK(buffer_of(w) == buffer);
  CHECK(values_of(w.read_value()) ==
        std::vector<double>{1 - 2.5 - 0.5, 1 - 3.5 - 0.5, 1 - 4.5 - 0.5});
  CHECK(step.trace_count() == 1);
}

TEST_CASE("eager assign_add and assign_sub write a variable nothing else holds in place",
          "[variable][in_place]") {
  const auto p0 = ramp(1000, 0.25), g = ramp(1000, 0.5);
  tf::Variable v(tft::make(p0, {10, 100}, tf::float32));
  v.assign_add(tf::zeros({10, 100}));  // the initial value may be shared
  const void* buffer = buffer_of(v);
  v.assign_sub(tft::make(g, {10, 100}, tf::float32) * 0.5f);
  CHECK(buffer_of(v) == buffer);
  tft::check_close(values_of(v.read_value()), sgd(p0, g), tf::float32, "assign_sub");
  tf::Tensor held = v.read_value();
  v.assign_add(tf::constant(2.0f));  // a broadcast delta; the held value keeps its own
  tft::check_close(values_of(held), sgd(p0, g), tf::float32, "held value");
  std::vector<double> plus2 = sgd(p0, g);
  for (double& x : plus2) x += 2;
  tft::check_close(values_of(v.read_value()), plus2, tf::float32, "assign_add");
  v.assign_add(v.read_value());  // the delta is the value itself
  for (double& x : plus2) x *= 2;
  tft::check_close(values_of(v.read_value()), plus2, tf::float32, "v += v");
  CHECK_THROWS_AS(v.assign_add(tf::zeros({3})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(v.assign_add(tf::zeros({10, 100}, tf::float64)), tf::InvalidArgumentError);
}

TEST_CASE("a used non-persistent tape lets go of its saved reads, so the update goes in place",
          "[variable][in_place][tape]") {
  const auto p0 = ramp(1000, 0.25);
  tf::Variable v(tft::make(p0, {10, 100}, tf::float32));
  v.assign_add(tf::zeros({10, 100}));  // the initial value may be shared
  const void* buffer = buffer_of(v);
  tf::GradientTape tape;  // still alive during the update, as in a training step
  tf::Tensor loss = tf::reduce_sum(v.read_value() * v.read_value());
  tf::Tensor g = tape.gradient(loss, {tf::Source(v)})[0];
  v.assign_sub(g * 0.25f);  // p - 0.25 * 2 p
  CHECK(buffer_of(v) == buffer);
  tft::check_close(values_of(v.read_value()), sgd(p0, p0), tf::float32, "p - 0.5 p");
  CHECK_THROWS_AS(tape.gradient(loss, {tf::Source(v)}), tf::FailedPreconditionError);

  tf::GradientTape persistent(tf::persistent);  // keeps what it saved for the next gradient
  loss = tf::reduce_sum(v.read_value() * v.read_value());
  g = persistent.gradient(loss, {tf::Source(v)})[0];
  v.assign_sub(g * 0.25f);
  CHECK(buffer_of(v) != buffer);
  auto twice = persistent.gradient(loss, {tf::Source(v)})[0];
  tft::check_close(values_of(twice), values_of(g), tf::float32, "the second gradient");
}

TEST_CASE("variables swapping values in a compiled call each get the other's old value",
          "[function][in_place]") {
  tf::Variable a(tft::make({1, 2, 3}, {3}, tf::float32)), b(tft::make({4, 5, 6}, {3}, tf::float32));
  auto swap = tf::function([&]() {
    tf::Tensor old_a = a.read_value(), old_b = b.read_value();
    a.assign(old_b);
    b.assign(old_a);
    return tf::constant(0.0f);
  });
  auto shift = tf::function([&]() {
    tf::Tensor old_a = a.read_value();
    b.read_value();
    a.assign(tf::zeros({3}));
    b.assign(old_a);
    return tf::constant(0.0f);
  });
  swap();
  CHECK(values_of(a.read_value()) == std::vector<double>{4, 5, 6});
  CHECK(values_of(b.read_value()) == std::vector<double>{1, 2, 3});
  shift();
  CHECK(values_of(a.read_value()) == std::vector<double>{0, 0, 0});
  CHECK(values_of(b.read_value()) == std::vector<double>{4, 5, 6});
}
