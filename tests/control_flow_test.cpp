// Control flow inside tf::function: reading a symbolic tensor's value, tf::cond, tf::while_loop,
// gradients through cond, and tf::print at run time.
#include <sstream>

#include "tests/helpers.h"

using tft::values_of;

TEST_CASE("reading a symbolic tensor's value while tracing points to tf::cond", "[control]") {
  auto check_message = [](auto read) {
    auto f = tf::function([&](const tf::Tensor& x) {
      read(x);
      return x;
    });
    try {
      f(tf::constant(1.0f));
      FAIL("no error");
    } catch (const tf::InvalidArgumentError& e) {
      std::string what = e.what();
      CHECK(what.find("symbolic") != std::string::npos);
      CHECK(what.find("tf::cond") != std::string::npos);
      CHECK(what.find("tf::while_loop") != std::string::npos);
    }
  };
  check_message([](const tf::Tensor& x) { return x.item<float>() > 0; });
  check_message([](const tf::Tensor& x) { return x.to_vector<float>().size(); });
  check_message([](const tf::Tensor& x) { return x.data() != nullptr; });
  // A dtype mismatch on a symbolic tensor still reports the symbolic read, the real mistake.
  check_message([](const tf::Tensor& x) { return x.item<int32_t>(); });
}

TEST_CASE("compiled cond takes either branch under one trace", "[control][cond]") {
  tf::Tensor offset = tf::constant({10.0f, 20.0f, 30.0f});  // captured by the false branch
  auto f = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
    auto doubled = x * 2.0f;  // computed outside, used inside the true branch
    return tf::cond(
        tf::reduce_sum(x) > 0.0f, [&] { return doubled + y; },
        [&] { return tf::reduce_sum(x * x) - offset; });
  });
  auto y = tf::constant({1.0f, 1.0f, 1.0f});
  CHECK(values_of(f(tf::constant({1.0f, 2.0f, 3.0f}), y)) == std::vector<double>{3, 5, 7});
  // sum(x) = -6, sum(x*x) = 14: 14 - offset
  CHECK(values_of(f(tf::constant({-1.0f, -2.0f, -3.0f}), y)) == std::vector<double>{4, -6, -16});
  CHECK(values_of(f(tf::constant({0.5f, 0.0f, 0.0f}), y)) == std::vector<double>{2, 1, 1});
  CHECK(f.trace_count() == 1);
  CHECK(f.graph("traced", tf::constant({1.0f, 2.0f, 3.0f}), y).find("scf.if") != std::string::npos);
}

TEST_CASE("compiled cond with several results, nested, on ints", "[control][cond]") {
  auto f = tf::function([](const tf::Tensor& n) {
    auto r = tf::cond(
        n > 0,
        [&] {
          auto inner = tf::cond(
              n > 100, [&] { return n - 100; }, [&] { return n * 2; });
          return std::vector<tf::Tensor>{inner, tf::constant(1.5f)};
        },
        [&] {
          return std::vector<tf::Tensor>{-n, tf::constant(-1.0f)};
        });
    return std::make_tuple(r[0], r[1]);
  });
  auto check = [&](int32_t n, int32_t a, float b) {
    auto [x, y] = f(tf::constant(n));
    CHECK(x.item<int32_t>() == a);
    CHECK(y.item<float>() == b);
  };
  check(5, 10, 1.5f);
  check(150, 50, 1.5f);
  check(-7, 7, -1.0f);
  check(0, 0, -1.0f);
  CHECK(f.trace_count() == 1);
}

TEST_CASE("eager cond runs one branch", "[control][cond]") {
  int true_calls = 0, false_calls = 0;
  auto x = tf::constant({1.0f, -2.0f});
  auto r = tf::cond(
      tf::constant(false),
      [&] {
        ++true_calls;
        return x;
      },
      [&] {
        ++false_calls;
        return x * 3.0f;
      });
  CHECK(values_of(r) == std::vector<double>{3, -6});
  CHECK(true_calls == 0);
  CHECK(false_calls == 1);
  // Inside tf::function with a predicate known at trace time, only one branch is traced too.
  auto f = tf::function([&](const tf::Tensor& v) {
    return tf::cond(
        tf::constant(true), [&] { return v + 1.0f; }, [&] { return v; });
  });
  CHECK(values_of(f(x)) == std::vector<double>{2, -1});
}

