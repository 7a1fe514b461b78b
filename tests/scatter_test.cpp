// The scatter primitive and the ops on it (frontend/src/scatter.cpp, segment.cpp):
// tensor_scatter_nd_*, scatter_nd, gather_nd, the segment reductions and bincount, against
// float64 loops over dtypes, index depths and index dtypes, and against TensorFlow's values and
// gradients (tests/golden/scatter/make_scatter_golden.py); eagerly, compiled through the CPU
// library call and through the generic lowering GPU kernels use; float64 numerical gradients;
// unknown dims; typed errors for bad shapes, dtypes and indices.
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>

#include "tests/gradient_helpers.h"
#include "tests/helpers.h"

namespace {

using tf::Tensor;
using Args = std::vector<Tensor>;
using Op = std::function<Tensor(const Args&)>;

const std::string kGolden = std::string(TFJIT_GOLDEN_DIR) + "/scatter/";

// Eager, compiled with the library call, compiled with the generic lowering (GPU kernels').
enum class Mode { kEager, kLibrary, kGeneric };
constexpr Mode kModes[] = {Mode::kEager, Mode::kLibrary, Mode::kGeneric};
const char* name_of(Mode m) {
  return m == Mode::kEager ? "eager" : m == Mode::kLibrary ? "library call" : "generic";
}

// f(in...) in `mode`; f returns a list of tensors.
Args run(const std::function<Args(const Args&)>& f, const Args& in, Mode mode) {
  if (mode == Mode::kEager) return f(in);
  tf::FunctionOptions options{.host_library_calls = mode == Mode::kLibrary};
  switch (in.size()) {
    case 1:
      return tf::function([&](const Tensor& a) { return f({a}); }, options)(in[0]);
    case 2:
      return tf::function(
          [&](const Tensor& a, const Tensor& b) {
            return f({a, b});
          },
          options)(in[0], in[1]);
    default:
      REQUIRE(in.size() == 3);
      return tf::function(
          [&](const Tensor& a, const Tensor& b, const Tensor& c) {
            return f({a, b, c});
          },
          options)(in[0], in[1], in[2]);
  }
}

// ---- float64 references ----------------------------------------------------------------------

// x with rows combined in order: x viewed as (prod(dims), slice), indices (rows, K).
std::vector<double> reference_scatter(std::vector<double> x, const std::vector<int64_t>& dims,
                                      const std::vector<int64_t>& idx,
                                      const std::vector<double>& upd, const std::string& how) {
  const size_t depth = dims.size(), rows = idx.size() / std::max<size_t>(depth, 1);
  const size_t slice = upd.size() / std::max<size_t>(rows, 1);
  for (size_t r = 0; r < rows; ++r) {
    int64_t at = 0;
    bool inside = true;
    for (size_t k = 0; k < depth; ++k) {
      const int64_t i = idx[r * depth + k];
      inside &= i >= 0 && i < dims[k];
      at = at * dims[k] + i;
    }
    if (!inside) continue;
    for (size_t e = 0; e < slice; ++e) {
      double& o = x[static_cast<size_t>(at) * slice + e];
      const double u = upd[r * slice + e];
      o = how == "update" ? u
          : how == "add"  ? o + u
          : how == "sub"  ? o - u
          : how == "max"  ? std::max(o, u)
          : how == "min"  ? std::min(o, u)
                          : o * u;
    }
  }
  return x;
}

Tensor public_scatter(const std::string& how, const Tensor& x, const Tensor& i, const Tensor& u) {
  if (how == "update") return tf::tensor_scatter_nd_update(x, i, u);
  if (how == "add") return tf::tensor_scatter_nd_add(x, i, u);
  if (how == "sub") return tf::tensor_scatter_nd_sub(x, i, u);
  if (how == "max") return tf::tensor_scatter_nd_max(x, i, u);
  return tf::tensor_scatter_nd_min(x, i, u);
}

TEST_CASE(
    "tensor_scatter_nd_* match a float64 loop for every combiner, dtype, index depth and index "
    "dtype, eagerly and compiled (library call and generic lowering)") {
  auto r = tft::random_floats(200, 11);
  auto values = [&](size_t n, size_t from) {  // halves: exact in every dtype, sums too
    std::vector<double> v;
    for (size_t i = 0; i < n; ++i) v.push_back(std::round(r[from + i] * 8) / 2);
    return v;
  };
  // x (5, 3, 4); depth 1: 7 rows of (3, 4), index 3 three times; depth 2: 6 rows of (4,).
  const std::vector<int64_t> rows1 = {3, 0, 3, 4, 3, 1, 0};
  const std::vector<int64_t> rows2 = {1, 2, 0, 0, 1, 2, 4, 1, 1, 2, 0, 2};
  for (tf::DType dtype : {tf::float32, tf::float64, tf::float16, tf::int32, tf::int64})
    for (int64_t depth : {1, 2})
      for (tf::DType index_dtype : {tf::int32, tf::int64})
        for (std::string how : {"update", "add", "sub", "max", "min"}) {
          const auto& rows = depth == 1 ? rows1 : rows2;
          const int64_t n = static_cast<int64_t>(rows.size()) / depth;
          tf::TensorShape ushape = depth == 1 ? tf::TensorShape{n, 3, 4} : tf::TensorShape{n, 4};
          Tensor x = tft::make(values(60, 0), {5, 3, 4}, dtype);
          Tensor u =
              tft::make(values(static_cast<size_t>(ushape.num_elements()), 60), ushape, dtype);
          Tensor i = tf::cast(tf::constant(rows, {n, depth}), index_dtype);
          std::vector<int64_t> dims =
              depth == 1 ? std::vector<int64_t>{5} : std::vector<int64_t>{5, 3};
          auto want = reference_scatter(tft::values_of(x), dims, rows, tft::values_of(u), how);
          for (Mode mode : kModes) {
            auto got =
                run([&](const Args& a) { return Args{public_scatter(how, a[0], a[1], a[2])}; },
                    {x, i, u}, mode);
            tft::check_close(tft::values_of(got[0]), want, dtype,
                             how + " " + std::string(tf::dtype_name(dtype)) + " depth " +
                                 std::to_string(depth) + " " +
                                 std::string(tf::dtype_name(index_dtype)) + " " + name_of(mode));
          }
        }
}

TEST_CASE(
    "scatter_nd sums duplicates into zeros and gather_nd reads the tuples eagerly and compiled") {
  Tensor i = tf::constant({{0, 1}, {2, 2}, {0, 1}});
  Tensor u = tf::constant({1.5f, 2.0f, 4.0f});
  for (Mode mode : kModes) {
    INFO(name_of(mode));
    auto got = run(
        [](const Args& a) {
          Tensor s = tf::scatter_nd(a[0], a[1], {3, 3});
          return Args{s, tf::gather_nd(s, a[0])};
        },
        {i, u}, mode);
    CHECK(got[0].to_vector<float>() == std::vector<float>{0, 5.5f, 0, 0, 0, 0, 0, 0, 2});
    CHECK(got[1].to_vector<float>() == std::vector<float>{5.5f, 2, 5.5f});
  }
  // A shape as a tensor, and an index depth of the full rank into a scalar slice.
  CHECK(tf::scatter_nd(i, u, tf::constant({3, 3})).shape() == tf::TensorShape{3, 3});
}

// ---- segments ----------------------------------------------------------------------------------

std::vector<double> reference_segments(const std::vector<double>& data, size_t row,
                                       const std::vector<int64_t>& ids, int64_t n,
                                       const std::string& how, bool sorted) {
  const double init = how == "max" ? -INFINITY : how == "min" ? INFINITY : how == "prod" ? 1 : 0;
  std::vector<double> out(static_cast<size_t>(n) * row, init), count(static_cast<size_t>(n));
  for (size_t r = 0; r < ids.size(); ++r) {
    if (ids[r] < 0) continue;
    const auto s = static_cast<size_t>(ids[r]);
    count[s] += 1;
    for (size_t e = 0; e < row; ++e) {
      double& o = out[s * row + e];
      const double v = data[r * row + e];
      o = how == "max"    ? std::max(o, v)
          : how == "min"  ? std::min(o, v)
          : how == "prod" ? o * v
                          : o + v;
    }
  }
  for (size_t s = 0; s < static_cast<size_t>(n); ++s)
    for (size_t e = 0; e < row; ++e) {
      double& o = out[s * row + e];
      if (how == "mean" && count[s] > 0) o /= count[s];
      if (how == "sqrt_n" && count[s] > 0) o /= std::sqrt(count[s]);
      if (sorted && count[s] == 0) o = 0;
    }
  return out;
}

TEST_CASE(
    "segment reductions match a float64 loop (negative ids dropped, empty segments at the "
    "identity), eagerly and compiled") {
  auto r = tft::random_floats(27, 5);
  std::vector<double> v(r.begin(), r.end());
  Tensor data = tft::make(v, {9, 3}, tf::float64);
  const std::vector<int64_t> ids = {4, 0, -1, 4, 2, 0, 4, -3, 1};  // segment 3 empty
  Tensor id = tf::constant(ids, {9});
  using Fn = Tensor (*)(const Tensor&, const Tensor&, int64_t);
  const std::map<std::string, Fn> unsorted = {
      {"sum", &tf::math::unsorted_segment_sum},       {"mean", &tf::math::unsorted_segment_mean},
      {"sqrt_n", &tf::math::unsorted_segment_sqrt_n}, {"max", &tf::math::unsorted_segment_max},
      {"min", &tf::math::unsorted_segment_min},       {"prod", &tf::math::unsorted_segment_prod}};
  for (const auto& [how, f] : unsorted)
    for (Mode mode : kModes) {
      auto got = run([&](const Args& a) { return Args{f(a[0], a[1], 6)}; }, {data, id}, mode);
      tft::check_close(tft::values_of(got[0]), reference_segments(v, 3, ids, 6, how, false),
                       tf::float64, "unsorted_segment_" + how + " " + name_of(mode));
    }
  // Sorted ids (eager only: the result's length is max(id) + 1).
  const std::vector<int64_t> sorted_ids = {0, 0, 1, 3, 3, 3, 3, 5, 5};
  Tensor sid = tf::constant(sorted_ids, {9});
  using SortedFn = Tensor (*)(const Tensor&, const Tensor&);
  const std::map<std::string, SortedFn> sorted = {{"sum", &tf::math::segment_sum},
                                                  {"mean", &tf::math::segment_mean},
                                                  {"max", &tf::math::segment_max},
                                                  {"min", &tf::math::segment_min}};
  for (const auto& [how, f] : sorted)
    tft::check_close(tft::values_of(f(data, sid)),
                     reference_segments(v, 3, sorted_ids, 6, how, true), tf::float64,
                     "segment_" + how);
  // int32 data: max's empty segments hold int32's lowest.
  auto m = tf::math::unsorted_segment_max(tf::constant({5, 7, 1}), tf::constant({0, 0, 2}), 4);
  CHECK(m.to_vector<int32_t>() == std::vector<int32_t>{7, std::numeric_limits<int32_t>::lowest(), 1,
                                                       std::numeric_limits<int32_t>::lowest()});
}

TEST_CASE("segment sums are linear: 400,000 rows into 200,000 segments, eagerly and compiled") {
  // The former dense form would take rows x segments = 8e10 multiply-adds here.
  const int64_t rows = 400000, n = 200000;
  std::vector<int32_t> ids(static_cast<size_t>(rows));
  std::vector<float> data(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    ids[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919) % n);
    data[static_cast<size_t>(i)] = static_cast<float>(i % 5);
  }
  std::vector<double> want(static_cast<size_t>(n));
  for (int64_t i = 0; i < rows; ++i)
    want[static_cast<size_t>(ids[static_cast<size_t>(i)])] += data[static_cast<size_t>(i)];
  Tensor d = tf::constant(data, {rows}), id = tf::constant(ids, {rows});
  for (Mode mode : {Mode::kEager, Mode::kLibrary}) {
    auto start = std::chrono::steady_clock::now();
    auto got =
        run([&](const Args& a) { return Args{tf::math::unsorted_segment_sum(a[0], a[1], n)}; },
            {d, id}, mode);
    CHECK(tft::values_of(got[0]) == want);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  }
}

