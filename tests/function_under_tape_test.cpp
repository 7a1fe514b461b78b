// A tf::function called under one GradientTape (the eager training loop around a compiled model):
// a forward graph that keeps what the gradient needs and a backward graph that takes it
// (frontend/src/forward_backward.h), so the forward runs once per call. The general path, which
// recomputes it, remains for nested or persistent tapes and for a tape opened after the call.
#include <functional>
#include <sstream>

#include "tests/helpers.h"
#include "tools/workloads.h"

using tft::values_of;

namespace {
struct CapturePrint {
  std::ostringstream out;
  std::ostream* previous = tf::set_print_output(&out);
  ~CapturePrint() { tf::set_print_output(previous); }
};

// The first derivative of call()'s first result by x under a tape around the call, and the
// second by a tape opened after the call (which records the first's computation).
struct Derivatives {
  std::vector<tf::Tensor> out;
  tf::Tensor g, gg;
};
Derivatives derivatives_by_later_tape(const std::function<std::vector<tf::Tensor>()>& call,
                                      const tf::Tensor& x) {
  tf::GradientTape first;
  first.watch(x);
  Derivatives d{call(), {}, {}};
  tf::GradientTape later;
  later.watch(x);
  d.g = first.gradient(tf::reduce_sum(d.out[0]), x);
  d.gg = later.gradient(d.g, x);
  return d;
}

size_t count(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("under one tape a compiled call runs its forward once and its gradient matches eager",
          "[function][gradient][under_tape]") {
  workloads::Mlp model({12, 16, 16, 5}, 8);
  auto loss = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
    tf::print("forward");
    return model.loss(x, y);
  });
  CapturePrint capture;
  for (int call = 0; call < 3; ++call) {
    tf::GradientTape tape;
    auto l = loss(model.x, model.y);
    auto grads = tape.gradient(l, model.params);
    tf::GradientTape eager_tape;
    auto eager_loss = model.loss(model.x, model.y);
    auto want = eager_tape.gradient(eager_loss, model.params);
    CHECK(values_of(l)[0] == Approx(values_of(eager_loss)[0]).epsilon(1e-6));
    for (size_t i = 0; i < grads.size(); ++i)
      tft::check_close(values_of(grads[i]), values_of(want[i]), tf::float32,
                       model.params[i].name());
    model.sgd(grads);
  }
  // The plain trace, then the forward and backward pair (the print is in the forward only); each
  // call prints once: nothing runs the body again for the gradient.
  CHECK(count(capture.out.str(), "forward") == 3);
  CHECK(loss.trace_count() == 1);
}

TEST_CASE("under one tape a call with unknown dims runs a pair per batch size, forward once",
          "[function][gradient][under_tape][dynamic]") {
  workloads::Mlp model({12, 16, 5}, 8);
  auto loss = tf::function(
      [&](const tf::Tensor& x, const tf::Tensor& y) {
        tf::print("forward");
        return model.loss(x, y);
      },
      tf::FunctionOptions{.input_signature = std::vector{tf::TensorSpec({tf::None, 12}),
                                                         tf::TensorSpec({tf::None, 5})}});
  CapturePrint capture;
  size_t calls = 0;
  for (int64_t batch : {8, 3, 8, 3}) {
    auto x = tf::slice(model.x, {0, 0}, {batch, 12}), y = tf::slice(model.y, {0, 0}, {batch, 5});
    tf::GradientTape tape;
    auto l = loss(x, y);
    auto grads = tape.gradient(l, model.params);
    ++calls;
    tf::GradientTape eager_tape;
    auto eager_loss = model.loss(x, y);
    auto want = eager_tape.gradient(eager_loss, model.params);
    CHECK(values_of(l)[0] == Approx(values_of(eager_loss)[0]).epsilon(1e-6));
    for (size_t i = 0; i < grads.size(); ++i)
      tft::check_close(values_of(grads[i]), values_of(want[i]), tf::float32,
                       model.params[i].name());
  }
  // One trace with unknown dims, then a pair per batch size: every call's forward ran once.
  CHECK(count(capture.out.str(), "forward") == calls);
  CHECK(loss.trace_count() == 1);
}

