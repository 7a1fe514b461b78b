// GradientTape: the TensorFlow tutorial's cases, numerical checks (float64 central differences)
// for every differentiable op of the tables and the structural ops — each also computed inside a
// tf::function, equal to the eager gradient — second order, tape rules.
#include <algorithm>
#include <atomic>
#include <thread>

#include "runtime/kernels.h"
#include "tests/elementwise_cases.h"
#include "tests/gradient_helpers.h"

using namespace tft;

namespace {
// Inputs in a range, avoiding the kinks of abs/relu/max at exact ties (non-integral offsets).
tf::Tensor sample(const tf::TensorShape& shape, Range r, int seed) {
  std::vector<double> v(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = r.lo + (r.hi - r.lo) *
                      (0.05 + 0.9 * std::fmod(0.6180339887 * double(i * 7 + seed * 13 + 1), 1.0));
  return make(v, shape, tf::float64);
}
}  // namespace

TEST_CASE("the tutorial's gradients: 6, 48, 4 and 12, 27 and 18", "[gradient]") {
  tf::Variable x(3.0f);
  {
    tf::GradientTape tape;
    auto y = x * x;
    CHECK(tape.gradient(y, x).item<float>() == 6.0f);
  }
  auto c = tf::constant(4.0f);
  {
    tf::GradientTape tape;
    tape.watch(c);
    auto y = c * c * c;
    CHECK(tape.gradient(y, c).item<float>() == 48.0f);
  }
  auto two = tf::constant(2.0f);
  {
    tf::GradientTape tape(tf::persistent);
    tape.watch(two);
    auto y = two * two, z = y * two;
    CHECK(tape.gradient(y, two).item<float>() == 4.0f);
    CHECK(tape.gradient(z, two).item<float>() == 12.0f);
  }
  {
    tf::GradientTape outer;
    tf::GradientTape inner;
    auto y = x * x * x;
    auto dy = inner.gradient(y, x);
    auto d2y = outer.gradient(dy, x);
    CHECK(dy.item<float>() == 27.0f);
    CHECK(d2y.item<float>() == 18.0f);
  }
}

TEST_CASE("every differentiable unary op matches central differences", "[gradient]") {
  for (const auto& c : kUnary) {
    if (!c.differentiable) continue;
    const auto* info = [&]() -> const tf::ops::ElementwiseOpInfo* {
      for (int i = 0; i < tf::ops::kNumUnary; ++i)
        if (std::string(tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i)).name) == c.name)
          return &tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i));
      return nullptr;
    }();
    REQUIRE(info);
    if (!info->dtypes.contains(tf::float64)) continue;
    check_gradients([op = c.op](const std::vector<tf::Tensor>& in) { return op(in[0]); },
                    {sample({2, 3}, c.range, 1)}, c.name);
  }
}

TEST_CASE("every differentiable binary op matches central differences, with broadcasting",
          "[gradient]") {
  for (const auto& c : kBinary) {
    if (!c.differentiable) continue;
    check_gradients([op = c.op](const std::vector<tf::Tensor>& in) { return op(in[0], in[1]); },
                    {sample({2, 3}, c.x, 1), sample({3}, c.y, 2)}, c.name);
  }
}

TEST_CASE("ops without a gradient give none, as in TensorFlow", "[gradient]") {
  for (const auto& c : kUnary) {
    if (c.differentiable || std::string(c.name) == "logical_not")
      continue;  // logical_not takes bool
    auto x = sample({3}, c.range, 1);
    tf::GradientTape tape;
    tape.watch(x);
    auto y = c.op(x);
    INFO(c.name);
    CHECK_FALSE(
        tape.gradient(y.dtype() == tf::float64 ? y : tf::cast(y, tf::float64), x).defined());
  }
}

