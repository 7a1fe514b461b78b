// tf::function: tracing once per signature, compiled == eager, captures, results, stages.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "tests/helpers.h"

using tft::values_of;

TEST_CASE("a function traces once per input signature and retraces on a new shape or dtype",
          "[function]") {
  int python_side_effects = 0;
  auto f = tf::function([&](const tf::Tensor& x) {
    ++python_side_effects;  // runs only while tracing, like Python code in tf.function
    return x * x;
  });
  CHECK(f(tf::constant(4.0f)).item<float>() == 16.0f);
  CHECK(f(tf::constant(5.0f)).item<float>() == 25.0f);
  CHECK(f.trace_count() == 1);
  f(tf::constant({1.0f, 2.0f}));
  CHECK(f.trace_count() == 2);
  f(tf::constant(std::vector<double>{1.0, 2.0}));
  CHECK(f.trace_count() == 3);
  f(tf::constant({3.0f, 4.0f}));
  CHECK(f.trace_count() == 3);
  CHECK(python_side_effects == 3);
  CHECK(f.cache_stats().hits == 2);
  CHECK(f.cache_stats().misses == 3);
}

TEST_CASE("compiled matmul, reduce_sum, broadcast_to and cast equal eager", "[function]") {
  auto a = tft::make({1, 2, 3, 4, 5, 6}, {2, 3}, tf::float32);
  auto b = tft::make({1, 0, -1, 2, 0.5, 3}, {3, 2}, tf::float32);
  auto body = [](const tf::Tensor& x, const tf::Tensor& y) {
    auto p = tf::matmul(x, y);
    return std::vector<tf::Tensor>{p,
                                   tf::reduce_sum(x),
                                   tf::reduce_sum(x, 0),
                                   tf::reduce_sum(x, 1, true),
                                   tf::broadcast_to(tf::reduce_sum(x, 0), {4, 3}),
                                   tf::cast(x, tf::int32),
                                   tf::cast(tf::cast(x, tf::float64) * 0.5, tf::float32)};
  };
  auto eager = body(a, b);
  for (bool library : {true, false}) {
    INFO("matmul as library call: " << library);
    auto f = tf::function(body, tf::FunctionOptions{.matmul_library_call = library});
    auto graph = f(a, b);
    REQUIRE(graph.size() == eager.size());
    for (size_t i = 0; i < eager.size(); ++i) {
      INFO("result " << i);
      CHECK(graph[i].shape() == eager[i].shape());
      CHECK(graph[i].dtype() == eager[i].dtype());
      tft::check_close(values_of(graph[i]), values_of(eager[i]), graph[i].dtype(), "result");
    }
  }
}

TEST_CASE("compiled matmul matches eager on a larger problem, library and generated",
          "[function][matmul]") {
  auto a = tf::cast(tf::constant(std::vector<double>(96 * 80, 0.25), tf::TensorShape{96, 80}),
                    tf::float32);
  auto b = tf::fill({80, 72}, 0.5);
  auto want = values_of(tf::matmul(a, b));
  for (bool library : {true, false}) {
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return tf::matmul(x, y); },
                          tf::FunctionOptions{.matmul_library_call = library});
    tft::check_close(values_of(f(a, b)), want, tf::float32, library ? "library" : "generated");
    CHECK(f(tf::ones({2, 0}), tf::ones({0, 3})).to_vector<float>() == std::vector<float>(6, 0.0f));
  }
}

TEST_CASE("concrete tensors used in the body are captured: small embedded, large as arguments",
          "[function]") {
  auto small = tf::constant({1.0f, 2.0f, 3.0f});
  auto large = tf::fill({1000}, 2.0);
  auto f = tf::function([&](const tf::Tensor& x) { return x + small; });
  CHECK(f(tf::fill({3}, 1.0)).to_vector<float>() == std::vector<float>{2, 3, 4});
  CHECK(f.graph("traced", tf::fill({3}, 1.0))
            .find("dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]>") != std::string::npos);
  auto g = tf::function([&](const tf::Tensor& x) { return tf::reduce_sum(x * large); });
  CHECK(g(tf::fill({1000}, 1.0)).item<float>() == 2000.0f);
  auto traced = g.graph("traced", tf::fill({1000}, 1.0));
  CHECK(traced.find("%arg1: tensor<1000xf32>") != std::string::npos);  // passed in, not embedded
}