TEST_CASE("cond rejects bad predicates and mismatched branches", "[control][cond][errors]") {
  auto x = tf::constant({1.0f, 2.0f});
  CHECK_THROWS_AS(tf::cond(
                      x > 0.0f, [&] { return x; }, [&] { return x; }),
                  tf::InvalidArgumentError);  // not a scalar
  CHECK_THROWS_AS(tf::cond(
                      tf::constant(1), [&] { return x; }, [&] { return x; }),
                  tf::InvalidArgumentError);  // not bool
  auto shapes = tf::function([](const tf::Tensor& v) {
    return tf::cond(
        tf::reduce_sum(v) > 0.0f, [&] { return v; }, [&] { return tf::reduce_sum(v); });
  });
  try {
    shapes(x);
    FAIL("no error");
  } catch (const tf::InvalidArgumentError& e) {
    std::string what = e.what();
    CHECK(what.find("true_fn") != std::string::npos);
    CHECK(what.find("false_fn") != std::string::npos);
    CHECK(what.find("(2,)") != std::string::npos);
  }
  auto counts = tf::function([](const tf::Tensor& v) {
    return tf::cond(
        tf::reduce_sum(v) > 0.0f,
        [&] {
          return std::vector<tf::Tensor>{v, v};
        },
        [&] { return std::vector<tf::Tensor>{v}; });
  });
  CHECK_THROWS_AS(counts(x), tf::InvalidArgumentError);
  auto dtypes = tf::function([](const tf::Tensor& v) {
    return tf::cond(
        tf::reduce_sum(v) > 0.0f, [&] { return v; }, [&] { return tf::cast(v, tf::int32); });
  });
  CHECK_THROWS_AS(dtypes(x), tf::InvalidArgumentError);
  // A tensor made inside a branch cannot be used after the cond.
  auto escape = tf::function([](const tf::Tensor& v) {
    tf::Tensor inner;
    auto r = tf::cond(
        tf::reduce_sum(v) > 0.0f,
        [&] {
          inner = v * 2.0f;
          return inner;
        },
        [&] { return v; });
    return r + inner;
  });
  CHECK_THROWS_AS(escape(x), tf::InvalidArgumentError);
}

TEST_CASE("compiled while_loop iterates a data-dependent number of times", "[control][while]") {
  // Collatz: steps until n reaches 1; the body uses a nested cond.
  auto collatz = tf::function([](const tf::Tensor& n) {
    auto out =
        tf::while_loop([](const std::vector<tf::Tensor>& v) { return v[0] != 1; },
                       [](const std::vector<tf::Tensor>& v) {
                         auto next = tf::cond(
                             v[0] % 2 == 0, [&] { return tf::floordiv(v[0], tf::constant(2)); },
                             [&] { return v[0] * 3 + 1; });
                         return std::vector<tf::Tensor>{next, v[1] + 1};
                       },
                       {n, tf::constant(0)});
    return out[1];
  });
  for (auto [n, steps] :
       std::vector<std::pair<int32_t, int32_t>>{{6, 8}, {1, 0}, {7, 16}, {27, 111}})
    CHECK(collatz(tf::constant(n)).item<int32_t>() == steps);
  CHECK(collatz.trace_count() == 1);

  // Doubling a vector until its sum passes a limit (a captured tensor).
  auto limit = tf::constant(100.0f);
  auto grow = tf::function([&](const tf::Tensor& x) {
    return tf::while_loop(
        [&](const std::vector<tf::Tensor>& v) { return tf::reduce_sum(v[0]) <= limit; },
        [](const std::vector<tf::Tensor>& v) { return std::vector{v[0] * 2.0f}; }, {x})[0];
  });
  CHECK(values_of(grow(tf::constant({1.0f, 0.5f}))) == std::vector<double>{128, 64});
  CHECK(values_of(grow(tf::constant({60.0f, 50.0f}))) == std::vector<double>{60, 50});
  CHECK(values_of(grow(tf::constant({-1.0f, 30.0f}))) == std::vector<double>{-4, 120});
  CHECK(grow.trace_count() == 1);
}

