// tf.nn's and the structural ops on the GPU against the CPU. Compiled: convolutions (generated
// kernels there, oneDNN here), pooling gradients (select-and-scatter as two kernels), sorting
// (rank kernels) and scatters (the eager kernels, as launch plan steps). Eager: the structural
// primitives' kernels (scan, scatter, reduce_window, select_and_scatter, random_bits,
// take_along_axis), each op and dtype against the CPU, the result on GPU:0 and, on the stand-in
// driver, the kernel seen launched. Run on a GPU when there is one and on the stand-in driver
// (tests/fake_cuda).
#include <functional>
#include <limits>

#include "core/dtype_sets.h"
#include "runtime/buffer.h"
#include "runtime/gpu.h"
#include "runtime/kernels.h"
#include "runtime/primitives/random_bits.h"
#include "tests/device_helpers.h"
#include "tests/fake_gpu_kernels.h"

namespace {

using tft::make;

// The numeric dtypes, every one of which the GPU computes.
const std::vector<tf::DType> kNumericDTypes = {tf::float32,  tf::float64, tf::float16,
                                               tf::bfloat16, tf::int8,    tf::int16,
                                               tf::int32,    tf::int64,   tf::uint8};

// compare_devices, and on the stand-in driver that the GPU's run launched `kernel` (its result
// on GPU:0 says it did not fall back to the CPU; the count says which kernel computed it).
template <class F>
void compare_launching(const std::string& kernel, const std::string& what, F f) {
  const auto before = tft::fake_gpu_launches(kernel.c_str());
#ifdef TFJIT_TEST_FAKE_CUDA
  REQUIRE(before);  // the stand-in driver counts launches
#endif
  tft::compare_devices(what, f);
  INFO(what << ": launches of " << kernel);
  if (before) CHECK(*tft::fake_gpu_launches(kernel.c_str()) > *before);
}

// Integral values in [lo, hi] (floats too, so that sums are exact in any order: GPU atomics
// add in no fixed order), with NaN at every 7th element for the float dtypes when asked.
tf::Tensor integral_values(const tf::TensorShape& shape, tf::DType dtype, double lo, double hi,
                           std::mt19937& rng, bool nan = false) {
  std::vector<double> v =
      tft::random_values(shape.num_elements(), {lo, hi, /*integral=*/true}, dtype, rng);
  if (nan && tf::is_floating(dtype))
    for (size_t i = 3; i < v.size(); i += 7) v[i] = std::numeric_limits<double>::quiet_NaN();
  return make(v, shape, dtype);
}

TEST_CASE("compiled convolutions, pooling gradients and sorts give the same values on GPU and CPU",
          "[device][gpu][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(23);
  tf::Tensor small =
      make(tft::random_values(24 * 50 * 7, {-1, 1}, tf::float32, rng), {24, 50, 7}, tf::float32);
  using Fn = std::function<tf::Tensor(const tf::Tensor&)>;
  auto compare_compiled = [&](const std::string& what, Fn fn, const tf::Tensor& x) {
    auto f = tf::function(fn);
    tft::run_compiled_kernels_on_fake_gpu(f, x);
    tft::compare_devices("compiled " + what, [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(what << ": " << concrete.gpu_fallback_reason());
    CHECK(concrete.device().ends_with("GPU:0"));
  };
  {  // Convolutions: generated kernels on the GPU (oneDNN on the CPU), gradients included.
    tf::Tensor w = make(tft::random_values(3 * 3 * 7 * 4, {-1, 1}, tf::float32, rng), {3, 3, 7, 4},
                        tf::float32);
    compare_compiled(
        "conv2d and its gradients",
        [w](auto& a) {
          tf::GradientTape tape;
          tape.watch(a);
          tape.watch(w);
          auto y = tf::nn::conv2d(a, w, {2}, "SAME");
          auto g = tape.gradient(tf::reduce_sum(y * y), std::vector<tf::Source>{a, w});
          return tf::concat(
              {tf::reshape(y, {-1}), tf::reshape(g[0], {-1}), tf::reshape(g[1], {-1})}, 0);
        },
        tf::reshape(small, {24, 10, 5, 7}));
    compare_compiled(
        "depthwise and transposed convolutions",
        [w](auto& a) {
          auto d = tf::nn::depthwise_conv2d(a, tf::reshape(w, {3, 3, 7, 4}), {1}, "VALID");
          return tf::nn::conv2d_transpose(
              d, tf::transpose(tf::reshape(w, {3, 3, 28, 1}), {0, 1, 3, 2}), {24, 16, 3, 1}, {2, 1},
              "SAME");
        },
        tf::reshape(small, {24, 10, 5, 7}));
  }
  compare_compiled(  // pooling gradients: select-and-scatter as two generated kernels
      "max pooling gradients, tiled and overlapping windows",
      [](auto& a) {
        tf::GradientTape tape;
        tape.watch(a);
        auto y = tf::reduce_sum(tf::nn::max_pool2d(a, {2}, {2}, "VALID") * 3.f) +
                 tf::reduce_sum(tf::nn::max_pool2d(a, {3}, {2}, "SAME"));
        return tape.gradient(y, a);
      },
      tf::reshape(small, {24, 10, 5, 7}));
  compare_compiled(  // scatters: steps running the GPU's eager kernels (the CPU's here)
      "segment reductions, scatters and their gradients",
      [](auto& a) {
        tf::GradientTape tape;
        tape.watch(a);
        auto ids =
            tf::constant({3, 0, 3, -1, 1, 0, 3, 2, 2, 0, 4, 1, 1, 0, 3, 3, 2, 1, 0, 0, 4, 4, 1, 2});
        auto m = tf::math::unsorted_segment_max(a, ids, 5);
        auto s = tf::math::unsorted_segment_mean(a, ids, 5);
        auto t = tf::tensor_scatter_nd_update(a, tf::constant({{2}, {7}}),
                                              tf::slice(a, {0, 0, 0}, {2, -1, -1}));
        auto g =
            tape.gradient(tf::reduce_sum(m * m) + tf::reduce_sum(s) + tf::reduce_sum(t * t), a);
        return tf::concat({tf::reshape(m, {-1}), tf::reshape(s, {-1}), tf::reshape(t, {-1}),
                           tf::reshape(g, {-1})},
                          0);
      },
      small);
  {  // a compiled scatter runs the GPU's eager kernel (linear in the rows), not a generated one
    auto ids =
        tf::constant({3, 0, 3, -1, 1, 0, 3, 2, 2, 0, 4, 1, 1, 0, 3, 3, 2, 1, 0, 0, 4, 4, 1, 2});
    auto f = tf::function(
        [ids](const tf::Tensor& a) { return tf::math::unsorted_segment_max(a, ids, 5); });
    tft::run_compiled_kernels_on_fake_gpu(f, small);
    compare_launching("tfjit_scatter_reduce_max", "a compiled segment max",
                      [&] { return tf::identity(f(small)); });
  }
  {  // 600 rows: a reduction long enough for split_reductions, which must leave it whole
    std::vector<int32_t> ids(600);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i * 7 % 9) - 1;
    tf::Tensor id = tf::constant(ids, {600});
    compare_compiled(
        "segment max and update over 600 rows",
        [id](auto& a) {
          auto rows = tf::reshape(a, {600, 14});
          auto m = tf::math::unsorted_segment_max(rows, id, 8);
          auto u = tf::tensor_scatter_nd_update(tf::zeros({8, 14}),
                                                tf::expand_dims(tf::maximum(id, 0), -1), rows);
          return tf::concat({tf::reshape(m, {-1}), tf::reshape(u, {-1})}, 0);
        },
        small);
  }
  compare_compiled(  // sorting: ranks computed by generated kernels on the GPU
      "sort, argsort and top_k",
      [](auto& a) {
        auto top = tf::math::top_k(a, 3);
        return tf::concat(
            {tf::reshape(tf::sort(a, 1), {-1}),
             tf::reshape(tf::cast(tf::argsort(a, 0, "DESCENDING"), tf::float32), {-1}),
             tf::reshape(top.values, {-1})},
            0);
      },
      small);
}

// Whether the op accepts these operands (asked on the CPU).
template <class F>
bool accepts(F f) {
  auto scope = tf::device_scope("/CPU:0");
  try {
    f();
    return true;
  } catch (const tf::InvalidArgumentError&) {
    return false;
  }
}

std::string dtype_string(tf::DType dtype) { return std::string(tf::dtype_name(dtype)); }

TEST_CASE(
    "eager scans run on the GPU and match the CPU: every op and dtype, any axis, exclusive, "
    "reverse, NaN and empty tensors",
    "[device][gpu][scan]") {
  if (tft::skip_without_gpu()) return;
  using Scan = tf::Tensor (*)(const tf::Tensor&, int64_t, bool, bool);
  struct Op {
    const char* name;
    Scan fn;
    tf::core::DTypeSet dtypes;
  };
  const std::vector<Op> scans = [] {
    using namespace tf::core;  // the table's dtype sets
    return std::vector<Op>{
#define TFJIT_SCAN(name, dtypes, combiner) {#name, &tf::name, dtypes},
#include "ops/scan_ops.def"
    };
  }();
  std::mt19937 rng(11);
  for (const Op& op : scans)
    for (tf::DType dtype : kNumericDTypes) {
      if (!op.dtypes.contains(dtype)) continue;
      // Products of up to 5 factors in [-2, 2] fit every dtype, int8 and uint8 included.
      const tf::Tensor x = integral_values({3, 5, 4}, dtype, -2, 2, rng, /*nan=*/true);
      for (int64_t axis : {0, 1, 2})
        for (bool exclusive : {false, true})
          for (bool reverse : {false, true})
            compare_launching(std::string("tfjit_scan_") + op.name,
                              std::string(op.name) + " of " + dtype_string(dtype) + " along " +
                                  std::to_string(axis) + (exclusive ? ", exclusive" : "") +
                                  (reverse ? ", reversed" : ""),
                              [&] { return op.fn(x, axis, exclusive, reverse); });
      for (const tf::TensorShape& empty : {tf::TensorShape{0, 3}, tf::TensorShape{3, 0}})
        tft::compare_devices(std::string(op.name) + " of an empty " + dtype_string(dtype),
                             [&] { return op.fn(make({}, empty, dtype), 1, true, true); });
    }
}

TEST_CASE(
    "eager scatters run on the GPU and match the CPU: every combiner and dtype, duplicate "
    "and dropped rows, int32 and int64 indices",
    "[device][gpu][scatter]") {
  if (tft::skip_without_gpu()) return;
  using Scatter = tf::Tensor (*)(const tf::Tensor&, const tf::Tensor&, const tf::Tensor&);
  const std::vector<std::tuple<const char*, Scatter, const char*>> scatters = {
      {"tensor_scatter_nd_update", &tf::tensor_scatter_nd_update, "tfjit_scatter_update"},
      {"tensor_scatter_nd_add", &tf::tensor_scatter_nd_add, "tfjit_scatter_reduce_sum"},
      {"tensor_scatter_nd_sub", &tf::tensor_scatter_nd_sub, "tfjit_scatter_reduce_sum"},
      {"tensor_scatter_nd_max", &tf::tensor_scatter_nd_max, "tfjit_scatter_reduce_max"},
      {"tensor_scatter_nd_min", &tf::tensor_scatter_nd_min, "tfjit_scatter_reduce_min"}};
  using Segment = tf::Tensor (*)(const tf::Tensor&, const tf::Tensor&, int64_t);
  const std::vector<std::tuple<const char*, Segment, const char*>> segments = {
      {"unsorted_segment_sum", &tf::math::unsorted_segment_sum, "tfjit_scatter_reduce_sum"},
      {"unsorted_segment_prod", &tf::math::unsorted_segment_prod, "tfjit_scatter_reduce_prod"},
      {"unsorted_segment_max", &tf::math::unsorted_segment_max, "tfjit_scatter_reduce_max"},
      {"unsorted_segment_min", &tf::math::unsorted_segment_min, "tfjit_scatter_reduce_min"}};
  std::mt19937 rng(13);
  std::vector<tf::DType> dtypes = kNumericDTypes;
  dtypes.push_back(tf::bool_);
  for (tf::DType dtype : dtypes)
    for (tf::DType index : {tf::int32, tf::int64}) {
      const std::string of = " of " + dtype_string(dtype) + " at " + dtype_string(index);
      // Rows 1 and 3 written three times each; then index pairs (slices of 2 elements), one
      // duplicated.
      const tf::Tensor t = integral_values({5, 3, 2}, dtype, -3, 3, rng, /*nan=*/true);
      const tf::Tensor rows = tf::cast(tf::constant({{1}, {3}, {1}, {0}, {3}, {3}}), index);
      const tf::Tensor u = integral_values({6, 3, 2}, dtype, -3, 3, rng, /*nan=*/true);
      const tf::Tensor pairs = tf::cast(tf::constant({{1, 2}, {0, 0}, {1, 2}, {4, 1}}), index);
      const tf::Tensor v = integral_values({4, 2}, dtype, -3, 3, rng);
      for (auto [name, fn, kernel] : scatters) {
        if (!accepts([&] { fn(t, rows, u); })) continue;
        compare_launching(kernel, name + of + ", duplicate rows", [&] { return fn(t, rows, u); });
        compare_launching(kernel, name + of + ", index pairs", [&] { return fn(t, pairs, v); });
        tft::compare_devices(name + of + ", no rows", [&] {
          return fn(t, tf::zeros({0, 1}, index), make({}, {0, 3, 2}, dtype));
        });
      }
      // Negative segment ids drop their rows (the kernel skips them); segments 1 and 3 stay
      // empty.
      const tf::Tensor ids = tf::cast(tf::constant({2, -1, 0, 2, 4, -1, 2, 0}), index);
      const tf::Tensor data = integral_values({8, 3}, dtype, -2, 2, rng, /*nan=*/true);
      for (auto [name, fn, kernel] : segments) {
        if (!accepts([&] { fn(data, ids, 5); })) continue;
        compare_launching(kernel, name + of, [&] { return fn(data, ids, 5); });
      }
    }
  // "update" is deterministic: of the 75 rows written to each place, the last wins, exactly.
  std::vector<int64_t> places(600);
  std::vector<double> values(600 * 4);
  for (size_t i = 0; i < places.size(); ++i) places[i] = static_cast<int64_t>(i * 5 % 8);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  const tf::Tensor at = tf::reshape(tf::constant(places, {600}), {600, 1});
  const tf::Tensor rows = make(values, {600, 4}, tf::float32);
  auto last_rows = [&] { return tf::tensor_scatter_nd_update(tf::zeros({8, 4}), at, rows); };
  compare_launching("tfjit_scatter_update", "the last of 75 rows wins", last_rows);
  auto scope = tf::device_scope("/GPU:0");
  const tf::Tensor won = last_rows();
  auto cpu_scope = tf::device_scope("/CPU:0");
  CHECK(won.to_vector<float>() == last_rows().to_vector<float>());
}

TEST_CASE(
    "eager pooling and its gradients run on the GPU and match the CPU: padding, strides, "
    "dilated windows, ties and NaN",
    "[device][gpu][pooling]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(17);
  const std::vector<std::pair<int64_t, int64_t>> windows = {{2, 2}, {3, 2}, {3, 1}, {1, 2}};
  for (tf::DType dtype : kNumericDTypes) {
    const tf::Tensor x = integral_values({2, 7, 6, 3}, dtype, -4, 4, rng, /*nan=*/true);
    for (auto [k, s] : windows)
      for (const char* padding : {"VALID", "SAME"}) {
        const std::string what = dtype_string(dtype) + ", window " + std::to_string(k) +
                                 ", stride " + std::to_string(s) + ", " + padding;
        auto max = [&] { return tf::nn::max_pool2d(x, {k}, {s}, padding); };
        auto avg = [&] { return tf::nn::avg_pool2d(x, {k}, {s}, padding); };
        if (accepts(max)) compare_launching("tfjit_reduce_window_reduce_max", "max " + what, max);
        if (accepts(avg)) compare_launching("tfjit_reduce_window_reduce_sum", "avg " + what, avg);
      }
  }
  for (tf::DType dtype : {tf::float32, tf::float64, tf::float16, tf::bfloat16}) {
    // Integral values: many ties (the first in window order takes the gradient), and sums of
    // gradients exact whatever order the GPU's atomics add them in.
    const tf::Tensor x = integral_values({2, 7, 6, 3}, dtype, -3, 3, rng);
    const tf::Tensor with_nan = integral_values({2, 7, 6, 3}, dtype, -3, 3, rng, /*nan=*/true);
    for (auto [k, s] : windows)
      for (const char* padding : {"VALID", "SAME"}) {
        const std::string what = dtype_string(dtype) + ", window " + std::to_string(k) +
                                 ", stride " + std::to_string(s) + ", " + padding;
        auto gradient = [&](const tf::Tensor& a, bool max) {
          tf::GradientTape tape;
          tape.watch(a);
          tf::Tensor y = max ? tf::nn::max_pool2d(a, {k}, {s}, padding)
                             : tf::nn::avg_pool2d(a, {k}, {s}, padding);
          return tape.gradient(tf::reduce_sum(y * tf::abs(y)), a);
        };
        compare_launching("tfjit_select_and_scatter", "max pooling's gradient, " + what,
                          [&] { return gradient(x, true); });
        compare_launching("tfjit_select_and_scatter", "max pooling's gradient with NaN, " + what,
                          [&] { return gradient(with_nan, true); });
        // A window sum of the gradient dilated by the stride and padded: reduce_window with
        // dilations.
        compare_launching("tfjit_reduce_window_reduce_sum", "avg pooling's gradient, " + what,
                          [&] { return gradient(x, false); });
      }
  }
  // 7 spatial dims: a rank-9 window, above the GPU kernels' kMaxRank (the CPU computes it).
  const tf::Tensor deep = tf::ones({1, 2, 2, 2, 2, 2, 2, 2, 1});
  CHECK(accepts([&] { tf::nn::max_pool(deep, {2}, {2}, "VALID"); }));
  auto scope = tf::device_scope("/GPU:0");
  CHECK_THROWS_AS(tf::nn::max_pool(deep, {2}, {2}, "VALID"), tf::UnimplementedError);
  CHECK_THROWS_WITH(tf::nn::max_pool(deep, {2}, {2}, "VALID"),
                    Catch::Contains("reduce_window on GPU") && Catch::Contains("at most 8"));
}

TEST_CASE("a compiled step with scatters replays as a CUDA Graph, new values at every call",
          "[device][gpu][function]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(31);
  tf::Tensor ids = tf::constant(std::vector<int32_t>{3, 0, 3, -1, 1, 0, 3, 2, 2, 0, 4, 1});
  auto step = [ids](const tf::Tensor& a) {
    auto m = tf::math::unsorted_segment_max(a, ids, 5);                      // a combiner: atomics
    auto u = tf::tensor_scatter_nd_update(a, tf::constant({{2}, {7}, {2}}),  // scratch: winners
                                          tf::slice(a, {0, 0}, {3, -1}));
    return tf::concat({tf::reshape(m, {-1}), tf::reshape(u * 2.f, {-1})}, 0);
  };
  auto f = tf::function(step);
  tft::run_compiled_kernels_on_fake_gpu(f, tf::zeros({12, 6}));
  for (int call = 0; call < 4; ++call) {
    tf::Tensor x =
        make(tft::random_values(12 * 6, {-1, 1}, tf::float32, rng), {12, 6}, tf::float32);
    tft::compare_devices("compiled scatters, call " + std::to_string(call),
                         [&] { return tf::identity(f(x)); });
    auto scope = tf::device_scope("/GPU:0");
    auto concrete = f.get_concrete_function(x);
    INFO(concrete.cuda_graph_unavailable_reason());
    CHECK(concrete.replays_cuda_graph() == (call > 0));
  }
}

TEST_CASE("eager random bits on the GPU are the CPU's words for the same key and counter",
          "[device][gpu][random]") {
  if (tft::skip_without_gpu()) return;
  namespace rt = tf::rt;
  auto cpu = rt::kernels(rt::DeviceType::kCPU)
                 .get<rt::RandomBitsKernel>(tf::ops::Primitive::random_bits, tf::int64);
  auto gpu = rt::kernels(rt::DeviceType::kGPU)
                 .get<rt::RandomBitsKernel>(tf::ops::Primitive::random_bits, tf::int64);
  REQUIRE(gpu);
  const std::vector<std::pair<uint64_t, uint64_t>> keys_and_counters = {
      {0, 0}, {0x0123456789abcdefull, 0xfedcba9876543210ull}, {~0ull, 1ull << 40}};
  for (int64_t n : {1, 3, 4, 5, 1023, 4099})
    for (auto [key, counter] : keys_and_counters) {
      INFO(n << " words, key " << key << ", counter " << counter);
      const rt::RandomBitsPlan plan{key, counter, n};
      std::vector<uint32_t> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
      cpu(want.data(), plan);
      auto words = rt::Buffer::allocate(tf::int32, n, rt::Device{rt::DeviceType::kGPU, 0});
      rt::gpu::set_current_device(0);
      gpu(words->data(), plan);
      rt::gpu::copy_to_host(0, got.data(), words->data(), got.size() * sizeof(uint32_t));
      CHECK(got == want);
    }
  // A generator's draws, their bits made on the GPU, are the CPU's draws.
  for (tf::DType dtype : {tf::float32, tf::float64, tf::int32}) {
    INFO(dtype_string(dtype));
    auto draw = [&] { return tf::random::Generator::from_seed(42).uniform({1001}, 0, 100, dtype); };
    tf::Tensor on_cpu, on_gpu;
    {
      auto scope = tf::device_scope("/CPU:0");
      on_cpu = draw();
    }
    const auto before = tft::fake_gpu_launches("tfjit_random_bits");
    {
      auto scope = tf::device_scope("/GPU:0");
      on_gpu = draw();
    }
    if (before) CHECK(*tft::fake_gpu_launches("tfjit_random_bits") > *before);
    CHECK(on_gpu.device().ends_with("GPU:0"));
    CHECK(tft::values_of(on_gpu) == tft::values_of(on_cpu));
  }
}

TEST_CASE("eager sort and top_k take their values on the GPU (take_along_axis) as on the CPU",
          "[device][gpu][sort]") {
  if (tft::skip_without_gpu()) return;
  std::mt19937 rng(19);
  for (tf::DType dtype : kNumericDTypes) {
    const tf::Tensor x = integral_values({4, 9, 3}, dtype, -5, 5, rng, /*nan=*/true);
    const std::string of = " of " + dtype_string(dtype);
    compare_launching("tfjit_take_along_axis", "sort" + of, [&] { return tf::sort(x, 1); });
    compare_launching("tfjit_take_along_axis", "descending sort" + of,
                      [&] { return tf::sort(x, 2, "DESCENDING"); });
    compare_launching("tfjit_take_along_axis", "top_k" + of,
                      [&] { return tf::math::top_k(x, 3).values; });
  }
}

TEST_CASE("bad input to scans and scatters is the same typed error on the GPU as on the CPU",
          "[device][gpu][scatter]") {
  if (tft::skip_without_gpu()) return;
  const tf::Tensor t = tf::zeros({5, 3});
  const std::vector<std::pair<const char*, std::function<void()>>> cases = {
      {"an index past the end",
       [&] {
         tf::tensor_scatter_nd_add(t, tf::constant({{1}, {5}}), tf::ones({2, 3}));
       }},
      {"a negative index",
       [&] {
         tf::tensor_scatter_nd_update(t, tf::cast(tf::constant({{-1}}), tf::int64),
                                      tf::ones({1, 3}));
       }},
      {"a segment id past num_segments",
       [&] {
         tf::math::unsorted_segment_sum(t, tf::constant({0, 5, 1, 1, 0}), 5);
       }},
      {"a scan along an axis the tensor lacks", [&] { tf::cumsum(t, 2); }},
  };
  for (const auto& [what, f] : cases) {
    INFO(what);
    auto message = [&](const char* device) -> std::string {
      auto scope = tf::device_scope(device);
      try {
        f();
      } catch (const tf::InvalidArgumentError& e) {
        return e.what();
      }
      return "no InvalidArgumentError";
    };
    const std::string cpu = message("/CPU:0");
    CHECK(cpu != "no InvalidArgumentError");
    CHECK(message("/GPU:0") == cpu);
  }
}

}  // namespace