TEST_CASE("results may be the arguments themselves or constants", "[function]") {
  auto f = tf::function([](const tf::Tensor& x) { return std::tuple{x, tf::constant({7, 8})}; });
  auto [same, c] = f(tf::constant({1.0f, 2.0f}));
  CHECK(same.to_vector<float>() == std::vector<float>{1, 2});
  CHECK(c.to_vector<int32_t>() == std::vector<int32_t>{7, 8});
}

// Folding turns each of these results into the argument itself (issue 18: they crashed the
// compiler in MLIR's promotion of results to out-parameters).
TEST_CASE("results that fold to an argument are copies of it", "[function]") {
  const auto x = tf::constant({1.0f, -2.0f, 3.0f});
  const std::vector<std::function<tf::Tensor(const tf::Tensor&)>> folds_to_x = {
      [](const tf::Tensor& t) { return t * 1.0f; }, [](const tf::Tensor& t) { return t / 1.0f; },
      [](const tf::Tensor& t) { return t - 0.0f; },
      [](const tf::Tensor& t) { return tf::maximum(t, t); },
      [](const tf::Tensor& t) { return tf::reshape(t, {3}); }};
  for (const auto& body : folds_to_x) {
    auto f = tf::function(body);
    auto y = f(x);
    CHECK(y.to_vector<float>() == std::vector<float>{1, -2, 3});
  }
  // d(sum(x * w))/dw is x: a compiled gradient that is an input.
  auto grad = tf::function([](const tf::Tensor& a, const tf::Tensor& w) {
    tf::GradientTape tape;
    tape.watch(w);
    return tape.gradient(tf::reduce_sum(a * w), w);
  });
  CHECK(grad(x, tf::constant({5.0f, 6.0f, 7.0f})).to_vector<float>() ==
        std::vector<float>{1, -2, 3});
}

TEST_CASE("inputs are never written by compiled code", "[function]") {
  auto x = tf::constant({1.0f, 2.0f, 3.0f});
  auto f = tf::function([](const tf::Tensor& t) { return t + t; });
  f(x);
  CHECK(x.to_vector<float>() == std::vector<float>{1, 2, 3});
}

TEST_CASE("a function called while tracing another is inlined", "[function]") {
  auto inner = tf::function([](const tf::Tensor& x) { return x * 3.0f; });
  auto outer = tf::function([&](const tf::Tensor& x) { return inner(x) + 1.0f; });
  CHECK(outer(tf::constant(2.0f)).item<float>() == 7.0f);
  CHECK(inner.trace_count() == 0);
  CHECK(outer.graph("traced", tf::constant(2.0f)).find("func.call") == std::string::npos);
}

TEST_CASE("symbolic tensors cannot escape their trace", "[function][errors]") {
  tf::Tensor leaked;
  auto f = tf::function([&](const tf::Tensor& x) {
    leaked = x * 2.0f;
    return leaked;
  });
  f(tf::constant(1.0f));
  CHECK(leaked.is_symbolic());
  CHECK_THROWS_AS(leaked + leaked, tf::InvalidArgumentError);
  CHECK_THROWS_AS(leaked.to_vector<float>(), tf::InvalidArgumentError);
}

TEST_CASE("dtypes the compiler does not handle yet raise UnimplementedError",
          "[function][errors]") {
  auto f = tf::function([](const tf::Tensor& x) { return x + x; });
  CHECK_THROWS_AS(f(tf::constant(std::vector<uint8_t>{1})), tf::UnimplementedError);
  CHECK(f(tf::constant({1})).item<int32_t>() == 2);  // the function keeps working
}