TEST_CASE("reductions and composites match central differences", "[gradient]") {
  auto x = sample({2, 3, 4}, {-2, 2}, 3);
  std::vector<std::pair<std::string, Fn>> cases = {
      {"reduce_sum all", [](auto& in) { return tf::reduce_sum(in[0]); }},
      {"reduce_sum (0, 2)",
       [](auto& in) {
         return tf::reduce_sum(in[0], {0, 2});
       }},
      {"reduce_sum keepdims", [](auto& in) { return tf::reduce_sum(in[0], 1, true); }},
      {"reduce_prod", [](auto& in) { return tf::reduce_prod(in[0], -1); }},
      {"reduce_max", [](auto& in) { return tf::reduce_max(in[0], 1); }},
      {"reduce_min",
       [](auto& in) {
         return tf::reduce_min(in[0], {0, 1});
       }},
      {"reduce_mean", [](auto& in) { return tf::reduce_mean(in[0], 2); }},
      {"reduce_logsumexp", [](auto& in) { return tf::reduce_logsumexp(in[0], 1); }},
      {"softmax", [](auto& in) { return tf::softmax(in[0]); }},
      {"log_softmax", [](auto& in) { return tf::log_softmax(in[0], 0); }},
  };
  for (auto& [name, f] : cases) check_gradients(f, {x}, name);
}

TEST_CASE("structural ops match central differences", "[gradient]") {
  auto a = sample({2, 3}, {-2, 2}, 1), b = sample({3, 4}, {-2, 2}, 2),
       batch = sample({2, 2, 3}, {-1, 1}, 3);
  std::vector<std::tuple<std::string, Fn, std::vector<tf::Tensor>>> cases = {
      {"matmul", [](auto& in) { return tf::matmul(in[0], in[1]); }, {a, b}},
      {"matmul transposed", [](auto& in) { return tf::matmul(in[0], in[1], true, true); }, {b, a}},
      {"batched matmul, broadcast", [](auto& in) { return tf::matmul(in[0], in[1]); }, {batch, b}},
      {"einsum",
       [](auto& in) {
         return tf::einsum("bij,jk->bk", {in[0], in[1]});
       },
       {batch, b}},
      {"reshape, transpose",
       [](auto& in) {
         return tf::transpose(tf::reshape(in[0], {3, 2}));
       },
       {a}},
      {"broadcast_to",
       [](auto& in) {
         return tf::broadcast_to(in[0], {4, 2, 3});
       },
       {a}},
      {"concat, stack",
       [](auto& in) {
         return tf::stack({tf::concat({in[0], in[0] * 2.0}, 1), tf::concat({in[0], in[0]}, 1)});
       },
       {a}},
      {"slice with steps",
       [](auto& in) {
         return in[0](tf::slice(std::nullopt, std::nullopt, -1), tf::slice(0, 4, 2));
       },
       {b}},
      {"indexing", [](auto& in) { return in[0](1, tf::newaxis, tf::slice(1, std::nullopt)); }, {b}},
      {"unstack, split", [](auto& in) { return tf::split(tf::unstack(in[0], 0)[2], 2)[1]; }, {b}},
      {"tile, pad",
       [](auto& in) {
         return tf::pad(tf::tile(in[0], {2, 1}), {{1, 0}, {0, 2}});
       },
       {a}},
      {"where", [](auto& in) { return tf::where(in[0] > 0.0, in[0] * in[0], -in[0]); }, {a}},
      {"gather rows (repeated)",
       [](auto& in) {
         return tf::gather(in[0], tf::constant({{2, 0}, {2, 2}}));
       },
       {b}},
      {"gather columns",
       [](auto& in) {
         return tf::gather(in[0], tf::constant({2, 0, 2}), 2);
       },
       {batch}},
      {"clip_by_value", [](auto& in) { return tf::clip_by_value(in[0], -0.5, 0.5); }, {a}},
  };
  for (auto& [name, f, inputs] : cases) check_gradients(f, inputs, name);
  // cast: the gradient comes back in the input's dtype (differences through float32 are too
  // coarse).
  tf::GradientTape tape;
  tape.watch(a);
  auto g = tape.gradient(tf::cast(a, tf::float32) * 3.0f, a);
  CHECK(g.dtype() == tf::float64);
  CHECK(values_of(g) == std::vector<double>(6, 3.0));
}