TEST_CASE("while_loop with maximum_iterations, eager and compiled", "[control][while]") {
  auto body = [](const tf::Tensor& x, std::optional<int64_t> max) {
    return tf::while_loop([](const std::vector<tf::Tensor>& v) { return v[0] < 100.0f; },
                          [](const std::vector<tf::Tensor>& v) { return std::vector{v[0] * 2.0f}; },
                          {x}, max)[0];
  };
  auto x = tf::constant(1.5f);
  CHECK(body(x, std::nullopt).item<float>() == 192.0f);
  CHECK(body(x, 3).item<float>() == 12.0f);
  CHECK(body(x, 0).item<float>() == 1.5f);
  auto f = tf::function([&](const tf::Tensor& v) { return body(v, 3); });
  CHECK(f(x).item<float>() == 12.0f);
  CHECK(f(tf::constant(50.0f)).item<float>() == 100.0f);
  CHECK(f(tf::constant(500.0f)).item<float>() == 500.0f);
  auto g = tf::function([&](const tf::Tensor& v) { return body(v, std::nullopt); });
  CHECK(g(x).item<float>() == 192.0f);
  CHECK(g(tf::constant(100.0f)).item<float>() == 100.0f);
}

TEST_CASE("while_loop rejects a body that changes the loop variables", "[control][while][errors]") {
  auto cond = [](const std::vector<tf::Tensor>& v) { return v[0] < 10.0f; };
  auto grows = [](const std::vector<tf::Tensor>& v) {
    return std::vector{tf::concat({v[0], v[0]}, 0)};
  };
  auto x = tf::constant({1.0f});
  CHECK_THROWS_AS(tf::while_loop(cond, grows, {x}), tf::InvalidArgumentError);
  auto f = tf::function([&](const tf::Tensor& v) { return tf::while_loop(cond, grows, {v})[0]; });
  CHECK_THROWS_AS(f(x), tf::InvalidArgumentError);
  auto not_bool = tf::function([](const tf::Tensor& v) {
    return tf::while_loop([](const std::vector<tf::Tensor>& a) { return a[0]; },
                          [](const std::vector<tf::Tensor>& a) { return a; }, {v})[0];
  });
  CHECK_THROWS_AS(not_bool(tf::constant(1.0f)), tf::InvalidArgumentError);
}

namespace {
// Captures what tf::print writes while alive.
struct CapturePrint {
  std::ostringstream out;
  std::ostream* previous = tf::set_print_output(&out);
  ~CapturePrint() { tf::set_print_output(previous); }
};
}  // namespace

TEST_CASE("tf::print prints eagerly at once", "[control][print]") {
  CapturePrint capture;
  tf::print("x:", tf::constant({1, 2, 3}), "and", tf::constant(2.5f), "{braces}");
  tf::print();
  CHECK(capture.out.str() == "x: [1 2 3] and 2.5 {braces}\n\n");
}

TEST_CASE("tf::print in a compiled function prints at each run", "[control][print]") {
  CapturePrint capture;
  auto f = tf::function([](const tf::Tensor& x) {
    tf::print("x =", x, "{sum}", tf::reduce_sum(x));
    auto y = x * 2.0f;
    tf::print("y =", y);
    return y;
  });
  auto a = tf::constant({1.0f, 2.5f});
  f(a);
  CHECK(capture.out.str() == "x = [1.  2.5] {sum} 3.5\ny = [2. 5.]\n");
  capture.out.str("");
  f(tf::constant({-1.0f, 0.0f}));
  CHECK(capture.out.str() == "x = [-1.  0.] {sum} -1.0\ny = [-2.  0.]\n");
  CHECK(f.trace_count() == 1);
  // Compiled and eager print the same text.
  capture.out.str("");
  tf::print("x =", a, "{sum}", tf::reduce_sum(a));
  CHECK(capture.out.str() == "x = [1.  2.5] {sum} 3.5\n");
}

TEST_CASE("tf::print inside a compiled loop prints each iteration", "[control][print]") {
  CapturePrint capture;
  auto f = tf::function([](const tf::Tensor& x) {
    return tf::while_loop([](const std::vector<tf::Tensor>& v) { return v[0] < 10; },
                          [](const std::vector<tf::Tensor>& v) {
                            tf::print("i", v[0]);
                            return std::vector{v[0] * 3};
                          },
                          {x})[0];
  });
  CHECK(f(tf::constant(1)).item<int32_t>() == 27);
  CHECK(capture.out.str() == "i 1\ni 3\ni 9\n");
}