// Issue 18: a string argument built a null MLIR type and crashed before the dtype check.
TEST_CASE("string arguments and string TensorSpecs raise UnimplementedError",
          "[function][errors]") {
  auto f = tf::function([](const tf::Tensor& x) { return x; });
  CHECK_THROWS_AS(f(tf::constant(std::string("abc"))), tf::UnimplementedError);
  auto g = tf::function([](const tf::Tensor& x) { return x; },
                        {tf::TensorSpec({tf::unknown}, tf::string)});
  CHECK_THROWS_AS(g(tf::constant(std::string("abc"))), tf::Error);
  CHECK_THROWS_AS(f.get_concrete_function(tf::TensorSpec({2}, tf::string)), tf::UnimplementedError);
  CHECK(f(tf::constant(2.0f)).item<float>() == 2.0f);
}

TEST_CASE("every compiler stage can be printed", "[function][stages]") {
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w) {
    return tf::reduce_sum(tf::matmul(x, w) * 2.0f, 1);
  });
  auto x = tf::ones({4, 8}), w = tf::ones({8, 2});
  CHECK(f.graph("traced", x, w).find("tfjit.matmul") != std::string::npos);
  CHECK(f.graph("linalg", x, w).find("linalg.matmul") != std::string::npos);
  CHECK(f.graph("bufferized", x, w).find("call @tfjit_sgemm") != std::string::npos);
  CHECK(f.graph("llvm", x, w).find("llvm.func") != std::string::npos);
  CHECK(f.graph("llvmir", x, w).find("define") != std::string::npos);
  CHECK(f.graph("asm", x, w).find("ret") != std::string::npos);
  CHECK_THROWS_AS(f.graph("nonsense", x, w), tf::InvalidArgumentError);
  CHECK(f(x, w).to_vector<float>() == std::vector<float>{32, 32, 32, 32});
}

TEST_CASE("an elementwise chain fuses into one loop nest", "[function][fusion]") {
  auto f = tf::function([](const tf::Tensor& x) { return x * x + 2.0f * x + 1.0f; });
  auto linalg = f.graph("linalg", tf::ones({16}));
  size_t generics = 0;
  for (size_t p = linalg.find("linalg.generic"); p != std::string::npos;
       p = linalg.find("linalg.generic", p + 1))
    ++generics;
  CHECK(generics == 1);
  CHECK(f(tf::constant({1.0f, 2.0f})).to_vector<float>() == std::vector<float>{4, 9});
}

namespace {
enum class Activation { kRelu, kTanh };
}

TEST_CASE("C++ values are part of the signature: a new value retraces, explained",
          "[function][signature]") {
  int traces = 0;
  auto f = tf::function(
      [&](const tf::Tensor& x, double scale, bool negate, const std::string& mode, Activation act) {
        ++traces;
        auto y = x * scale;
        if (negate) y = -y;
        if (mode == "square") y = y * y;
        return act == Activation::kRelu ? tf::relu(y) : tf::tanh(y);
      });
  auto x = tf::constant({1.0f, -2.0f});
  CHECK(f(x, 2.0, false, std::string("plain"), Activation::kRelu).to_vector<float>() ==
        std::vector<float>{2, 0});
  CHECK(f(x, 2.0, false, std::string("plain"), Activation::kRelu).to_vector<float>() ==
        std::vector<float>{2, 0});
  CHECK(traces == 1);
  CHECK(f(x, 3.0, false, std::string("plain"), Activation::kRelu).to_vector<float>() ==
        std::vector<float>{3, 0});
  CHECK(f.last_retrace_reason() == "value argument 0: 2 -> 3");
  CHECK(f(x, 3.0, true, std::string("square"), Activation::kRelu).to_vector<float>() ==
        std::vector<float>{9, 36});
  CHECK(f.last_retrace_reason() ==
        "value argument 1: false -> true; value argument 2: \"plain\" -> \"square\"");
  f(tf::constant({1.0f, 2.0f, 3.0f}), 3.0, true, std::string("square"), Activation::kTanh);
  CHECK(f.last_retrace_reason() ==
        "tensor argument 0: shape (2,) -> (3,); value argument 3: enum 0 -> enum 1");
  CHECK(f.trace_count() == 4);
}