TEST_CASE("second derivatives through nested tapes match differences of first derivatives",
          "[gradient]") {
  std::vector<std::pair<std::string, Fn>> cases = {
      {"tanh", [](auto& in) { return tf::tanh(in[0]); }},
      {"sigmoid * x", [](auto& in) { return tf::sigmoid(in[0]) * in[0]; }},
      {"exp(x) * sin(x)", [](auto& in) { return tf::exp(in[0]) * tf::sin(in[0]); }},
      {"softplus", [](auto& in) { return tf::softplus(in[0]); }},
      {"matmul x x^T", [](auto& in) { return tf::matmul(in[0], in[0], false, true); }},
  };
  for (auto& [name, f] : cases) {
    // d/dx of (the first derivative, computed by an inner tape)
    Fn first = [&f](const std::vector<tf::Tensor>& in) {
      tf::GradientTape inner;
      inner.watch(in[0]);
      return inner.gradient(weighted_sum(f(in)), in[0]);
    };
    check_gradients(first, {sample({2, 2}, {-1.5, 1.5}, 4)}, name + " (second order)", 1e-5);
  }
}

TEST_CASE("tape rules: unconnected, integers, stop_gradient, persistence, stop_recording",
          "[gradient]") {
  auto x = tf::constant(std::vector<double>{1, 2});
  auto unused = tf::constant(std::vector<double>{3});
  tf::GradientTape tape(tf::persistent);
  tape.watch(x);
  tape.watch(unused);
  auto y = tf::reduce_sum(x * x);
  CHECK_FALSE(tape.gradient(y, unused).defined());
  CHECK(tape.gradient(y, unused, tf::UnconnectedGradients::ZERO).to_vector<double>() ==
        std::vector<double>{0});
  auto z = tf::reduce_sum(tf::stop_gradient(x) * x);  // only the second factor is differentiated
  CHECK(tape.gradient(z, x).to_vector<double>() == std::vector<double>{1, 2});
  {
    auto pause = tape.stop_recording();
    auto w = x * 3.0;
    CHECK_FALSE(tape.gradient(w, x).defined());
  }
  auto i = tf::constant({1, 2});
  tape.watch(i);  // integers are not differentiable: ignored
  CHECK_FALSE(tape.gradient(tf::cast(i * i, tf::float64), i).defined());
  // A non-scalar target is summed; a vector of sources gives a vector of gradients.
  auto grads = tape.gradient(x * x, std::vector<tf::Source>{x, unused});
  CHECK(grads[0].to_vector<double>() == std::vector<double>{2, 4});
  CHECK_FALSE(grads[1].defined());

  tf::GradientTape once;
  once.watch(x);
  auto q = x * x;
  once.gradient(q, x);
  CHECK_THROWS_AS(once.gradient(q, x), tf::FailedPreconditionError);
}

