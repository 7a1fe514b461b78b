// Shape ops: reshape, expand_dims, squeeze, transpose, concat, stack, unstack, slice, reverse,
// shape, rank — hand-computed values, eager == compiled, and bad input.
#include <functional>

#include "tests/helpers.h"

using tft::values_of;

namespace {

tf::Tensor iota(const tf::TensorShape& shape, tf::DType dtype = tf::int32) {
  std::vector<double> v(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return tft::make(v, shape, dtype);
}

// Runs `f` eagerly and compiled and checks both give `want` with `shape`.
template <class F>
void check_both(F f, const tf::Tensor& x, const tf::TensorShape& shape,
                const std::vector<double>& want) {
  auto eager = f(x);
  CHECK(eager.shape() == shape);
  CHECK(values_of(eager) == want);
  auto graph = tf::function(f)(x);
  CHECK(graph.shape() == shape);
  CHECK(values_of(graph) == want);
}

}  // namespace

TEST_CASE("reshape, expand_dims and squeeze keep row-major order", "[shape]") {
  auto x = iota({2, 3});
  check_both(
      [](const tf::Tensor& t) {
        return tf::reshape(t, {3, -1});
      },
      x, {3, 2}, {0, 1, 2, 3, 4, 5});
  check_both([](const tf::Tensor& t) { return tf::reshape(t, {-1}); }, x, {6}, {0, 1, 2, 3, 4, 5});
  check_both([](const tf::Tensor& t) { return tf::expand_dims(t, -1); }, x, {2, 3, 1},
             {0, 1, 2, 3, 4, 5});
  check_both(
      [](const tf::Tensor& t) {
        return tf::squeeze(tf::reshape(t, {1, 2, 1, 3}));
      },
      x, {2, 3}, {0, 1, 2, 3, 4, 5});
  check_both(
      [](const tf::Tensor& t) {
        return tf::reshape(tf::reduce_sum(t), {1, 1});
      },
      x, {1, 1}, {15});
  check_both(
      [](const tf::Tensor& t) {
        return tf::reshape(tf::reshape(t, {6, 1}), {1, 2, 3});
      },
      x, {1, 2, 3}, {0, 1, 2, 3, 4, 5});
  {
    auto cpu = tf::device_scope("/CPU:0");
    tf::Tensor h = tf::identity(x);
    CHECK(tf::reshape(h, {3, 2}).data() == h.data());  // eager reshape shares the buffer
  }
  CHECK(tf::squeeze(tf::zeros({1, 3, 1}), {0}).shape() == tf::TensorShape{3, 1});
  CHECK(tf::reshape(tf::zeros({0, 4}), {4, -1, 2}).shape() == tf::TensorShape{4, 0, 2});
}

TEST_CASE("reshape and squeeze reject impossible shapes, naming them", "[shape][errors]") {
  auto x = iota({2, 3});
  CHECK_THROWS_WITH(tf::reshape(x, {4, -1}),
                    Catch::Contains("reshape") && Catch::Contains("(2, 3)"));
  CHECK_THROWS_AS(tf::reshape(x, {-1, -1}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::reshape(x, {7}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::reshape(x, {-2, 3}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::reshape(tf::zeros({0}), {-1, 0}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::squeeze(x, {0}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::expand_dims(x, 3), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::expand_dims(x, int64_t{0x7fffffff}), tf::InvalidArgumentError);
}

TEST_CASE("transpose permutes dimensions", "[shape]") {
  auto x = iota({2, 3});
  check_both([](const tf::Tensor& t) { return tf::transpose(t); }, x, {3, 2}, {0, 3, 1, 4, 2, 5});
  auto cube = iota({2, 3, 4});
  auto want = [&] {
    std::vector<double> w;
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) w.push_back(i * 12 + j * 4 + k);
    return w;
  }();
  check_both(
      [](const tf::Tensor& t) {
        return tf::transpose(t, {2, 0, 1});
      },
      cube, {4, 2, 3}, want);
  CHECK_THROWS_WITH(tf::transpose(cube, {0, 0, 1}),
                    Catch::Contains("transpose") && Catch::Contains("permutation"));
  CHECK_THROWS_AS(tf::transpose(cube, {0, 1}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::transpose(cube, {0, 1, 3}), tf::InvalidArgumentError);
}

TEST_CASE("transposes that move the innermost dim move every element's bits, in every width",
          "[shape]") {
  // Large enough for the register-blocked path (backends/cpu/transpose.cpp), odd enough for its
  // edges; int32 values that float32 would round (above 2^24) or that are NaNs as float bits.
  for (auto dtype : {tf::int32, tf::float32, tf::int64, tf::float64, tf::float16, tf::bfloat16}) {
    INFO(tf::dtype_name(dtype));
    for (auto [shape, perm] :
         {std::pair<std::vector<int64_t>, std::vector<int64_t>>{{3, 20, 13}, {0, 2, 1}},
          {{2, 9, 3, 17}, {0, 2, 3, 1}},
          {{17, 33}, {1, 0}},
          {{2, 5, 6, 9}, {0, 3, 1, 2}},  // NHWC to NCHW: [N, C, H·W] once merged
          {{10, 3, 11}, {2, 0, 1}},
          {{4, 256, 160}, {0, 2, 1}},  // a stack split by matrices over the pool
          {{5, 1, 12}, {2, 1, 0}}}) {  // a size-1 dim between
      const tf::TensorShape in_shape(shape);
      const int64_t n = in_shape.num_elements();
      std::vector<double> v(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        v[i] = dtype == tf::int32 ? (i % 3 == 0   ? -1.0
                                     : i % 3 == 1 ? 2139095041.0
                                                  : 16777217.0 + i)
               // integers each holds exactly, modulo a prime: a block's values differ, as do
               // stacked blocks
               : dtype == tf::float16  ? double(i % 2039)
               : dtype == tf::bfloat16 ? double(i % 251)
                                       : double(i);
      auto x = tft::make(v, in_shape, dtype);
      std::vector<int64_t> out_dims, in_strides(shape.size(), 1);
      for (size_t d = shape.size() - 1; d-- > 0;) in_strides[d] = in_strides[d + 1] * shape[d + 1];
      for (int64_t p : perm) out_dims.push_back(shape[p]);
      std::vector<double> want;  // out[i...] = in[i permuted back], walked in the output's order
      std::vector<int64_t> index(perm.size(), 0);
      for (int64_t e = 0; e < n; ++e) {
        int64_t offset = 0;
        for (size_t d = 0; d < perm.size(); ++d) offset += index[d] * in_strides[perm[d]];
        want.push_back(v[offset]);
        for (size_t d = perm.size(); d-- > 0;)
          if (++index[d] < out_dims[d])
            break;
          else
            index[d] = 0;
      }
      check_both([perm](const tf::Tensor& t) { return tf::transpose(t, perm); }, x,
                 tf::TensorShape(out_dims), want);
    }
  }
}

TEST_CASE("concat, stack and unstack", "[shape]") {
  auto a = iota({2, 2}), b = iota({2, 1}) + 10;
  CHECK(values_of(tf::concat({a, b}, 1)) == std::vector<double>{0, 1, 10, 2, 3, 11});
  CHECK(values_of(tf::concat({a, a}, 0)) == std::vector<double>{0, 1, 2, 3, 0, 1, 2, 3});
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) {
    return tf::concat({x, y, x}, -1);
  });
  CHECK(values_of(f(a, b)) == std::vector<double>{0, 1, 10, 0, 1, 2, 3, 11, 2, 3});
  auto s = tf::stack({tf::constant({1, 2}), tf::constant({3, 4})}, 1);
  CHECK(s.shape() == tf::TensorShape{2, 2});
  CHECK(s.to_vector<int32_t>() == std::vector<int32_t>{1, 3, 2, 4});
  auto parts = tf::unstack(iota({2, 3}), 1);
  REQUIRE(parts.size() == 3);
  CHECK(parts[1].to_vector<int32_t>() == std::vector<int32_t>{1, 4});
  auto g = tf::function([](const tf::Tensor& x) { return tf::unstack(x, 0); });
  auto rows = g(iota({2, 3}));
  CHECK(rows[1].to_vector<int32_t>() == std::vector<int32_t>{3, 4, 5});
  CHECK_THROWS_WITH(tf::concat({a, iota({3, 3})}, 1), Catch::Contains("concat"));
  CHECK_THROWS_AS(tf::concat({a, tf::zeros({2, 2})}, 0),
                  tf::InvalidArgumentError);  // int32 vs float32
  CHECK_THROWS_AS(tf::concat({}, 0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::concat({a, a}, 2), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::stack({a, b}), tf::InvalidArgumentError);
}

TEST_CASE("slice and reverse", "[shape]") {
  auto x = iota({3, 4});
  check_both(
      [](const tf::Tensor& t) {
        return tf::slice(t, {1, 1}, {2, -1});
      },
      x, {2, 3}, {5, 6, 7, 9, 10, 11});
  check_both([](const tf::Tensor& t) { return tf::reverse(t, {1}); }, x, {3, 4},
             {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
  check_both(
      [](const tf::Tensor& t) {
        return tf::reverse(t, {0, -1});
      },
      x, {3, 4}, {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(tf::slice(x, {3, 0}, {0, 4}).shape() == tf::TensorShape{0, 4});
  CHECK_THROWS_WITH(tf::slice(x, {2, 0}, {2, 4}),
                    Catch::Contains("slice") && Catch::Contains("(3, 4)"));
  CHECK_THROWS_AS(tf::slice(x, {-1, 0}, {1, 1}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::slice(x, {0}, {1}), tf::InvalidArgumentError);
}

TEST_CASE("shape, rank and size describe a tensor as int32 tensors", "[shape]") {
  auto x = tf::zeros({2, 3, 4});
  CHECK(tf::shape(x).to_vector<int32_t>() == std::vector<int32_t>{2, 3, 4});
  CHECK(tf::rank(x).item<int32_t>() == 3);
  CHECK(tf::size(x).item<int32_t>() == 24);
  auto f =
      tf::function([](const tf::Tensor& t) { return tf::cast(tf::shape(t), tf::float32) * 2.0f; });
  CHECK(f(x).to_vector<float>() == std::vector<float>{4, 6, 8});
}

TEST_CASE("split, tile and pad", "[shape]") {
  auto x = iota({2, 6});
  auto parts = tf::split(x, 3, 1);
  REQUIRE(parts.size() == 3);
  CHECK(values_of(parts[1]) == std::vector<double>{2, 3, 8, 9});
  auto uneven = tf::split(x, std::vector<int64_t>{1, -1}, 1);
  CHECK(uneven[1].shape() == tf::TensorShape{2, 5});
  CHECK_THROWS_AS(tf::split(x, 4, 1), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::split(x, std::vector<int64_t>{2, 2}, 1), tf::InvalidArgumentError);
  check_both(
      [](const tf::Tensor& t) {
        return tf::tile(t, {2, 1});
      },
      iota({1, 3}), {2, 3}, {0, 1, 2, 0, 1, 2});
  check_both(
      [](const tf::Tensor& t) {
        return tf::tile(t, {1, 2});
      },
      iota({2, 2}), {2, 4}, {0, 1, 0, 1, 2, 3, 2, 3});
  check_both(
      [](const tf::Tensor& t) {
        return tf::pad(t, {{1, 0}, {0, 2}}, 9);
      },
      iota({1, 2}), {2, 4}, {9, 9, 9, 9, 0, 1, 9, 9});
  CHECK_THROWS_AS(tf::tile(x, {2}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::pad(x, {{-1, 0}, {0, 0}}), tf::InvalidArgumentError);
}

TEST_CASE("gather takes slices at indices, out-of-range indices are rejected eagerly and compiled",
          "[shape][gather]") {
  auto x = iota({3, 4});
  auto rows = tf::constant({2, 0, 2});
  check_both([&](const tf::Tensor& t) { return tf::gather(t, rows); }, x, {3, 4},
             {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
  check_both(
      [](const tf::Tensor& t) {
        return tf::gather(t, tf::constant({{3, 0}}), 1);
      },
      x, {3, 1, 2}, {3, 0, 7, 4, 11, 8});
  CHECK_THROWS_WITH(tf::gather(x, tf::constant({3})),
                    Catch::Contains("gather") && Catch::Contains("index 3"));
  CHECK_THROWS_AS(tf::gather(x, tf::constant({-1})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::gather(x, tf::constant({0.5f})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::gather(tf::zeros({0, 2}), tf::constant({0})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::gather(x, rows, 2), tf::InvalidArgumentError);
  // Compiled, indices known only at run time are checked when the call has run; the function
  // stays usable. Indices captured while tracing are checked then.
  auto f = tf::function([](const tf::Tensor& t, const tf::Tensor& i) { return tf::gather(t, i); });
  for (auto bad :
       {tf::constant({1, 5}), tf::constant({-2, 0}), tf::constant(std::vector<int64_t>{3})})
    CHECK_THROWS_WITH(f(iota({3}), bad),
                      Catch::Contains("gather: an index is out of range [0, 3) for axis 0"));
  CHECK(f(iota({3}), tf::constant({2, 0})).to_vector<int32_t>() == std::vector<int32_t>{2, 0});
  auto g = tf::function([](const tf::Tensor& t) { return tf::gather(t, tf::constant({1, 7})); });
  CHECK_THROWS_WITH(g(iota({3})), Catch::Contains("index 7 is out of range [0, 3)"));
}

TEST_CASE("shape ops move every dtype's elements unchanged, eagerly and compiled",
          "[shape][dtypes]") {
  // Values 0..11 survive every dtype (bool: 0/1), so float64 views of the results can be
  // compared with the same op on float64.
  for (int d = 0; d < tf::kNumDTypes; ++d) {
    auto dtype = static_cast<tf::DType>(d);
    if (dtype == tf::string) continue;
    INFO(tf::dtype_name(dtype));
    std::vector<double> v(12);
    for (int i = 0; i < 12; ++i) v[i] = dtype == tf::bool_ ? i % 2 : i;
    auto x = tft::make(v, {3, 4}, dtype), ref = tft::make(v, {3, 4}, tf::float64);
    std::vector<std::pair<std::string, std::function<tf::Tensor(const tf::Tensor&)>>> ops = {
        {"reshape",
         [](const tf::Tensor& t) {
           return tf::reshape(t, {4, 3});
         }},
        {"transpose", [](const tf::Tensor& t) { return tf::transpose(t); }},
        {"concat",
         [](const tf::Tensor& t) {
           return tf::concat({t, t}, 1);
         }},
        {"slice",
         [](const tf::Tensor& t) { return t(tf::slice(2, 0, -1), tf::slice(1, std::nullopt, 2)); }},
        {"gather",
         [](const tf::Tensor& t) {
           return tf::gather(t, tf::constant({2, 0}), 0);
         }},
        {"tile",
         [](const tf::Tensor& t) {
           return tf::tile(t, {1, 2});
         }},
        {"broadcast_to",
         [](const tf::Tensor& t) {
           return tf::broadcast_to(t(0), {2, 4});
         }},
        {"where",
         [](const tf::Tensor& t) {
           return tf::where(tf::constant({true, false, true, false}), t, t(0));
         }},
    };
    for (auto& [name, op] : ops) {
      INFO(name);
      auto want = values_of(op(ref));
      auto eager = op(x);
      CHECK(eager.dtype() == dtype);
      CHECK(values_of(eager) == want);
      if (dtype == tf::uint8 || dtype == tf::complex64) continue;  // not compiled yet
      CHECK(values_of(tf::function(op)(x)) == want);
    }
  }
}