TEST_CASE("variables can be passed as arguments, their value at the call is used",
          "[function][signature]") {
  tf::Variable v(tf::constant({1.0f, 2.0f}));
  auto f = tf::function([](const tf::Tensor& t) { return t * 2.0f; });
  CHECK(f(v).to_vector<float>() == std::vector<float>{2, 4});
  v.assign(tf::constant({5.0f, 6.0f}));
  CHECK(f(v).to_vector<float>() == std::vector<float>{10, 12});
  CHECK(f.trace_count() == 1);
}

TEST_CASE("run_functions_eagerly runs bodies eagerly for debugging", "[function][config]") {
  int runs = 0;
  auto f = tf::function([&](const tf::Tensor& x) {
    ++runs;
    return x + 1.0f;
  });
  tf::config::run_functions_eagerly(true);
  CHECK(tf::config::functions_run_eagerly());
  CHECK(f(tf::constant(1.0f)).item<float>() == 2.0f);
  CHECK(f(tf::constant(1.0f)).item<float>() == 2.0f);
  tf::config::run_functions_eagerly(false);
  CHECK(runs == 2);
  CHECK(f.trace_count() == 0);
  f(tf::constant(1.0f));
  CHECK(f.trace_count() == 1);
}

TEST_CASE("identical graphs share compiled code across functions, TFJIT_DUMP_DIR dumps stages",
          "[function][cache]") {
  auto make = [] {
    return tf::function([](const tf::Tensor& x) { return tf::exp(x) * 7.0f - 1.0f; });
  };
  auto before = tf::config::compile_cache_info();
  auto f = make(), g = make();
  auto x = tf::constant({0.0f, 1.0f});
  CHECK(f(x).to_vector<float>() == g(x).to_vector<float>());
  auto after = tf::config::compile_cache_info();
  CHECK(after.misses - before.misses == 1);  // g's trace reused f's code
  CHECK(after.hits - before.hits == 1);
  CHECK(g.trace_count() == 1);  // each function still traces (C++ side effects run)

  std::string dir =
      std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/tfjit_dump_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  setenv("TFJIT_DUMP_DIR", dir.c_str(), 1);
  auto h = tf::function([](const tf::Tensor& t) { return t * t * 3.0f; });
  h(x);
  unsetenv("TFJIT_DUMP_DIR");
  const bool on_gpu = h.get_concrete_function(x).device().find("GPU") != std::string::npos;
  int files = 0;
  bool has_asm = false, has_ptx = false;
  for (auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    has_asm |= entry.path().string().ends_with("_asm.txt");
    has_ptx |= entry.path().string().ends_with("_ptx.txt");
  }
  // One file per stage; on a GPU, the stages before the loops, then the PTX.
  CHECK(files == (on_gpu ? 5 : 8));
  CHECK(has_asm != on_gpu);
  CHECK(has_ptx == on_gpu);
  std::filesystem::remove_all(dir);
}

TEST_CASE("TFJIT_PERF_MAP names each loaded function's code in perf's map file",
          "[function][cache]") {
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  struct PerfMapOn {
    PerfMapOn() { setenv("TFJIT_PERF_MAP", "1", 1); }
    ~PerfMapOn() { unsetenv("TFJIT_PERF_MAP"); }
  };
  // A constant no other graph of this process has, so the code is loaded, not reused.
  const float unique = 7.25f + float(getpid() % 1000) / 1024.0f;
  auto f = tf::function([unique](const tf::Tensor& t) { return t * unique - 1.5f; });
  auto x = tf::constant({0.0f, 1.0f});
  {
    PerfMapOn on;
    f(x);
  }
  if (f.get_concrete_function(x).device().find("GPU") != std::string::npos) return;  // no host code
  std::ifstream in(path);
  REQUIRE(in.good());
  // perf's format: start and size in hex, then the name.
  bool entry = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string start, size, name;
    fields >> start >> size >> name;
    if (name != "tfjit:tfjit_entry") continue;
    entry = std::stoull(start, nullptr, 16) != 0 && std::stoull(size, nullptr, 16) != 0;
  }
  CHECK(entry);
  std::filesystem::remove(path);
}