// ---- TensorFlow's values and gradients --------------------------------------------------------

bool exists(const std::string& file) { return std::filesystem::exists(kGolden + file); }

const std::map<std::string, Op>& golden_cases() {
  static const std::map<std::string, Op> cases = {
      {"tensor_scatter_nd_update",
       [](const Args& a) { return tf::tensor_scatter_nd_update(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_add",
       [](const Args& a) { return tf::tensor_scatter_nd_add(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_sub",
       [](const Args& a) { return tf::tensor_scatter_nd_sub(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_max",
       [](const Args& a) { return tf::tensor_scatter_nd_max(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_min",
       [](const Args& a) { return tf::tensor_scatter_nd_min(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_max_tie",
       [](const Args& a) { return tf::tensor_scatter_nd_max(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_add_depth2",
       [](const Args& a) { return tf::tensor_scatter_nd_add(a[0], a[1], a[2]); }},
      {"tensor_scatter_nd_update_depth2",
       [](const Args& a) { return tf::tensor_scatter_nd_update(a[0], a[1], a[2]); }},
      {"scatter_nd",
       [](const Args& a) {
         return tf::scatter_nd(a[0], a[1], {3, 4, 2});
       }},
      {"gather_nd", [](const Args& a) { return tf::gather_nd(a[0], a[1]); }},
      {"gather_nd_rows", [](const Args& a) { return tf::gather_nd(a[0], a[1]); }},
      {"unsorted_segment_prod",
       [](const Args& a) { return tf::math::unsorted_segment_prod(a[0], a[1], 4); }},
      {"unsorted_segment_sum_2d_ids",
       [](const Args& a) { return tf::math::unsorted_segment_sum(a[0], a[1], 3); }},
      {"unsorted_segment_max_2d_ids",
       [](const Args& a) { return tf::math::unsorted_segment_max(a[0], a[1], 3); }},
      {"bincount", [](const Args& a) { return tf::math::bincount(a[0]); }},
      {"bincount_weights", [](const Args& a) { return tf::math::bincount(a[0], a[1], 9); }},
      {"bincount_maxlength",
       [](const Args& a) {
         return tf::math::bincount(a[0], Tensor(), std::nullopt, 5, tf::float32);
       }},
      {"bincount_binary",
       [](const Args& a) {
         return tf::math::bincount(a[0], Tensor(), 3, std::nullopt, tf::int32, true);
       }},
  };
  return cases;
}

void check_golden(const Tensor& got, const std::string& file, const std::string& what) {
  INFO(what << " against " << file);
  Tensor want = tf::load_npy(kGolden + file);
  REQUIRE(got.dtype() == want.dtype());
  REQUIRE(got.shape() == want.shape());
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", TensorFlow " << w[i]);
    CHECK(std::abs(g[i] - w[i]) <= 1e-10 * (1 + std::abs(w[i])));
  }
}

TEST_CASE("scatter, gather_nd, segment and bincount ops match TensorFlow with their gradients") {
  for (const auto& [name, op] : golden_cases()) {
    Args inputs;
    for (int i = 0; exists(name + ".in" + std::to_string(i) + ".npy"); ++i)
      inputs.push_back(tf::load_npy(kGolden + name + ".in" + std::to_string(i) + ".npy"));
    REQUIRE(!inputs.empty());
    const bool has_dy = exists(name + ".dy.npy");
    Tensor dy = has_dy ? tf::load_npy(kGolden + name + ".dy.npy") : Tensor();
    auto forward_and_gradients = [&](const Args& in) {
      tf::GradientTape tape;
      std::vector<tf::Source> sources;
      for (const Tensor& t : in)
        if (t.dtype() == tf::float64) {
          tape.watch(t);
          sources.push_back(t);
        }
      Tensor y = op(in);
      Args out = {y};
      if (has_dy)
        for (const Tensor& g :
             tape.gradient(tf::reduce_sum(y * dy), sources, tf::UnconnectedGradients::ZERO))
          out.push_back(g);
      return out;
    };
    // bincount's length depends on arr's values: eager only (compiled below with fixed lengths).
    const bool eager_only = name.rfind("bincount", 0) == 0;
    for (Mode mode : kModes) {
      if (mode != Mode::kEager && eager_only) continue;
      const std::string what = name + " " + name_of(mode);
      Args r = run(forward_and_gradients, inputs, mode);
      check_golden(r[0], name + ".out.npy", what);
      size_t k = 1;
      for (size_t i = 0; i < inputs.size() && has_dy; ++i) {
        if (inputs[i].dtype() != tf::float64) continue;
        const std::string file = name + ".grad" + std::to_string(i) + ".npy";
        if (exists(file)) check_golden(r[k], file, what + " gradient " + std::to_string(i));
        ++k;
      }
    }
  }
}

// ---- gradients ---------------------------------------------------------------------------------

TEST_CASE("scatter, gather_nd and segment gradients match float64 central differences") {
  auto r = tft::random_floats(64, 17);
  auto values = [&](size_t n, size_t from) {
    return std::vector<double>(r.begin() + static_cast<std::ptrdiff_t>(from),
                               r.begin() + static_cast<std::ptrdiff_t>(from + n));
  };
  Tensor x = tft::make(values(12, 0), {4, 3}, tf::float64);  // distinct values: no ties
  Tensor u = tft::make(values(15, 12), {5, 3}, tf::float64);
  Tensor i = tf::constant({{2}, {0}, {2}, {3}, {2}});
  for (std::string how : {"add", "sub", "max", "min"})
    tft::check_gradients([&](const Args& a) { return public_scatter(how, a[0], i, a[1]); }, {x, u},
                         "tensor_scatter_nd_" + how);
  // update: as TensorFlow's, every row gets the gradient at its index, also a duplicate that a
  // later row overwrote (whose true derivative is 0), so the check uses distinct indices.
  Tensor distinct = tf::constant({{2}, {0}, {3}});
  tft::check_gradients(
      [&](const Args& a) {
        return tf::tensor_scatter_nd_update(a[0], distinct, tf::slice(a[1], {0, 0}, {3, 3}));
      },
      {x, u}, "tensor_scatter_nd_update");
  tft::check_gradients(
      [&](const Args& a) {
        return tf::scatter_nd(i, a[0], {4, 3});
      },
      {u}, "scatter_nd");
  tft::check_gradients([&](const Args& a) { return tf::gather_nd(a[0], i); }, {x}, "gather_nd");
  Tensor data = tft::make(values(18, 27), {6, 3}, tf::float64);
  Tensor ids = tf::constant({1, -1, 0, 1, 2, 1});  // no empty segment: max's would be -inf
  using Fn = Tensor (*)(const Tensor&, const Tensor&, int64_t);
  for (auto [name, f] : {std::pair<const char*, Fn>{"sum", &tf::math::unsorted_segment_sum},
                         {"mean", &tf::math::unsorted_segment_mean},
                         {"sqrt_n", &tf::math::unsorted_segment_sqrt_n},
                         {"max", &tf::math::unsorted_segment_max},
                         {"min", &tf::math::unsorted_segment_min},
                         {"prod", &tf::math::unsorted_segment_prod}})
    tft::check_gradients([&](const Args& a) { return f(a[0], ids, 3); }, {data},
                         std::string("unsorted_segment_") + name);
  // Products with one and with two zeros in a segment (the zero-safe rule).
  // Segment 1 holds rows 0, 3 and 5 (element [r, c] at 3 r + c): column 0 one zero, column 1
  // two zeros, column 2 one zero (and another in row 1, whose id -1 drops it).
  auto z = values(18, 27);
  z[0] = z[1] = z[10] = z[17] = z[5] = 0;
  tft::check_gradients([&](const Args& a) { return tf::math::unsorted_segment_prod(a[0], ids, 3); },
                       {tft::make(z, {6, 3}, tf::float64)}, "unsorted_segment_prod with zeros");
  // Second order: the gradient of a segment max's gradient-weighted sum is linear in the data.
  tft::check_gradients(
      [&](const Args& a) {
        tf::GradientTape inner;
        inner.watch(a[0]);
        Tensor y = tf::reduce_sum(tf::square(tf::math::unsorted_segment_sum(a[0], ids, 3)));
        return inner.gradient(y, {tf::Source(a[0])})[0];
      },
      {data}, "second order through unsorted_segment_sum");
}

TEST_CASE("max and min gradients split between the tied winners, as TensorFlow's") {
  Tensor x = tf::constant(std::vector<double>{1, 5, 2}, {3});
  Tensor u = tf::constant(std::vector<double>{5, 5, 0.5}, {3});
  Tensor i = tf::constant({{1}, {1}, {2}});
  tf::GradientTape tape;
  tape.watch(x);
  tape.watch(u);
  Tensor y = tf::tensor_scatter_nd_max(x, i, u);
  auto g = tape.gradient(y, {tf::Source(x), tf::Source(u)});
  CHECK(y.to_vector<double>() == std::vector<double>{1, 5, 2});
  CHECK(g[0].to_vector<double>() == std::vector<double>{1, 1.0 / 3, 1});
  CHECK(g[1].to_vector<double>() == std::vector<double>{1.0 / 3, 1.0 / 3, 0});
}

// ---- unknown dims, bincount compiled, errors ---------------------------------------------------

TEST_CASE("segment sums and scatters trace once for unknown leading dims, gradients included") {
  auto f = tf::function(
      [](const Tensor& d, const Tensor& ids) {
        tf::GradientTape tape;
        tape.watch(d);
        Tensor s = tf::math::unsorted_segment_mean(d, ids, 4);
        return Args{s, tape.gradient(tf::reduce_sum(s * s), {tf::Source(d)})[0]};
      },
      {tf::TensorSpec({tf::unknown, 3}, tf::float64), tf::TensorSpec({tf::unknown}, tf::int32)});
  for (int64_t rows : {5, 8}) {
    Tensor d = tf::reshape(tf::cast(tf::range(rows * 3), tf::float64), {rows, 3});
    std::vector<int32_t> v;
    for (int64_t k = 0; k < rows; ++k) v.push_back(static_cast<int32_t>(k % 5) - 1);  // -1 .. 3
    Tensor ids = tf::constant(v, {rows});
    auto got = f(d, ids);
    tf::GradientTape tape;
    tape.watch(d);
    Tensor s = tf::math::unsorted_segment_mean(d, ids, 4);
    Tensor g = tape.gradient(tf::reduce_sum(s * s), {tf::Source(d)})[0];
    CHECK(got[0].to_vector<double>() == s.to_vector<double>());
    CHECK(got[1].to_vector<double>() == g.to_vector<double>());
  }
  CHECK(f.trace_count() == 1);
  CHECK_THROWS_WITH(f(tf::ones({2, 3}, tf::float64), tf::constant({0, 4})),
                    Catch::Contains("a segment id is not below 4"));

  // Through the library call and through the generic lowering (dynamic sizes in the generic).
  for (bool library : {true, false}) {
    INFO((library ? "library call" : "generic"));
    auto add =
        tf::function([](const Tensor& x, const Tensor& i,
                        const Tensor& u) { return tf::tensor_scatter_nd_add(x, i, u); },
                     tf::FunctionOptions{.host_library_calls = library,
                                         .input_signature = std::vector<tf::TensorSpec>{
                                             tf::TensorSpec({tf::unknown, 2}, tf::float32),
                                             tf::TensorSpec({tf::unknown, 1}, tf::int64),
                                             tf::TensorSpec({tf::unknown, 2}, tf::float32)}});
    Tensor x = tf::zeros({4, 2});
    Tensor i = tf::constant(std::vector<int64_t>{3, 3, 0}, {3, 1});
    Tensor u = tf::ones({3, 2});
    CHECK(add(x, i, u).to_vector<float>() == std::vector<float>{1, 1, 0, 0, 0, 0, 2, 2});
    CHECK(add(tf::zeros({5, 2}), tf::constant(std::vector<int64_t>{4}, {1, 1}), tf::ones({1, 2}))
              .to_vector<float>() == std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
    CHECK(add(x, tf::zeros({0, 1}, tf::int64), tf::ones({0, 2})).to_vector<float>() ==
          std::vector<float>(8, 0.0f));  // no rows: x itself
    CHECK_THROWS_WITH(add(x, tf::constant(std::vector<int64_t>{4}, {1, 1}), tf::ones({1, 2})),
                      Catch::Contains("tensor_scatter_nd_add: an index is out of range for shape "
                                      "(None, 2)"));
    CHECK(add.trace_count() == 1);
  }
}

TEST_CASE("bincount: TensorFlow's lengths eagerly and compiled with minlength == maxlength") {
  Tensor arr = tf::constant({1, 1, 4, 0, 7});
  CHECK(tf::math::bincount(arr).to_vector<int32_t>() ==
        std::vector<int32_t>{1, 2, 0, 0, 1, 0, 0, 1});
  CHECK(tf::math::bincount(tf::zeros({0}, tf::int32)).shape() == tf::TensorShape{0});
  auto f = tf::function([](const Tensor& a) { return tf::math::bincount(a, Tensor(), 5, 5); });
  CHECK(f(arr).to_vector<int32_t>() == std::vector<int32_t>{1, 2, 0, 0, 1});  // 7 dropped
  CHECK_THROWS_WITH(f(tf::constant({1, -2})), Catch::Contains("Input arr must be non-negative"));
  CHECK_THROWS_WITH(tf::math::bincount(tf::constant({1, -2})),
                    Catch::Contains("Input arr must be non-negative"));
  auto g = tf::function([](const Tensor& a) { return tf::math::bincount(a, Tensor(), 5); });
  CHECK_THROWS_AS(g(arr), tf::UnimplementedError);
  CHECK_THROWS_WITH(g(arr), Catch::Contains("bincount"));
  CHECK_THROWS_WITH(
      tf::math::bincount(arr, tf::ones({5}), std::nullopt, std::nullopt, tf::int32, true),
      Catch::Contains("mutually exclusive"));
  CHECK_THROWS_WITH(tf::math::bincount(arr, tf::ones({4})), Catch::Contains("must have the shape"));
  // A huge value: a typed error, not a 2^63-element output (nor a signed overflow at v + 1);
  // under maxlength it is dropped before it sizes anything.
  auto huge = tf::constant(std::vector<int64_t>{1, std::numeric_limits<int64_t>::max()}, {2});
  CHECK_THROWS_WITH(tf::math::bincount(huge), Catch::Contains("longer than 2^31"));
  CHECK(tf::math::bincount(huge, Tensor(), std::nullopt, 3).to_vector<int32_t>() ==
        std::vector<int32_t>{0, 1, 0});
}

TEST_CASE("bad shapes, dtypes and indices raise typed errors naming the op, eagerly and compiled") {
  Tensor x = tf::zeros({6, 4});
  Tensor u = tf::ones({2, 4});
  Tensor i = tf::constant({{1}, {6}});
  CHECK_THROWS_WITH(tf::tensor_scatter_nd_update(x, i, u),
                    Catch::Contains("tensor_scatter_nd_update: indices[1] = [6] does not index "
                                    "into shape (6, 4)"));
  CHECK_THROWS_WITH(tf::tensor_scatter_nd_add(x, tf::constant({{-1}, {0}}), u),
                    Catch::Contains("indices[0] = [-1] does not index"));
  CHECK_THROWS_WITH(tf::gather_nd(x, tf::constant({{1, 4}})),
                    Catch::Contains("gather_nd: indices[0] = [1, 4] does not index"));
  auto f = tf::function([](const Tensor& a, const Tensor& b, const Tensor& c) {
    return tf::tensor_scatter_nd_max(a, b, c);
  });
  CHECK_THROWS_WITH(f(x, i, u), Catch::Contains("tensor_scatter_nd_max: an index is out of range "
                                                "for shape (6, 4)"));
  CHECK(f(x, tf::constant({{1}, {5}}), u).to_vector<float>()[4] == 1.0f);  // still usable
  for (auto bad : {std::pair{tf::constant({{1}, {2}}), tf::ones({2, 3})},  // updates' row
                   std::pair{tf::constant({{1}, {2}}), tf::ones({3, 4})},  // updates' batch
                   std::pair{tf::constant({{1, 2, 3}}), tf::ones({1})}})   // depth > rank
    CHECK_THROWS_AS(tf::tensor_scatter_nd_add(x, bad.first, bad.second), tf::InvalidArgumentError);
  CHECK_THROWS_WITH(tf::tensor_scatter_nd_add(x, tf::constant({{1.0f}}), tf::ones({1, 4})),
                    Catch::Contains("dtype float32 is not supported"));
  CHECK_THROWS_WITH(
      tf::tensor_scatter_nd_add(x, tf::constant({{1}}), tf::ones({1, 4}, tf::float64)),
      Catch::Contains("different dtypes"));
  CHECK_THROWS_WITH(tf::tensor_scatter_nd_max(tf::zeros({2}, tf::bool_), tf::constant({{1}}),
                                              tf::zeros({1}, tf::bool_)),
                    Catch::Contains("dtype bool is not supported"));
  CHECK(tf::tensor_scatter_nd_update(tf::zeros({2}, tf::bool_), tf::constant({{1}}),
                                     tf::ones({1}, tf::bool_))
            .to_vector<bool>() == std::vector<bool>{false, true});
  CHECK_THROWS_AS(tf::scatter_nd(i, u, {-1, 4}), tf::InvalidArgumentError);
  CHECK_THROWS_WITH(tf::math::unsorted_segment_sum(x, tf::constant({0, 1}), 3),
                    Catch::Contains("must have one id per row of data"));
  // Empty operands and updates.
  CHECK(tf::tensor_scatter_nd_add(x, tf::zeros({0, 1}, tf::int32), tf::ones({0, 4})).shape() ==
        tf::TensorShape{6, 4});
  CHECK(tf::math::unsorted_segment_sum(tf::ones({0, 2}), tf::zeros({0}, tf::int32), 3)
            .to_vector<float>() == std::vector<float>(6, 0.0f));
}

}  // namespace