TEST_CASE("gradients flow through cond, eager and compiled", "[control][cond][gradient]") {
  auto grad = [](const tf::Tensor& x, const tf::Tensor& scale) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::cond(
        tf::reduce_sum(x) > 0.0f, [&] { return x * x * scale; }, [&] { return tf::sin(x) * 3.0f; });
    return tape.gradient(tf::reduce_sum(y), x);
  };
  auto f = tf::function(grad);
  auto scale = tf::constant(0.5f);
  for (bool compiled : {false, true}) {
    INFO("compiled: " << compiled);
    auto run = [&](const tf::Tensor& x) { return compiled ? f(x, scale) : grad(x, scale); };
    // d(sum(0.5 x^2))/dx = x
    tft::check_close(values_of(run(tf::constant({1.0f, 2.0f}))), {1, 2}, tf::float32, "then");
    // d(sum(3 sin x))/dx = 3 cos x
    tft::check_close(values_of(run(tf::constant({-1.0f, -2.0f}))),
                     {3 * std::cos(-1.0), 3 * std::cos(-2.0)}, tf::float32, "else");
  }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("compiled cond gradients: several results, variables, unconnected inputs",
          "[control][cond][gradient]") {
  tf::Variable w(tf::constant({2.0f, -1.0f}));
  auto f = tf::function([&](const tf::Tensor& x, const tf::Tensor& flag) {
    tf::GradientTape tape;
    tape.watch(x);
    auto wv = w.read_value();  // read before the cond, used inside
    auto r = tf::cond(
        flag,
        [&] {
          return std::vector<tf::Tensor>{x * wv, tf::reduce_sum(wv)};
        },
        [&] {
          return std::vector<tf::Tensor>{x + 1.0f, tf::constant(0.0f)};
        });
    auto loss = tf::reduce_sum(r[0]) + 10.0f * r[1];
    auto g = tape.gradient(loss, std::vector<tf::Source>{x, w});
    return g;
  });
  auto x = tf::constant({3.0f, 5.0f});
  auto on = f(x, tf::constant(true));
  CHECK(values_of(on[0]) == std::vector<double>{2, -1});   // d/dx sum(x*w) = w
  CHECK(values_of(on[1]) == std::vector<double>{13, 15});  // x + 10
  auto off = f(x, tf::constant(false));
  CHECK(values_of(off[0]) == std::vector<double>{1, 1});
  CHECK(values_of(off[1]) == std::vector<double>{0, 0});
  CHECK(f.trace_count() == 1);

  // A watched variable first read inside a branch is refused rather than silently dropped.
  auto inside = tf::function([&](const tf::Tensor& flag) {
    tf::GradientTape tape;
    auto y = tf::cond(
        flag, [&] { return w.read_value() * 2.0f; }, [&] { return w.read_value(); });
    return tape.gradient(tf::reduce_sum(y), w);
  });
  CHECK_THROWS_AS(inside(tf::constant(true)), tf::UnimplementedError);
}

TEST_CASE("compiled tf::print matches eager for every compiled dtype", "[control][print]") {
  auto x = tft::make({1.5, -2, 0, 3.25, 7, -0.5}, {2, 3}, tf::float32);
  for (tf::DType dtype : {tf::float16, tf::bfloat16, tf::float32, tf::float64, tf::int8, tf::int16,
                          tf::int32, tf::int64, tf::bool_}) {
    INFO(tf::dtype_name(dtype));
    auto v = tf::cast(x, dtype);
    CapturePrint eager;
    tf::print("v", v);
    auto f = tf::function([](const tf::Tensor& t) {
      tf::print("v", t);
      return t;
    });
    std::string want = eager.out.str();
    eager.out.str("");
    f(v);
    CHECK(eager.out.str() == want);
  }
}

TEST_CASE("gradients flow through a compiled while_loop with maximum_iterations",
          "[control][while][gradient]") {
  // v doubles while v < 10: y = x * 2^k after k data-dependent iterations, dy/dx = 2^k.
  auto doubled = tf::function([](const tf::Tensor& x, int64_t limit) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::while_loop(
        [](const std::vector<tf::Tensor>& v) { return v[0] < 10.0f; },
        [](const std::vector<tf::Tensor>& v) { return std::vector{v[0] * 2.0f}; }, {x}, limit)[0];
    return std::vector<tf::Tensor>{y, tape.gradient(y, x)};
  });
  auto at = [&](float x, int64_t limit) {
    return values_of(doubled(tf::constant(x), limit)[1])[0];
  };
  CHECK(at(1.0f, 8) == 16);  // 1 -> 16: four iterations
  CHECK(at(3.0f, 8) == 4);   // 3 -> 12: two
  CHECK(at(20.0f, 8) == 1);  // none
  CHECK(at(1.0f, 3) == 8);   // stopped by maximum_iterations
  CHECK(at(1.0f, 0) == 1);   // never iterates
  CHECK(doubled.trace_count() == 3);

  // Second order: v = v * v while v < 10 from x = 1.5 runs 3 times, y = x^8.
  auto second = tf::function([](const tf::Tensor& x) {
    tf::GradientTape outer;
    outer.watch(x);
    tf::GradientTape inner;
    inner.watch(x);
    auto y = tf::while_loop(
        [](const std::vector<tf::Tensor>& v) { return v[0] < 10.0; },
        [](const std::vector<tf::Tensor>& v) { return std::vector{v[0] * v[0]}; }, {x}, 5)[0];
    auto dy = inner.gradient(y, x);
    return std::vector<tf::Tensor>{dy, outer.gradient(dy, x)};
  });
  auto d = second(tf::constant(1.5));
  tft::check_close(values_of(d[0]), {8 * std::pow(1.5, 7)}, tf::float64, "dy/dx");
  tft::check_close(values_of(d[1]), {56 * std::pow(1.5, 6)}, tf::float64, "d2y/dx2");
}