TEST_CASE("under one tape a call with unknown dims past 8 shapes recomputes, with the same values",
          "[function][gradient][under_tape][dynamic]") {
  tf::Variable w(tft::make({0.5, -2, 3}, {3}, tf::float32), "w");
  auto f = tf::function(
      [&](const tf::Tensor& x) {
        tf::print("forward");
        return tf::reduce_sum(tf::square(x) * w);
      },
      tf::FunctionOptions{.input_signature = std::vector{tf::TensorSpec({tf::None, 3})}});
  for (int64_t batch = 1; batch <= 10; ++batch) {
    CapturePrint capture;
    auto x = tf::ones({batch, 3});
    tf::GradientTape tape;
    auto g = tape.gradient(f(x), w);
    // d/dw sum(x^2 w) = sum over the batch of x^2 = batch.
    CHECK(values_of(g) == std::vector<double>(3, double(batch)));
    // A pair per shape runs the forward once; past 8 shapes the general path runs it again.
    CHECK(count(capture.out.str(), "forward") == (batch <= 8 ? 1u : 2u));
  }
}

TEST_CASE("under one tape the gradient of an input first left out is computed when asked for",
          "[function][gradient][under_tape]") {
  tf::Variable w(tft::make({0.5, -2, 3}, {3}, tf::float32), "w");
  auto f = tf::function([&](const tf::Tensor& x) { return tf::reduce_sum(tf::square(x) * w); });
  auto x = tft::make({1, 2, -1}, {3}, tf::float32);
  {
    tf::GradientTape tape;  // watches w only: the pair computes d/dw alone
    auto y = f(x);
    CHECK(values_of(tape.gradient(y, w)) == std::vector<double>{1, 4, 1});
  }
  tf::GradientTape tape;
  tape.watch(x);
  auto y = f(x);
  auto g = tape.gradient(y, std::vector<tf::Source>{x, w});
  CHECK(values_of(g[0]) == std::vector<double>{2 * 1 * 0.5, 2 * 2 * -2, 2 * -1 * 3});
  CHECK(values_of(g[1]) == std::vector<double>{1, 4, 1});
}

TEST_CASE("under one tape a call's random draws and assignments happen once, in its forward",
          "[function][gradient][under_tape]") {
  tf::Variable w(tft::make({1, 2, 3, 4, 5, 6, 7, 8}, {8}, tf::float32), "w");
  tf::Variable calls(tf::constant(int64_t{0}), "calls", false);
  auto f = tf::function([&](const tf::Tensor& x) {
    calls.assign_add(tf::constant(int64_t{1}));
    tf::Tensor kept = tf::nn::dropout(x, 0.5);
    return std::vector<tf::Tensor>{tf::reduce_sum(kept * w), kept};
  });
  auto x = tf::ones({8});
  for (int call = 0; call < 4; ++call) {
    tf::GradientTape tape;
    auto out = f(x);
    // d/dw sum(kept * w) = kept: the mask the forward drew, not a new one.
    CHECK(values_of(tape.gradient(out[0], w)) == values_of(out[1]));
  }
  CHECK(calls.read_value().item<int64_t>() == 4);
}