TEST_CASE("variables: watched when read, assign checks, reads never change",
          "[gradient][variable]") {
  tf::Variable w(tf::constant({1.0f, 2.0f}), "w");
  tf::Variable frozen(tf::constant({5.0f}), "frozen", /*trainable=*/false);
  auto before = w.read_value();
  tf::GradientTape tape;
  auto loss = tf::reduce_sum(w * w) + tf::reduce_sum(frozen * 1.0f);
  auto grads = tape.gradient(loss, std::vector<tf::Source>{w, frozen});
  CHECK(grads[0].to_vector<float>() == std::vector<float>{2, 4});
  CHECK_FALSE(grads[1].defined());  // not trainable: not watched automatically
  w.assign_sub(grads[0] * 0.5f);
  CHECK(w.read_value().to_vector<float>() == std::vector<float>{0, 0});
  CHECK(before.to_vector<float>() == std::vector<float>{1, 2});  // an earlier read is unchanged
  CHECK_THROWS_AS(w.assign(tf::constant({1.0f})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(w.assign(tf::constant({1, 2})), tf::InvalidArgumentError);
  CHECK(w.read_value().to_vector<float>() == std::vector<float>{0, 0});  // unchanged after errors
  CHECK(w.name() == "w");
  CHECK(w.shape() == tf::TensorShape{2});
  std::ostringstream os;
  os << w;
  CHECK(os.str() == "<tf.Variable 'w:0' shape=(2,) dtype=float32, numpy=[0. 0.]>");
}

TEST_CASE("a tf::function reads variables by reference", "[gradient][variable][function]") {
  tf::Variable v(tf::constant({1.0f, 2.0f}));
  auto f = tf::function([&](const tf::Tensor& x) { return x * v; });
  CHECK(f(tf::constant({3.0f, 3.0f})).to_vector<float>() == std::vector<float>{3, 6});
  v.assign(tf::constant({10.0f, 20.0f}));
  CHECK(f(tf::constant({3.0f, 3.0f})).to_vector<float>() == std::vector<float>{30, 60});
  CHECK(f.trace_count() == 1);
  // Assignments inside the function happen in program order and land when the call returns.
  auto g = tf::function([&](const tf::Tensor& x) {
    v.assign_add(x);
    auto seen = v * 1.0f;  // sees the assignment above
    v.assign(seen * 2.0f);
    return seen;
  });
  CHECK(g(tf::constant({1.0f, 1.0f})).to_vector<float>() == std::vector<float>{11, 21});
  CHECK(v.read_value().to_vector<float>() == std::vector<float>{22, 42});
  CHECK(g(tf::constant({0.0f, 0.0f})).to_vector<float>() == std::vector<float>{22, 42});
  CHECK(v.read_value().to_vector<float>() == std::vector<float>{44, 84});
  CHECK(g.trace_count() == 1);
  CHECK_THROWS_AS(tf::function([&](const tf::Tensor& x) {
                    v.assign(x);
                    return x;
                  })(tf::constant({1.0f})),
                  tf::InvalidArgumentError);  // wrong shape: rejected while tracing
  CHECK(v.read_value().to_vector<float>() == std::vector<float>{44, 84});
}

// Issue 18: a tape around a tf::function call gave a null gradient, silently.
TEST_CASE("a GradientTape differentiates through a tf::function call to any order",
          "[gradient][function]") {
  tf::Variable w(tf::constant({0.5f, -1.0f}), "w");
  auto f = tf::function([&](const tf::Tensor& x) { return tf::reduce_sum(tf::sin(x) * w); });
  const auto x = tf::constant({0.3f, 1.2f});
  tf::GradientTape outer;
  outer.watch(x);
  tf::GradientTape inner;
  inner.watch(x);
  auto y = f(x);
  auto grads = inner.gradient(y, std::vector<tf::Source>{x, w});
  // d/dx sum(sin(x) w) = cos(x) w; d/dw = sin(x); d2/dx2 summed = sum(-sin(x) w).
  REQUIRE(grads[0].defined());
  REQUIRE(grads[1].defined());
  auto dx = grads[0].to_vector<float>(), dw = grads[1].to_vector<float>();
  CHECK(dx[0] == Approx(std::cos(0.3) * 0.5));
  CHECK(dx[1] == Approx(std::cos(1.2) * -1.0));
  CHECK(dw[0] == Approx(std::sin(0.3)));
  CHECK(dw[1] == Approx(std::sin(1.2)));
  auto d2 = outer.gradient(tf::reduce_sum(grads[0]), x).to_vector<float>();
  CHECK(d2[0] == Approx(-std::sin(0.3) * 0.5));
  CHECK(d2[1] == Approx(-std::sin(1.2) * -1.0));
  // Without a tape the call is compiled, once.
  CHECK(f(x).item<float>() == Approx(std::sin(0.3) * 0.5 - std::sin(1.2)));
  CHECK(f.trace_count() == 1);
}

// Issue 18: a compiled assign's write-back raced an eager assign on the shared pointer to the
// value (heap-use-after-free). Concurrent updates may be lost (assign_add reads, then assigns), but
// every value seen is one that some assignment wrote whole.
TEST_CASE("threads sharing a variable never see a torn value", "[variable][threads]") {
  tf::Variable v(tf::zeros({64}));
  auto bump = tf::function([&](const tf::Tensor& one) {
    v.assign_add(one);
    return v.read_value();
  });
  std::atomic<int> torn{0}, reads{0};  // Catch's assertions are not thread-safe: count here
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (t % 2)
          bump(tf::constant(1.0f));
        else
          v.assign(tf::fill({64}, static_cast<double>(i)));
        auto seen = v.read_value().to_vector<float>();
        ++reads;
        if (!std::all_of(seen.begin(), seen.end(), [&](float x) { return x == seen[0]; })) ++torn;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(reads == 800);
  CHECK(torn == 0);
  CHECK(v.shape() == tf::TensorShape{64});
}

TEST_CASE("a compiled training step: GradientTape and assign_sub inside tf::function",
          "[gradient][function]") {
  tf::random::set_seed(0);
  auto x = tf::random::normal({100});
  auto y = x * 3.0f + 1.0f + tf::random::normal({100}, 0, 0.1);
  tf::Variable w(tf::zeros({}), "w"), b(tf::zeros({}), "b");
  auto step = tf::function([&](const tf::Tensor& xs, const tf::Tensor& ys) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(ys - (w * xs + b)));
    auto g = tape.gradient(loss, std::vector<tf::Source>{w, b});
    w.assign_sub(g[0] * 0.1f);
    b.assign_sub(g[1] * 0.1f);
    return loss;
  });
  float first = step(x, y).item<float>(), last = first;
  for (int epoch = 1; epoch < 100; ++epoch) last = step(x, y).item<float>();
  CHECK(step.trace_count() == 1);
  CHECK(last < first);
  CHECK(std::abs(w.read_value().item<float>() - 3.0f) < 0.05f);
  CHECK(std::abs(b.read_value().item<float>() - 1.0f) < 0.05f);
}