TEST_CASE("a compiled recurrent loop's gradients match the eager ones",
          "[control][while][gradient]") {
  // h = tanh(h W + x_t) for t < 5, with W captured, an int counter among the loop variables and
  // x_t gathered at it; loss = sum(h^2). Eager differentiates the unrolled ops instead.
  auto random = [](const tf::TensorShape& shape, unsigned seed) {
    std::vector<float> v = tft::random_floats(static_cast<size_t>(shape.num_elements()), seed);
    return tft::make(std::vector<double>(v.begin(), v.end()), shape, tf::float32);
  };
  auto w = random({4, 4}, 1) * 0.5f, xs = random({5, 2, 4}, 2), h0 = random({2, 4}, 3);
  auto step = [](const tf::Tensor& w, const tf::Tensor& xs, const tf::Tensor& h0) {
    tf::GradientTape tape;
    for (const tf::Tensor* t : {&w, &xs, &h0}) tape.watch(*t);
    auto out =
        tf::while_loop([](const std::vector<tf::Tensor>& v) { return v[0] < 5; },
                       [&](const std::vector<tf::Tensor>& v) {
                         return std::vector<tf::Tensor>{
                             v[0] + 1, tf::tanh(tf::matmul(v[1], w) + tf::gather(xs, v[0], 0))};
                       },
                       {tf::constant(0), h0}, 16);
    tf::Tensor loss = tf::reduce_sum(out[1] * out[1]);
    std::vector<tf::Tensor> g = tape.gradient(loss, {w, xs, h0});
    g.insert(g.begin(), loss);
    return g;
  };
  auto compiled = tf::function(step);
  std::vector<tf::Tensor> want = step(w, xs, h0), got = compiled(w, xs, h0);
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("result " << i);
    tft::check_close(values_of(got[i]), values_of(want[i]), tf::float32, "recurrent step");
  }
}

namespace {
using Vars = std::vector<tf::Tensor>;

// x = x * w + 1 while i < k: x_k = w^k x + (w^k - 1) / (w - 1), so d sum(x_k)/dx = w^k and
// d sum(x_k)/dw = sum(k w^(k-1) x + ((k w^(k-1))(w - 1) - (w^k - 1)) / (w - 1)^2).
Vars affine_loop(const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& k) {
  return tf::while_loop([&](const Vars& v) { return v[0] < k; },
                        [&](const Vars& v) {
                          return Vars{v[0] + 1, v[1] * w + 1.0f};
                        },
                        {tf::constant(0), x});
}
}  // namespace

