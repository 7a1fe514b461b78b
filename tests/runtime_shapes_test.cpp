// Shape tensors whose values are run-time sizes inside a tf::function with unknown dims:
// tf::shape(y), indexed and stacked with known sizes, passed to reshape, zeros, ones, fill and
// broadcast_to, as TensorFlow programs write them. Each compiled result must equal the same
// code run eagerly (whose shape tensors are concrete), at several sizes under one trace.
#include <functional>
#include <vector>

#include "tests/helpers.h"

using tft::values_of;

namespace {

tf::Tensor counting(const tf::TensorShape& shape) {
  std::vector<double> v;
  for (int64_t i = 0; i < shape.num_elements(); ++i) v.push_back(static_cast<double>(i % 7) - 2);
  return tft::make(v, shape, tf::float32);
}

tf::FunctionOptions signature(std::vector<tf::TensorSpec> specs) {
  tf::FunctionOptions o;
  o.input_signature = std::move(specs);
  return o;
}

// d/dx sum(f(x) * f(x)).
tf::Tensor grad_of(const std::function<tf::Tensor(const tf::Tensor&)>& fn, const tf::Tensor& x) {
  tf::GradientTape tape;
  tape.watch(x);
  tf::Tensor y = fn(x);
  return tape.gradient(tf::reduce_sum(y * y), x);
}

}  // namespace

TEST_CASE("reshape(x, [tf.shape(x)[0], -1, heads, depth]) splits heads under an unknown batch",
          "[dynamic][runtime_shapes]") {
  auto split_heads = [](const tf::Tensor& x) {
    tf::Tensor shape =
        tf::stack({tf::shape(x)(0), tf::constant(-1), tf::constant(2), tf::constant(4)});
    return tf::transpose(tf::reshape(x, shape), {0, 2, 1, 3});
  };
  const auto spec = signature({tf::TensorSpec({tf::None, tf::None, 8})});
  auto f = tf::function(split_heads, spec);
  auto g = tf::function([&](const tf::Tensor& x) { return grad_of(split_heads, x); }, spec);
  for (const tf::TensorShape& shape :
       {tf::TensorShape{2, 3, 8}, tf::TensorShape{1, 1, 8}, tf::TensorShape{3, 2, 8}}) {
    INFO("shape " << shape);
    tf::Tensor x = counting(shape);
    CHECK(f(x).shape() == split_heads(x).shape());
    CHECK(values_of(f(x)) == values_of(split_heads(x)));
    CHECK(values_of(g(x)) == values_of(grad_of(split_heads, x)));
  }
  CHECK(f.trace_count() == 1);
  CHECK(g.trace_count() == 1);
}

TEST_CASE("reshape(a, tf.shape(b)) and flattening several unknown dims and back",
          "[dynamic][runtime_shapes]") {
  auto like_b = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) { return tf::reshape(a, tf::shape(b)); },
      signature({tf::TensorSpec({tf::None}), tf::TensorSpec({tf::None, tf::None})}));
  tf::Tensor a = counting({12});
  CHECK(like_b(a, tf::zeros({3, 4})).shape() == tf::TensorShape{3, 4});
  CHECK(values_of(like_b(a, tf::zeros({3, 4}))) == values_of(a));
  CHECK(like_b(a, tf::zeros({12, 1})).shape() == tf::TensorShape{12, 1});
  CHECK(like_b(tf::zeros({0}), tf::zeros({0, 7})).shape() == tf::TensorShape{0, 7});
  CHECK_THROWS_AS(like_b(counting({5}), tf::zeros({2, 3})), tf::InvalidArgumentError);
  CHECK(like_b.trace_count() == 1);
  // [rows, -1] of an empty tensor: nothing to infer from, as eagerly (found by tfjit-fuzz).
  auto rows_by_rest = tf::function(
      [](const tf::Tensor& x) {
        return tf::reshape(x, tf::stack({tf::shape(x)(0), tf::constant(-1)}));
      },
      signature({tf::TensorSpec({tf::None, tf::None})}));
  CHECK(values_of(rows_by_rest(counting({2, 3}))) == values_of(counting({2, 3})));
  CHECK_THROWS_AS(tf::reshape(tf::zeros({0, 4}), tf::constant({0, -1})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(rows_by_rest(tf::zeros({0, 4})), tf::InvalidArgumentError);

  auto round_trip = [](const tf::Tensor& x) {
    tf::Tensor flat = tf::reshape(x, {-1}) * 3.0f;
    return tf::reshape(flat, tf::shape(x));
  };
  const auto spec = signature({tf::TensorSpec({tf::None, tf::None, 2})});
  auto f = tf::function(round_trip, spec);
  auto g = tf::function([&](const tf::Tensor& x) { return grad_of(round_trip, x); }, spec);
  for (const tf::TensorShape& shape :
       {tf::TensorShape{2, 3, 2}, tf::TensorShape{4, 1, 2}, tf::TensorShape{0, 3, 2}}) {
    INFO("shape " << shape);
    tf::Tensor x = counting(shape);
    CHECK(f(x).shape() == shape);
    CHECK(values_of(f(x)) == values_of(round_trip(x)));
    CHECK(values_of(g(x)) == values_of(grad_of(round_trip, x)));
  }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("zeros, ones, fill and broadcast_to of tf.shape(x) under unknown dims",
          "[dynamic][runtime_shapes]") {
  auto f = tf::function(
      [](const tf::Tensor& x) {
        tf::Tensor s = tf::shape(x);
        return tf::zeros(s) + tf::fill(s, 2.5f) + tf::cast(tf::ones(s, tf::int32), tf::float32) +
               tf::broadcast_to(tf::constant(0.25f), s) +
               tf::broadcast_to(tf::constant({10.f, 20.f, 30.f}), s) + x;
      },
      signature({tf::TensorSpec({tf::None, 3})}));
  for (int64_t n : {2, 0, 5}) {
    tf::Tensor x = counting({n, 3});
    std::vector<double> want = values_of(x);
    for (size_t i = 0; i < want.size(); ++i) want[i] += 2.5 + 1 + 0.25 + 10.0 * (i % 3 + 1);
    CHECK(f(x).shape() == tf::TensorShape{n, 3});
    CHECK(values_of(f(x)) == want);
  }
  CHECK(f.trace_count() == 1);
  // Trailing dims of a higher-rank tensor's shape.
  auto trailing = tf::function(
      [](const tf::Tensor& y) { return tf::ones(tf::shape(y)(tf::slice(1, std::nullopt))); },
      signature({tf::TensorSpec({tf::None, tf::None, 3})}));
  CHECK(trailing(counting({2, 5, 3})).shape() == tf::TensorShape{5, 3});
  CHECK(values_of(trailing(counting({2, 5, 3}))) == std::vector<double>(15, 1));
  // -1 is not "unknown" in a shape to fill or broadcast to: negative, as eagerly.
  auto minus_one = tf::function(
      [](const tf::Tensor& y) {
        return tf::zeros(tf::stack({tf::shape(y)(0), tf::constant(-1)}));
      },
      signature({tf::TensorSpec({tf::None, tf::None})}));
  CHECK_THROWS_AS(tf::zeros(tf::constant({2, -1})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(minus_one(counting({2, 3})), tf::InvalidArgumentError);
  // A run-time size where it does not broadcast from: a typed error naming the op.
  auto misplaced =
      tf::function([](const tf::Tensor& x) { return tf::fill(tf::stack({tf::shape(x)(0)}), 1.0f); },
                   signature({tf::TensorSpec({tf::None, 3})}));
  CHECK_THROWS_AS(misplaced(counting({2, 3})), tf::UnimplementedError);
}