TEST_CASE("jacobian and batch_jacobian", "[gradient]") {
  auto x = tf::constant(std::vector<double>{1, 2, 3});
  tf::GradientTape tape(tf::persistent);
  tape.watch(x);
  auto y = x * x;
  auto j = tape.jacobian(y, x);
  CHECK(j.shape() == tf::TensorShape{3, 3});
  CHECK(j.to_vector<double>() == std::vector<double>{2, 0, 0, 0, 4, 0, 0, 0, 6});
  auto xb = tf::constant(std::vector<double>{1, 2, 3, 4}, tf::TensorShape{2, 2});
  tape.watch(xb);
  auto yb =
      tf::stack({xb(tf::all, 0) * xb(tf::all, 1), xb(tf::all, 0) + xb(tf::all, 1)}, 1);  // (2, 2)
  auto bj = tape.batch_jacobian(yb, xb);
  CHECK(bj.shape() == tf::TensorShape{2, 2, 2});
  CHECK(bj.to_vector<double>() == std::vector<double>{2, 1, 1, 1, 4, 3, 1, 1});
}

TEST_CASE("a non-persistent tape's jacobian uses the tape up and lets go of what it saved",
          "[gradient][tape]") {
  tf::Variable v(tf::constant(std::vector<double>{1, 2, 3}));
  v.assign_add(tf::zeros({3}, tf::float64));  // the initial value may be shared
  const void* buffer = v.read_value().data();
  tf::GradientTape tape;
  auto y = v.read_value() * v.read_value();
  auto j = tape.jacobian(y, tf::Source(v));
  CHECK(j.to_vector<double>() == std::vector<double>{2, 0, 0, 0, 4, 0, 0, 0, 6});
  v.assign_add(tf::ones({3}, tf::float64));  // in place: the tape no longer holds the reads
  CHECK(v.read_value().data() == buffer);
  CHECK_THROWS_AS(tape.jacobian(y, tf::Source(v)), tf::FailedPreconditionError);

  tf::GradientTape batch;
  auto xb = tf::constant(std::vector<double>{1, 2, 3, 4}, tf::TensorShape{2, 2});
  batch.watch(xb);
  auto unrelated = tf::constant(std::vector<double>{1, 2}, tf::TensorShape{2, 1});
  CHECK_FALSE(batch.batch_jacobian(unrelated, xb).defined());  // None
  tf::GradientTape squares;  // connected: decided before the jacobian uses the tape up
  squares.watch(xb);
  auto bj = squares.batch_jacobian(xb * xb, xb);
  REQUIRE(bj.defined());
  CHECK(bj.to_vector<double>() == std::vector<double>{2, 0, 0, 4, 6, 0, 0, 8});
}