TEST_CASE("gradients flow through a compiled while_loop without maximum_iterations",
          "[control][while][gradient]") {
  tf::Variable w(tf::constant(1.5f));
  auto step = [&](const tf::Tensor& x, const tf::Tensor& k) {
    tf::GradientTape tape;
    tape.watch(x);
    auto wv = w.read_value();  // read before the loop, used in its body
    auto y = affine_loop(x, wv, k)[1];
    // k = 0 leaves w unused: eagerly None, compiled zeros (the loop op reads it), as TensorFlow.
    auto g = tape.gradient(tf::reduce_sum(y), std::vector<tf::Source>{x, w},
                           tf::UnconnectedGradients::ZERO);
    return Vars{y, g[0], g[1]};
  };
  auto compiled = tf::function(step);
  auto x = tf::constant({1.0f, -2.0f});
  for (int32_t k : {0, 1, 5, 2, 30}) {
    INFO("k = " << k);
    Vars got = compiled(x, tf::constant(k)), eager = step(x, tf::constant(k));
    double wk = std::pow(1.5, k), dwk = k * std::pow(1.5, k - 1);
    auto dw = [&](double x0) { return dwk * x0 + (dwk * 0.5 - (wk - 1)) / 0.25; };
    tft::check_close(values_of(got[0]), {wk + (wk - 1) / 0.5, -2 * wk + (wk - 1) / 0.5},
                     tf::float32, "y");
    tft::check_close(values_of(got[1]), {wk, wk}, tf::float32, "dy/dx");
    tft::check_close(values_of(got[2]), {dw(1) + dw(-2)}, tf::float32, "dy/dw");
    for (size_t i = 0; i < got.size(); ++i)
      tft::check_close(values_of(got[i]), values_of(eager[i]), tf::float32, "eager");
  }
  CHECK(compiled.trace_count() == 1);
}

TEST_CASE("compiled unbounded while_loop gradients with a value-dependent condition",
          "[control][while][gradient]") {
  // x grows by 1.5 while sum(x) < 100: n depends on x, and d sum(x_n)/dx = 1.5^n.
  auto grow = [](const tf::Tensor& x) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::while_loop([](const Vars& v) { return tf::reduce_sum(v[0]) < 100.0f; },
                            [](const Vars& v) { return Vars{v[0] * 1.5f}; }, {x})[0];
    return Vars{y, tape.gradient(tf::reduce_sum(y), x)};
  };
  auto compiled = tf::function(grow);
  for (float a : {1.0f, 30.0f, 60.0f}) {  // 10, 2 and 0 iterations
    INFO("x = " << a);
    auto x = tf::constant({a, a});
    Vars got = compiled(x), eager = grow(x);
    double scale = 1;
    while (2 * a * scale < 100) scale *= 1.5;
    tft::check_close(values_of(got[0]), {a * scale, a * scale}, tf::float32, "y");
    tft::check_close(values_of(got[1]), {scale, scale}, tf::float32, "dy/dx");
    tft::check_close(values_of(got[1]), values_of(eager[1]), tf::float32, "eager");
  }
  CHECK(compiled.trace_count() == 1);
}

TEST_CASE("compiled unbounded while_loop gradients: several variables, matrices, both results",
          "[control][while][gradient]") {
  // (i, h, s): h = tanh(h W + b), s = s + sum(h) * c while i < k, with W, b, c captured and an
  // unconnected float variable; the loss reads both float results.
  auto random = [](const tf::TensorShape& shape, unsigned seed) {
    std::vector<float> v = tft::random_floats(static_cast<size_t>(shape.num_elements()), seed);
    return tft::make(std::vector<double>(v.begin(), v.end()), shape, tf::float64);
  };
  auto w = random({3, 3}, 4) * 0.7, b = random({3}, 5), h0 = random({2, 3}, 6);
  auto c = tf::constant(0.3, tf::float64);
  auto step = [](const tf::Tensor& w, const tf::Tensor& b, const tf::Tensor& c,
                 const tf::Tensor& h0, const tf::Tensor& k) {
    tf::GradientTape tape;
    for (const tf::Tensor* t : {&w, &b, &c, &h0}) tape.watch(*t);
    auto out = tf::while_loop([&](const Vars& v) { return v[0] < k; },
                              [&](const Vars& v) {
                                auto h = tf::tanh(tf::matmul(v[1], w) + b);
                                return Vars{v[0] + 1, h, v[2] + tf::reduce_sum(h) * c, v[3] * 2.0};
                              },
                              {tf::constant(int64_t{0}), h0, tf::constant(1.0, tf::float64), c});
    auto loss = tf::reduce_sum(out[1] * out[1]) + out[2] * out[2];
    Vars g = tape.gradient(loss, std::vector<tf::Source>{w, b, c, h0},
                           tf::UnconnectedGradients::ZERO);  // k = 0: unconnected
    g.insert(g.begin(), loss);
    return g;
  };
  auto compiled = tf::function(step);
  for (int64_t k : {3, 0, 6}) {
    INFO("k = " << k);
    Vars want = step(w, b, c, h0, tf::constant(k)), got = compiled(w, b, c, h0, tf::constant(k));
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("result " << i);
      tft::check_close(values_of(got[i]), values_of(want[i]), tf::float64, "several variables");
    }
  }
  CHECK(compiled.trace_count() == 1);
}

