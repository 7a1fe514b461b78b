// Structural ops inside a tf::function traced with unknown dims: each case runs compiled, once
// traced for every size, and must equal the same ops run eagerly (whose values the op suites
// check against hand-computed ones), forward and gradient, for batches from 0 to 6.
#include <functional>
#include <string>
#include <vector>

#include "tests/helpers.h"

using tft::values_of;

namespace {

using Fn = std::function<tf::Tensor(const tf::Tensor&)>;

struct Case {
  const char* name;
  Fn fn;
  int64_t min_batch = 0;  // rows the op reads at fixed positions
  bool differentiable = true;
};

// (n, 4) float32, element (i, j) = 4i + j - 5.
tf::Tensor rows(int64_t n) {
  std::vector<double> v;
  for (int64_t i = 0; i < n * 4; ++i) v.push_back(static_cast<double>(i) - 5);
  return tft::make(v, {n, 4}, tf::float32);
}

// d/dx sum(f(x)^2), so every output element weighs differently in the gradient.
tf::Tensor grad_of(const Fn& fn, const tf::Tensor& x) {
  tf::GradientTape tape;
  tape.watch(x);
  tf::Tensor y = fn(x);
  return tape.gradient(tf::reduce_sum(y * y), x);
}

const std::vector<Case>& cases() {
  using namespace tf;
  static const std::vector<Case> kCases = {
      {"x[k:] on the unknown dim", [](const Tensor& x) { return x(tf::slice(1, std::nullopt)); },
       1},
      {"x[:, 1:3] past an unknown dim", [](const Tensor& x) { return x(all, tf::slice(1, 3)); }},
      {"x[:, 2] drops a known dim", [](const Tensor& x) { return x(all, 2); }},
      {"x[1] on the unknown dim", [](const Tensor& x) { return x(1); }, 2},
      {"tf::slice with size -1",
       [](const Tensor& x) {
         return tf::slice(x, {1, 1}, {-1, 2});
       },
       1},
      {"tf::slice with a fixed size on the unknown dim",
       [](const Tensor& x) {
         return tf::slice(x, {1, 0}, {2, -1});
       },
       3},
      {"an empty slice of a known dim", [](const Tensor& x) { return x(all, tf::slice(1, 1)); }},
      {"reverse a known axis", [](const Tensor& x) { return tf::reverse(x, {1}); }},
      {"reverse the unknown axis",
       [](const Tensor& x) {
         return tf::reverse(x, {0, 1});
       }},
      {"x[::-1] on the unknown dim",
       [](const Tensor& x) {
         return x(tf::slice(std::nullopt, std::nullopt, -1), tf::slice(3, 0, -2));
       }},
      {"concat along a known axis",
       [](const Tensor& x) {
         return tf::concat({x, 2.0f * x}, 1);
       }},
      {"concat with the unknown part last",
       [](const Tensor& x) {
         return tf::concat({tf::ones({2, 4}), x}, 0);
       }},
      {"stack",
       [](const Tensor& x) {
         return tf::stack({x, -x}, 1);
       }},
      {"unstack a known axis", [](const Tensor& x) { return tf::unstack(x, 1)[2] * 3.0f; }},
      {"split a known axis", [](const Tensor& x) { return tf::split(x, 2, 1)[1]; }},
      {"split the unknown axis as (1, -1)",
       [](const Tensor& x) {
         return tf::split(x, std::vector<int64_t>{1, -1}, 0)[1];
       },
       1},
      {"pad a known dim",
       [](const Tensor& x) {
         return tf::pad(x, {{0, 0}, {1, 2}}, 7.0);
       }},
      {"pad before the unknown dim",
       [](const Tensor& x) {
         return tf::pad(x, {{2, 0}, {0, 0}});
       }},
      {"tile known dims",
       [](const Tensor& x) {
         return tf::tile(x, {1, 3});
       }},
      {"gather along a known axis",
       [](const Tensor& x) {
         return tf::gather(x, tf::constant({3, 0, 3}), 1);
       }},
      {"gather with unknown indices",
       [](const Tensor& x) {
         return tf::gather(tf::reshape(tf::range(0.0f, 8.0f), {4, 2}),
                           tf::cast(tf::abs(x), tf::int32) % 4, 0);
       },
       0, false},
      {"expand_dims and squeeze",
       [](const Tensor& x) { return tf::squeeze(tf::expand_dims(tf::expand_dims(x, 0), 2), {0}); }},
      {"argmax of a known axis", [](const Tensor& x) { return tf::argmax(-x * x, 1); }, 0, false},
      {"concat of two unknown parts",
       [](const Tensor& x) {
         return tf::concat({x, x * x}, 0);
       }},
      {"concat with an unknown part first",
       [](const Tensor& x) {
         return tf::concat({x, tf::ones({2, 4}), 2.0f * x}, 0);
       }},
      {"pad after the unknown dim",
       [](const Tensor& x) {
         return tf::pad(x, {{1, 2}, {0, 1}}, -1.0);
       }},
      {"tile the unknown dim",
       [](const Tensor& x) {
         return tf::tile(x, {3, 2});
       }},
      {"tile the unknown dim 0 times",
       [](const Tensor& x) {
         return tf::tile(x, {0, 1});
       }},
      {"x[-1] on the unknown dim", [](const Tensor& x) { return x(-1); }, 1},
      {"x[-2:] on the unknown dim", [](const Tensor& x) { return x(tf::slice(-2, std::nullopt)); },
       2},
      {"x[-3:-1] on the unknown dim", [](const Tensor& x) { return x(tf::slice(-3, -1)); }, 3},
      {"x[-3::2] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(-3, std::nullopt, 2)); }, 3},
      {"x[:-1] on the unknown dim", [](const Tensor& x) { return x(tf::slice(std::nullopt, -1)); },
       1},
      {"x[1:-1] on the unknown dim", [](const Tensor& x) { return x(tf::slice(1, -1)); }, 2},
      {"x[1:3] on the unknown dim", [](const Tensor& x) { return x(tf::slice(1, 3)); }, 3},
      {"x[4:0:-2] on the unknown dim", [](const Tensor& x) { return x(tf::slice(4, 0, -2)); }, 5},
      {"x[-1::-1] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(-1, std::nullopt, -1)); }},
      {"x[-2::-1] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(-2, std::nullopt, -1)); }, 1},
      {"x[:-3:-1] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(std::nullopt, -3, -1)); }, 2},
      {"x[-1:-4:-1] on the unknown dim", [](const Tensor& x) { return x(tf::slice(-1, -4, -1)); },
       3},
      {"x[3:0:-1] on the unknown dim", [](const Tensor& x) { return x(tf::slice(3, 0, -1)); }, 4},
      {"x[:0:-1] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(std::nullopt, 0, -1)); }, 1},
      {"x[3::-2] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(3, std::nullopt, -2)); }, 4},
      {"gather along the unknown dim",
       [](const Tensor& x) {
         return tf::gather(x, tf::constant({1, 0, 1}), 0);
       },
       2},
      {"split the unknown dim in 2",
       [](const Tensor& x) {
         return tf::split(tf::concat({x, x * 2.0f}, 0), 2, 0)[1] * 3.0f;
       }},
      {"x[::2] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(std::nullopt, std::nullopt, 2)); }},
      {"x[1::3] on the unknown dim",
       [](const Tensor& x) { return x(tf::slice(1, std::nullopt, 3)); }, 1},
      {"tile the unknown dim 5 times",
       [](const Tensor& x) {
         return tf::tile(x, {5, 1});
       }},
      {"one_hot of unknown indices",
       [](const Tensor& x) { return tf::one_hot(tf::cast(tf::abs(x), tf::int32) % 5, 5); }, 0,
       false},
  };
  return kCases;
}

tf::FunctionOptions unknown_batch() {
  tf::FunctionOptions o;
  o.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 4})};
  return o;
}

}  // namespace

TEST_CASE("structural ops with an unknown batch dim match eager at every batch size", "[dynamic]") {
  for (const Case& c : cases()) {
    INFO(c.name);
    auto f = tf::function([fn = c.fn](const tf::Tensor& x) { return fn(x); }, unknown_batch());
    for (int64_t n : {3, 6, 1, 0}) {
      if (n < c.min_batch) continue;
      INFO("batch " << n);
      tf::Tensor x = rows(n), want = c.fn(x), got = f(x);
      CHECK(got.shape() == want.shape());
      CHECK(got.dtype() == want.dtype());
      CHECK(values_of(got) == values_of(want));
    }
    CHECK(f.trace_count() == 1);
  }
}

TEST_CASE("gradients through structural ops with an unknown batch dim match eager", "[dynamic]") {
  for (const Case& c : cases()) {
    if (!c.differentiable) continue;
    INFO(c.name);
    auto g =
        tf::function([fn = c.fn](const tf::Tensor& x) { return grad_of(fn, x); }, unknown_batch());
    for (int64_t n : {3, 5, 0}) {
      if (n < c.min_batch) continue;
      INFO("batch " << n);
      tf::Tensor x = rows(n), want = grad_of(c.fn, x), got = g(x);
      CHECK(got.shape() == x.shape());
      CHECK(values_of(got) == values_of(want));
    }
    CHECK(g.trace_count() == 1);
  }
}

TEST_CASE("unknown dims are checked at the call: reads past the end raise typed errors",
          "[dynamic]") {
  auto from2 = tf::function([](const tf::Tensor& x) { return x(tf::slice(2, std::nullopt)); },
                            unknown_batch());
  CHECK(from2(rows(2)).shape() == tf::TensorShape{0, 4});
  CHECK_THROWS_AS(from2(rows(1)), tf::InvalidArgumentError);  // tf.slice: begin past the end
  auto row1 = tf::function([](const tf::Tensor& x) { return x(1); }, unknown_batch());
  CHECK(values_of(row1(rows(2))) == std::vector<double>{-1, 0, 1, 2});
  CHECK_THROWS_AS(row1(rows(1)), tf::InvalidArgumentError);
  auto argmax0 =
      tf::function([](const tf::Tensor& x) { return tf::argmax(x, 0); }, unknown_batch());
  CHECK(values_of(argmax0(rows(3))) == std::vector<double>{2, 2, 2, 2});
  try {
    argmax0(rows(0));
    FAIL("expected InvalidArgumentError");
  } catch (const tf::InvalidArgumentError& e) {
    CHECK(std::string(e.what()).find("argmax: axis 0 of (0, 4) is empty") != std::string::npos);
  }
}

TEST_CASE("ops that need an unknown dim's size while tracing raise UnimplementedError naming it",
          "[dynamic]") {
  const std::vector<std::pair<std::string, Fn>> refused = {
      {"index: dimension 0", [](const tf::Tensor& x) { return x(tf::slice(-2, 3)); }},
  };
  for (const auto& [what, fn] : refused) {
    INFO(what);
    auto f = tf::function([fn = fn](const tf::Tensor& x) { return fn(x); }, unknown_batch());
    try {
      f(rows(3));
      FAIL("expected UnimplementedError");
    } catch (const tf::UnimplementedError& e) {
      CHECK(std::string(e.what()).find(what + " of (None, 4) is unknown") != std::string::npos);
    }
  }
}

TEST_CASE("tile and concat beside several unknown dims match eager, gradients too", "[dynamic]") {
  tf::FunctionOptions two_unknown;
  two_unknown.input_signature =
      std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, tf::None, 2})};
  const std::vector<Fn> fns = {
      [](const tf::Tensor& x) {
        return tf::tile(x, {1, 1, 3});
      },
      [](const tf::Tensor& x) {
        return tf::tile(x, {2, 3, 1});
      },
      [](const tf::Tensor& x) {
        return tf::concat({x, x(tf::all, tf::slice(1, std::nullopt))}, 1);
      },
      [](const tf::Tensor& x) {  // every other row, and every other column from 1, to the ends
        return x(tf::slice(std::nullopt, std::nullopt, 2), tf::slice(1, std::nullopt, 2));
      },
  };
  for (size_t k = 0; k < fns.size(); ++k) {
    INFO("function " << k);
    const Fn& fn = fns[k];
    auto f = tf::function([fn](const tf::Tensor& x) { return fn(x); }, two_unknown);
    auto g = tf::function([fn](const tf::Tensor& x) { return grad_of(fn, x); }, two_unknown);
    for (const tf::TensorShape& shape : {tf::TensorShape{2, 3, 2}, tf::TensorShape{1, 4, 2},
                                         tf::TensorShape{0, 1, 2}, tf::TensorShape{3, 1, 2}}) {
      INFO("shape " << shape);
      std::vector<double> v;
      for (int64_t i = 0; i < shape.num_elements(); ++i) v.push_back(static_cast<double>(i) - 3);
      tf::Tensor x = tft::make(v, shape, tf::float32);
      CHECK(values_of(f(x)) == values_of(fn(x)));
      CHECK(f(x).shape() == fn(x).shape());
      CHECK(values_of(g(x)) == values_of(grad_of(fn, x)));
    }
    CHECK(f.trace_count() == 1);
    CHECK(g.trace_count() == 1);
  }
}

TEST_CASE("positions from the end of an unknown dim are checked at the call", "[dynamic]") {
  auto last3 = tf::function([](const tf::Tensor& x) { return x(tf::slice(-3, std::nullopt)); },
                            unknown_batch());
  CHECK(values_of(last3(rows(4))) == values_of(rows(4)(tf::slice(1, std::nullopt))));
  CHECK_THROWS_AS(last3(rows(2)), tf::InvalidArgumentError);  // NumPy would clamp to 2 rows
  auto halves =
      tf::function([](const tf::Tensor& x) { return tf::split(x, 2, 0)[0]; }, unknown_batch());
  CHECK(values_of(halves(rows(4))) == values_of(rows(2)));
  CHECK_THROWS_AS(halves(rows(3)), tf::InvalidArgumentError);  // 2 does not divide 3
  auto gather2 = tf::function(
      [](const tf::Tensor& x) { return tf::gather(x, tf::constant({2}), 0); }, unknown_batch());
  CHECK(values_of(gather2(rows(3))) == values_of(rows(3)(tf::slice(2, 3))));
  CHECK_THROWS_WITH(gather2(rows(2)),
                    Catch::Contains("gather: an index is out of range [0, its size) for axis 0"));
  auto last = tf::function([](const tf::Tensor& x) { return x(-1); }, unknown_batch());
  CHECK(values_of(last(rows(2))) == std::vector<double>{-1, 0, 1, 2});
  CHECK_THROWS_AS(last(rows(0)), tf::InvalidArgumentError);
  // A stop before the start: NumPy's x[1:-1] of one row is empty; here it raises.
  auto inner =
      tf::function([](const tf::Tensor& x) { return x(tf::slice(1, -1)); }, unknown_batch());
  CHECK(inner(rows(3)).shape() == tf::TensorShape{1, 4});
  CHECK_THROWS_AS(inner(rows(1)), tf::InvalidArgumentError);
}

TEST_CASE("second-order gradients through concat of unknown parts", "[dynamic]") {
  // y = concat(x * x, x): d/dx sum(y^2) = 4x^3 + 2x, and d/dx of its sum = 12x^2 + 2.
  auto f = tf::function(
      [](const tf::Tensor& x) {
        tf::GradientTape outer;
        outer.watch(x);
        tf::GradientTape inner;
        inner.watch(x);
        tf::Tensor y = tf::concat({x * x, x}, 0);
        tf::Tensor g = inner.gradient(tf::reduce_sum(y * y), x);
        return outer.gradient(tf::reduce_sum(g), x);
      },
      unknown_batch());
  for (int64_t n : {3, 1, 0}) {
    tf::Tensor x = rows(n);
    std::vector<double> want;
    for (double v : values_of(x)) want.push_back(12 * v * v + 2);
    CHECK(values_of(f(x)) == want);
  }
  CHECK(f.trace_count() == 1);
}