TEST_CASE("custom_gradient replaces the recorded ops' gradient", "[gradient]") {
  // The tutorial's stable log(1 + exp(x)): the naive gradient is NaN at x = 100.
  auto log1pexp =
      tf::custom_gradient([](const tf::Tensor& x) { return tf::log(1.0 + tf::exp(x)); },
                          [](const tf::Tensor& x, const tf::Tensor& y, const tf::Tensor& g) {
                            return std::vector<tf::Tensor>{g * (1.0 - 1.0 / (1.0 + tf::exp(x)))};
                          });
  auto x = tf::constant(std::vector<double>{0.0, 100.0});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = log1pexp(x);
  auto g = tape.gradient(y, x).to_vector<double>();
  CHECK(g[0] == 0.5);
  CHECK(g[1] == 1.0);
}

TEST_CASE("custom_gradient refuses a backward of the wrong count, shape or dtype",
          "[gradient][errors]") {
  auto x = tf::constant({1.0f, 2.0f});
  auto try_backward = [&](auto backward) {
    auto f = tf::custom_gradient([](const tf::Tensor& t) { return t * 2.0f; }, backward);
    tf::GradientTape tape;
    tape.watch(x);
    auto y = f(x);
    return tape.gradient(y, x);
  };
  using Grads = std::vector<tf::Tensor>;
  CHECK_THROWS_WITH(try_backward([](auto&, auto&, auto& g) {
                      return Grads{g, g};
                    }),
                    Catch::Contains("returned 2 gradient(s) for 1 input(s)"));
  CHECK_THROWS_WITH(try_backward([](auto&, auto&, auto&) { return Grads{tf::ones({3})}; }),
                    Catch::Contains("gradient 0 has dtype float32 and shape (3,)"));
  CHECK_THROWS_AS(
      try_backward([](auto&, auto&, auto& g) { return Grads{tf::cast(g, tf::float64)}; }),
      tf::InvalidArgumentError);
  CHECK(try_backward([](auto&, auto&, auto& g) { return Grads{g * 3.0f}; }).to_vector<float>() ==
        std::vector<float>{3, 3});
}

TEST_CASE("linear regression converges to w = 3, b = 1 (the tutorial's training loop)",
          "[gradient][training]") {
  tf::random::set_seed(0);
  auto x = tf::random::normal({100});
  auto y = x * 3.0f + 1.0f + tf::random::normal({100}, 0, 0.1);
  tf::Variable w(tf::random::normal({}), "w"), b(tf::zeros({}), "b");
  for (int epoch = 0; epoch < 100; ++epoch) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(y - (w * x + b)));
    auto grads = tape.gradient(loss, std::vector<tf::Source>{w, b});
    w.assign_sub(grads[0] * 0.1f);
    b.assign_sub(grads[1] * 0.1f);
  }
  CHECK(std::abs(w.read_value().item<float>() - 3.0f) < 0.05f);
  CHECK(std::abs(b.read_value().item<float>() - 1.0f) < 0.05f);
}

TEST_CASE("a small MLP learns a synthetic classification task", "[gradient][training]") {
  // Two interleaved classes: inside or outside the unit circle, 2-D inputs.
  tf::random::set_seed(1);
  int64_t n = 512;
  auto x = tf::random::uniform({n, 2}, -1.5, 1.5);
  auto r2 = tf::reduce_sum(x * x, 1);
  auto labels = tf::cast(r2 < 1.0f, tf::int32);
  auto onehot = tf::one_hot(labels, 2);
  tf::Variable w1(tf::random::normal({2, 32}, 0, 0.5), "w1"), b1(tf::zeros({32}), "b1");
  tf::Variable w2(tf::random::normal({32, 2}, 0, 0.5), "w2"), b2(tf::zeros({2}), "b2");
  auto logits_of = [&](const tf::Tensor& in) {
    return tf::matmul(tf::relu(tf::matmul(in, w1) + b1), w2) + b2;
  };
  for (int step = 0; step < 300; ++step) {
    tf::GradientTape tape;
    auto loss = -tf::reduce_mean(tf::reduce_sum(onehot * tf::log_softmax(logits_of(x)), 1));
    auto g = tape.gradient(loss, std::vector<tf::Source>{w1, b1, w2, b2});
    w1.assign_sub(g[0] * 0.5f);
    b1.assign_sub(g[1] * 0.5f);
    w2.assign_sub(g[2] * 0.5f);
    b2.assign_sub(g[3] * 0.5f);
  }
  auto predicted = tf::cast(tf::argmax(logits_of(x), 1), tf::int32);
  float accuracy = tf::reduce_mean(tf::cast(predicted == labels, tf::float32)).item<float>();
  CHECK(accuracy > 0.9f);
}