TEST_CASE("compiled gradients through nested unbounded while_loops match eager",
          "[control][while][gradient]") {
  // for i < k: x = sin(x * w + 0.1 repeated i + 1 times), with w captured by both bodies.
  auto nested = [](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& k) {
    tf::GradientTape tape;
    tape.watch(x);
    tape.watch(w);
    auto y = tf::while_loop([&](const Vars& v) { return v[0] < k; },
                            [&](const Vars& v) {
                              auto inner =
                                  tf::while_loop([&](const Vars& u) { return u[0] <= v[0]; },
                                                 [&](const Vars& u) {
                                                   return Vars{u[0] + 1, u[1] * w + 0.1f};
                                                 },
                                                 {tf::constant(0), v[1]})[1];
                              return Vars{v[0] + 1, tf::sin(inner)};
                            },
                            {tf::constant(0), x})[1];
    Vars g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{x, w},
                           tf::UnconnectedGradients::ZERO);
    g.insert(g.begin(), y);
    return g;
  };
  auto compiled = tf::function(nested);
  auto x = tf::constant({0.4f, -0.7f, 1.3f}), w = tf::constant(0.9f);
  for (int32_t k : {0, 1, 4}) {
    INFO("k = " << k);
    Vars got = compiled(x, w, tf::constant(k)), want = nested(x, w, tf::constant(k));
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("result " << i);
      tft::check_close(values_of(got[i]), values_of(want[i]), tf::float32, "nested loops");
    }
  }
  CHECK(compiled.trace_count() == 1);
}

TEST_CASE("an eager tape differentiates a compiled call that runs an unbounded while_loop",
          "[control][while][gradient]") {
  // The call is recorded whole; its backward is the body's vector-Jacobian product, traced as
  // a function of its own, whose loop is the unbounded one.
  auto body = [](const tf::Tensor& x, const tf::Tensor& k) {
    // The gradient is taken after this returns: the loop's callables capture by value.
    auto w = tf::constant(0.5f);
    auto y = tf::while_loop([k](const Vars& v) { return v[0] < k; },
                            [w](const Vars& v) {
                              return Vars{v[0] + 1, v[1] * w + 1.0f};
                            },
                            {tf::constant(0), x})[1];
    return y * x;
  };
  auto compiled = tf::function(body);
  auto x = tf::constant({2.0f, -1.0f});
  for (int32_t k : {0, 3}) {
    INFO("k = " << k);
    Vars grads;
    for (bool use_compiled : {false, true}) {
      tf::GradientTape tape;
      tape.watch(x);
      auto y = use_compiled ? compiled(x, tf::constant(k)) : body(x, tf::constant(k));
      grads.push_back(tape.gradient(tf::reduce_sum(y), x));
    }
    // y = x (0.5^k x + 2 (1 - 0.5^k)): dy/dx = 2 * 0.5^k x + 2 (1 - 0.5^k)
    double wk = std::pow(0.5, k);
    tft::check_close(values_of(grads[1]), {4 * wk + 2 * (1 - wk), -2 * wk + 2 * (1 - wk)},
                     tf::float32, "closed form");
    tft::check_close(values_of(grads[1]), values_of(grads[0]), tf::float32, "eager");
  }
}

TEST_CASE("a compiled training step through an unbounded while_loop matches eager steps",
          "[control][while][gradient]") {
  auto train = [](bool compiled) {
    tf::Variable w(tf::constant({0.5f, -0.25f}));
    auto step = [&](const tf::Tensor& x, const tf::Tensor& k) {
      tf::GradientTape tape;
      auto wv = w.read_value();
      auto y = tf::while_loop([&](const Vars& v) { return v[0] < k; },
                              [&](const Vars& v) {
                                return Vars{v[0] + 1, tf::sin(v[1] * wv) + x};
                              },
                              {tf::constant(0), x})[1];
      auto loss = tf::reduce_sum(tf::square(y - 1.0f));
      w.assign_sub(0.1f * tape.gradient(loss, w));
      return loss;
    };
    auto fn = tf::function(step);
    std::vector<double> losses;
    auto x = tf::constant({0.8f, 1.2f});
    for (int32_t k : {4, 2, 7, 4}) {
      auto loss = compiled ? fn(x, tf::constant(k)) : step(x, tf::constant(k));
      losses.push_back(loss.item<float>());
    }
    if (compiled) CHECK(fn.trace_count() == 1);
    std::vector<double> out = values_of(w.read_value());
    out.insert(out.end(), losses.begin(), losses.end());
    return out;
  };
  std::vector<double> eager = train(false), compiled = train(true);
  CHECK(eager[0] != 0.5);  // it trained
  tft::check_close(compiled, eager, tf::float32, "weights, then losses");
}