TEST_CASE("a function keeps at most max_signatures compiled signatures, least recently used first",
          "[function][cache]") {
  auto f = tf::function([](const tf::Tensor& x) { return x + 1.0f; },
                        tf::FunctionOptions{.max_signatures = 2});
  f(tf::zeros({1}));
  const int64_t one_signature = f.cache_stats().code_bytes;
  CHECK(one_signature > 0);
  f(tf::zeros({2}));
  f(tf::zeros({1}));  // (1,) is now more recent than (2,)
  f(tf::zeros({3}));  // evicts (2,)
  CHECK(f.cache_stats().evictions == 1);
  CHECK(f.cache_stats().signatures == 2);
  // The bytes of the two kept signatures: each about one signature's (the shapes differ only in
  // constants of the code).
  CHECK(f.cache_stats().code_bytes > one_signature);
  CHECK(f.cache_stats().code_bytes < 3 * one_signature);
  f(tf::zeros({1}));
  CHECK(f.trace_count() == 3);
  f(tf::zeros({2}));  // traced again
  CHECK(f.trace_count() == 4);
  CHECK(f(tf::zeros({2})).to_vector<float>() == std::vector<float>{1, 1});
}

TEST_CASE("many threads may call and trace the same function at once", "[function][threads]") {
  auto f = tf::function([](const tf::Tensor& x) { return tf::reduce_sum(x * x); });
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        int64_t n = 1 + (i + t) % 3;  // three signatures, traced by whichever thread comes first
        float got = f(tf::ones({n})).item<float>();
        if (got != static_cast<float>(n)) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(f.trace_count() == 3);
}

TEST_CASE("a graph too long for one LLVM function compiles in pieces that compute what eager does",
          "[function]") {
  // About 1,200 blocks in the entry function: cut into noinline pieces before -O3
  // (compiler/split_functions.cpp), whose values cross between the pieces through memory. A
  // convolution (a library call, with the unranked descriptors MLIR builds on the stack where it
  // calls) in every piece's worth of blocks.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-2, 2);
  auto random = [&](const tf::TensorShape& shape, float scale) {
    std::vector<float> v(static_cast<size_t>(shape.num_elements()));
    for (float& e : v) e = u(rng) * scale;
    return tf::constant(v, shape);
  };
  tf::Tensor x = random({6, 37}, 1), w = random({3, 37, 37}, 0.05f);
  auto chain = [w](const tf::Tensor& in) {
    tf::Tensor h = in;
    for (int i = 0; i < 80; ++i) {
      h = tf::tanh(h * 0.5f + 0.1f);
      h = h - tf::reduce_mean(h, -1, true);
      if (i % 8 == 7)
        h = tf::reshape(tf::nn::conv1d(tf::reshape(h, {1, 6, 37}), w, {1}, "SAME"), {6, 37});
    }
    return h + in;  // the argument, read again at the end
  };
  auto f = tf::function(chain);
  const std::string ir = f.get_concrete_function(x).graph("llvmir");
  size_t pieces = 0;
  for (size_t at = ir.find("define internal"); at != std::string::npos;
       at = ir.find("define internal", at + 1))
    ++pieces;
  CHECK(pieces >= 3);
  const auto compiled = f(x).to_vector<float>(), eager = chain(x).to_vector<float>();
  REQUIRE(compiled.size() == eager.size());
  for (size_t i = 0; i < eager.size(); ++i) CHECK(compiled[i] == Approx(eager[i]).margin(1e-4));
}