TEST_CASE("a None gradient names its variable where it is used", "[gradient][errors]") {
  tf::Variable w(tf::constant({1.0f, 2.0f}), "dense/kernel"), b(tf::constant({0.5f}), "dense/bias");
  tf::GradientTape tape(tf::persistent);
  tf::Tensor loss = tf::reduce_sum(w.read_value() * 2.0f);
  std::vector<tf::Tensor> grads = tape.gradient(loss, std::vector<tf::Variable>{w, b});
  CHECK(grads[0].to_vector<float>() == std::vector<float>{2, 2});
  REQUIRE_FALSE(grads[1].defined());
  CHECK(grads[0].null_reason().empty());
  const std::string why = "the gradient of variable 'dense/bias' is None";
  CHECK_THAT(std::string(grads[1].null_reason()), Catch::StartsWith(why));
  CHECK_THROWS_WITH(b.assign_sub(grads[1] * 0.1f), Catch::Contains(why));
  CHECK_THROWS_WITH(tf::add(grads[1], grads[0]),
                    Catch::Contains("argument 'x' is a null tensor: " + why));
  CHECK_THROWS_WITH(grads[1].shape(), Catch::Contains(why));
  // A tensor source is named by its position, dtype and shape.
  tf::Tensor x = tf::constant({1.0f}), unused = tf::constant({3.0, 4.0}, tf::float64);
  tape.watch(x);
  tape.watch(unused);
  tf::Tensor y = x * x;
  CHECK_THAT(std::string(tape.gradient(y, {x, unused})[1].null_reason()),
             Catch::StartsWith("the gradient of source 1 (float64 (2,)) is None"));
  // A default-constructed tensor has no reason.
  CHECK(tf::Tensor().null_reason().empty());
}

TEST_CASE("a tf::function returning a None gradient says whose it is", "[gradient][errors]") {
  auto f = tf::function([&](const tf::Tensor& v) {
    tf::GradientTape inner;
    inner.watch(v);
    return inner.gradient(tf::reduce_sum(tf::stop_gradient(v)), v);
  });
  CHECK_THROWS_WITH(f(tf::constant({1.0f})),
                    Catch::Contains("returned a null tensor (the gradient of source 0"));
}

TEST_CASE("a tf::function call under a tape runs compiled and its gradient is compiled too",
          "[gradient][function]") {
  int traces = 0;  // C++ side effects happen only while tracing
  tf::Variable w(tf::constant({2.0f, -3.0f}), "w"), steps(tf::constant(int64_t{0}), "steps", false);
  auto f = tf::function([&](const tf::Tensor& x) {
    ++traces;
    steps.assign_add(tf::constant(int64_t{1}));
    // A random mask, as dropout's: the gradient must see the mask the call drew.
    tf::Tensor keep = tf::cast(tf::random::uniform({2}) < 0.5f, tf::float32);
    return std::vector<tf::Tensor>{tf::reduce_sum(x * x * w * keep), tf::argmax(x, 0), keep};
  });
  const auto x = tf::constant({1.5f, 0.5f});
  for (int call = 0; call < 3; ++call) {
    tf::GradientTape tape;
    tape.watch(x);
    std::vector<tf::Tensor> out = f(x);
    auto keep = out[2].to_vector<float>();
    std::vector<tf::Tensor> g = tape.gradient(out[0], std::vector<tf::Source>{x, w});
    // d/dx sum(x^2 w keep) = 2 x w keep; d/dw = x^2 keep.
    CHECK(g[0].to_vector<float>() ==
          std::vector<float>{2 * 1.5f * 2 * keep[0], 2 * 0.5f * -3 * keep[1]});
    CHECK(g[1].to_vector<float>() == std::vector<float>{2.25f * keep[0], 0.25f * keep[1]});
  }
  CHECK(traces == 2);  // the call, then its vector-Jacobian product: each traced once
  CHECK(f.trace_count() == 1);
  CHECK(steps.read_value().item<int64_t>() == 3);  // the gradient does not assign again
}