TEST_CASE("unbounded while_loop gradients with an unknown dim in the input_signature",
          "[control][while][gradient][dynamic]") {
  auto grad = [](const tf::Tensor& x, const tf::Tensor& k) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::while_loop([&](const Vars& v) { return v[0] < k; },
                            [&](const Vars& v) {
                              return Vars{v[0] + 1, v[1] * v[1] * 0.5f + tf::reduce_mean(v[1])};
                            },
                            {tf::constant(0), x})[1];
    return tape.gradient(tf::reduce_sum(y), x);
  };
  tf::FunctionOptions options;
  options.input_signature =
      std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None}), tf::TensorSpec({}, tf::int32)};
  auto compiled = tf::function(grad, options);
  for (auto x : {tf::constant({0.5f, -0.3f}), tf::constant({0.1f, 0.2f, -0.4f, 0.9f})})
    for (int32_t k : {0, 3}) {
      INFO("size " << x.shape().to_string() << ", k = " << k);
      tft::check_close(values_of(compiled(x, tf::constant(k))), values_of(grad(x, tf::constant(k))),
                       tf::float32, "unknown dim");
    }
  CHECK(compiled.trace_count() == 1);
}

TEST_CASE("second-order gradients through a compiled unbounded while_loop match eager",
          "[control][while][gradient]") {
  // v = v * v while v < 10: from x = 1.5 three times, y = x^8; from x = 4 once, y = x^2.
  auto second = [](const tf::Tensor& x) {
    tf::GradientTape outer;
    outer.watch(x);
    tf::GradientTape inner;
    inner.watch(x);
    auto y = tf::while_loop([](const Vars& v) { return v[0] < 10.0; },
                            [](const Vars& v) { return Vars{v[0] * v[0]}; }, {x})[0];
    auto dy = inner.gradient(y, x);
    return Vars{dy, outer.gradient(dy, x, tf::UnconnectedGradients::ZERO)};
  };
  auto compiled = tf::function(second);
  for (auto [x, power] : std::vector<std::pair<double, int>>{{1.5, 8}, {4.0, 2}, {20.0, 1}}) {
    INFO("x = " << x);
    auto t = tf::constant(x, tf::float64);
    Vars got = compiled(t), eager = second(t);
    tft::check_close(values_of(got[0]), {power * std::pow(x, power - 1)}, tf::float64, "dy/dx");
    tft::check_close(values_of(got[1]), {power * (power - 1) * std::pow(x, power - 2)}, tf::float64,
                     "d2y/dx2");
    for (size_t i = 0; i < 2; ++i)
      tft::check_close(values_of(got[i]), values_of(eager[i]), tf::float64, "eager");
  }
  CHECK(compiled.trace_count() == 1);

  // A captured weight and a run-time count: x = sin(x) * w for k steps, d2/dx2 and d2/dxdw.
  auto mixed = [](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& k) {
    tf::GradientTape outer;
    outer.watch(x);
    outer.watch(w);
    tf::GradientTape inner;
    inner.watch(x);
    auto y = tf::while_loop([&](const Vars& v) { return v[0] < k; },
                            [&](const Vars& v) {
                              return Vars{v[0] + 1, tf::sin(v[1]) * w};
                            },
                            {tf::constant(0), x})[1];
    auto dy = inner.gradient(tf::reduce_sum(y), x);
    Vars g = outer.gradient(tf::reduce_sum(dy), std::vector<tf::Source>{x, w},
                            tf::UnconnectedGradients::ZERO);
    g.insert(g.begin(), dy);
    return g;
  };
  auto mixed_compiled = tf::function(mixed);
  auto x = tf::constant({0.3, -1.1}, tf::float64), w = tf::constant(1.2, tf::float64);
  for (int32_t k : {0, 1, 4}) {
    INFO("k = " << k);
    Vars got = mixed_compiled(x, w, tf::constant(k)), want = mixed(x, w, tf::constant(k));
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("result " << i);
      tft::check_close(values_of(got[i]), values_of(want[i]), tf::float64, "second order");
    }
  }
  CHECK(mixed_compiled.trace_count() == 1);
}