TEST_CASE("get_concrete_function traces once and exposes every compiler stage", "[function]") {
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return x * y + 1.0f; });
  auto x = tf::constant({1.0f, 2.0f, 3.0f}), y = tf::constant({4.0f, 5.0f, 6.0f});
  tf::ConcreteFunction c = f.get_concrete_function(x, y);
  CHECK(f.trace_count() == 1);
  CHECK(c.input_dtypes() == std::vector<tf::DType>{tf::float32, tf::float32});
  CHECK(c.input_shapes() == std::vector<tf::TensorShape>{{3}, {3}});
  CHECK(c.code_bytes() > 0);
  CHECK(c.graph().find("tfjit.binary") != std::string::npos);
  CHECK(c.graph("linalg").find("linalg.generic") != std::string::npos);
  CHECK(c.graph("llvmir").find("define void @tfjit_entry") != std::string::npos);
  CHECK_FALSE(c.graph("asm").empty());
  CHECK(c.graph("ptx").find(".visible .entry main_kernel(") != std::string::npos);
  CHECK_THROWS_AS(c.graph("sass"), tf::InvalidArgumentError);

  auto out = c({x, y});
  REQUIRE(out.size() == 1);
  CHECK(out[0].to_vector<float>() == std::vector<float>{5, 11, 19});
  f(x, y);
  CHECK(f.trace_count() == 1);  // the call reuses the concrete function's trace
  CHECK_THROWS_AS(c({x}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(c({x, tf::constant({1.0f, 2.0f})}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(c({x, tf::constant({1, 2, 3})}), tf::InvalidArgumentError);

  auto path = std::filesystem::temp_directory_path() / "tfjit_concrete_function.mlir";
  c.save(path.string());
  std::ifstream in(path);
  std::string saved((std::istreambuf_iterator<char>(in)), {});
  CHECK(saved == c.graph());
  CHECK_THROWS_AS(c.save("/proc/no/such/dir/f.mlir"), tf::InvalidArgumentError);
}

TEST_CASE("compiled loops above the threading threshold split over threads and stay exact",
          "[function]") {
  const int64_t rows = 1024, cols = 512;  // 2^19 elements: several tasks
  std::vector<float> data(rows * cols);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i % 1000) * 1e-3f;
  auto x = tf::constant(data, tf::TensorShape{rows, cols});
  auto f = tf::function([](const tf::Tensor& t) { return tf::reduce_sum(t * t + 1.0f, 1); });
  CHECK(f.graph("loops", x).find("call @tfjit_parallel_for") != std::string::npos);  // threaded
  auto got = f(x).to_vector<float>();
  REQUIRE(got.size() == static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double want = 0;
    for (int64_t c = 0; c < cols; ++c) {
      double v = data[r * cols + c];
      want += v * v + 1.0;
    }
    CHECK(got[r] == Approx(want).epsilon(1e-5));
  }
}

TEST_CASE("get_concrete_function takes TensorSpecs: unknown dims give one dynamic graph",
          "[function][signature]") {
  auto f = tf::function([](const tf::Tensor& x) { return tf::reduce_sum(x * 2.0f, 1); });
  auto c = f.get_concrete_function(tf::TensorSpec({tf::unknown, 3}, tf::float32));
  CHECK(c.graph().find("tensor<?x3xf32>") != std::string::npos);
  CHECK(c.input_shapes() == std::vector<tf::TensorShape>{{tf::unknown, 3}});
  auto x = tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  CHECK(c({x})[0].to_vector<float>() == std::vector<float>{12, 30});
  CHECK(f(tf::ones({5, 3})).to_vector<float>() == std::vector<float>(5, 6.0f));
  CHECK(f.trace_count() == 1);  // the call matched the concrete function's signature
  CHECK_THROWS_AS(c({tf::ones({2, 4})}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(f.get_concrete_function(tf::TensorSpec::unknown_rank()),
                  tf::InvalidArgumentError);
}