TEST_CASE("under one tape the gradient through any of several float results is right",
          "[function][gradient][under_tape]") {
  tf::Variable w(tft::make({0.5, -2, 3}, {3}, tf::float32), "w");
  auto f = tf::function([&](const tf::Tensor& x) {
    auto y = x * w.read_value();
    return std::vector<tf::Tensor>{tf::reduce_sum(y), tf::cast(x, tf::int32), tf::square(y)};
  });
  auto x = tft::make({1, 2, -1}, {3}, tf::float32);
  for (int call = 0; call < 2; ++call) {
    tf::GradientTape tape;
    auto out = f(x);
    // d/dw sum((x w)^2) = 2 x^2 w.
    CHECK(values_of(tape.gradient(out[2], w)) == std::vector<double>{1, -16, 6});
  }
  tf::GradientTape tape;
  auto out = f(x);
  CHECK(values_of(tape.gradient(out[0], w)) == std::vector<double>{1, 2, -1});
}

TEST_CASE("a tape opened after a call records its gradient, for a second derivative",
          "[function][gradient][under_tape]") {
  tf::Variable w(tft::make({0.5, -2}, {2}, tf::float32), "w");
  auto f = tf::function([&](const tf::Tensor& x) {
    tf::print("forward");
    return tf::reduce_sum(tf::sin(x) * w);
  });
  auto x = tft::make({0.3, 1.2}, {2}, tf::float32);
  {
    CapturePrint capture;  // the pair, not the general path, runs this call: its forward once
    tf::GradientTape tape;
    tape.watch(x);
    tape.gradient(f(x), x);
    CHECK(count(capture.out.str(), "forward") == 1);
  }
  for (int call = 0; call < 2; ++call) {
    // g = w cos(x); gg = d/dx sum(w cos(x)) = -w sin(x).
    auto d = derivatives_by_later_tape([&] { return std::vector{f(x)}; }, x);
    REQUIRE(d.gg.defined());
    tft::check_close(values_of(d.g), {0.5 * std::cos(0.3), -2 * std::cos(1.2)}, tf::float32, "g");
    tft::check_close(values_of(d.gg), {-0.5 * std::sin(0.3), 2 * std::sin(1.2)}, tf::float32, "gg");
  }
}

TEST_CASE("a tape opened after a call recomputes the gradient with the call's random draws",
          "[function][gradient][under_tape]") {
  tf::Variable w(tft::make({0.5, -2, 1, 3, -1, 2, 0.25, 4}, {8}, tf::float32), "w");
  auto f = tf::function([&](const tf::Tensor& x) {
    tf::Tensor mask = tf::nn::dropout(tf::ones({8}), 0.5);  // 0 or 2 per element
    return std::vector<tf::Tensor>{tf::reduce_sum(tf::sin(x) * mask * w), mask};
  });
  auto x = tft::make({0.3, 1.2, -0.7, 2.0, 0.1, -1.5, 0.9, 0.4}, {8}, tf::float32);
  for (int call = 0; call < 3; ++call) {
    auto d = derivatives_by_later_tape([&] { return f(x); }, x);
    std::vector<double> mask = values_of(d.out[1]), xs = values_of(x), ws = values_of(w), want;
    for (size_t i = 0; i < xs.size(); ++i) want.push_back(-ws[i] * mask[i] * std::sin(xs[i]));
    tft::check_close(values_of(d.gg), want, tf::float32, "gg");
  }
}

TEST_CASE("through a tf::function call an unconnected input's gradient is None, as TensorFlow's",
          "[function][gradient][under_tape]") {
  auto f = tf::function([](const tf::Tensor& t, const tf::Tensor& u) { return tf::round(t) + u; });
  auto x = tft::make({1.5, 2.5}, {2}, tf::float32), u = tft::make({1, 2}, {2}, tf::float32);
  for (bool persistent : {false, true}) {  // the forward/backward pair, then the general path
    for (int call = 0; call < 2; ++call) {
      tf::GradientTape tape(persistent);
      tape.watch(x);
      tape.watch(u);
      auto g = tape.gradient(f(x, u), std::vector<tf::Source>{x, u});
      CHECK_FALSE(g[0].defined());  // round has no gradient
      REQUIRE(g[1].defined());
      CHECK(values_of(g[1]) == std::vector<double>{1, 1});
    }
  }
}
