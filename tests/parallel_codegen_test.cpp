// Code generation on several threads (compiler/codegen.cpp): a large graph's functions are
// compiled as partitions at once, linked together, and compute the same bits as the code compiled
// on one thread; the objects travel as one bundle, whose malformed forms are typed errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "compiler/compiler.h"
#include "compiler/object_bundle.h"
#include "tests/helpers.h"

namespace {

using namespace tf;

// Many kernels (each row mean ends a fused chain), most of them parallel loops.
Tensor chain(const Tensor& x) {
  Tensor h = x;
  for (int i = 0; i < 24; ++i) {
    h = tanh(h * 0.5f + 0.1f);
    h = h - reduce_mean(h, -1, true);
  }
  return h;
}

// The same chain in float64.
std::vector<double> chain_reference(std::vector<double> h, int64_t rows, int64_t cols) {
  for (int i = 0; i < 24; ++i) {
    for (double& v : h) v = std::tanh(v * 0.5 + 0.1);
    for (int64_t r = 0; r < rows; ++r) {
      double mean = 0;
      for (int64_t c = 0; c < cols; ++c) mean += h[r * cols + c];
      mean /= double(cols);
      for (int64_t c = 0; c < cols; ++c) h[r * cols + c] -= mean;
    }
  }
  return h;
}

std::vector<float> run(const compiler::Executable& code, const std::vector<float>& x) {
  std::vector<float> out(x.size());
  const void* args[] = {x.data()};
  void* results[] = {out.data()};
  code.run(args, results);
  return out;
}

}  // namespace

TEST_CASE("a large graph compiled on two threads links its partitions and computes the same bits",
          "[compiler][codegen]") {
  const int64_t rows = 64, cols = 512;
  std::vector<float> x(rows * cols);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * double(i)) * 3.0f;
  auto graph = compiler::Graph::parse(function(chain).graph("traced", constant(x, {rows, cols})));
  compiler::CompileOptions one, two;
  two.codegen_threads = 2;
  const std::string serial = graph->object_code(one), parallel = graph->object_code(two);
  CHECK(compiler::unpack_objects(serial).size() == 1);
  CHECK(compiler::unpack_objects(parallel).size() > 2);  // a few partitions per thread

  const auto a = run(*graph->load(serial, one), x), b = run(*graph->load(parallel, two), x);
  REQUIRE(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  const auto want = chain_reference(std::vector<double>(x.begin(), x.end()), rows, cols);
  for (size_t i = 0; i < want.size(); ++i) REQUIRE(b[i] == Approx(want[i]).margin(1e-5));
}

TEST_CASE("a small graph stays one object whatever the threads", "[compiler][codegen]") {
  auto graph = compiler::Graph::parse(
      function([](const Tensor& x) { return x * 2.0f + 1.0f; }).graph("traced", zeros({8})));
  compiler::CompileOptions options;
  options.codegen_threads = 4;
  CHECK(compiler::unpack_objects(graph->object_code(options)).size() == 1);
}

TEST_CASE("an object bundle packs and unpacks, and a malformed one is a typed error",
          "[compiler][codegen]") {
  const std::vector<std::string> objects = {
      "\x7f"
      "ELF first",
      "second object"};
  const std::string bundle = compiler::pack_objects(objects);
  auto parts = compiler::unpack_objects(bundle);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == objects[0]);
  CHECK(parts[1] == objects[1]);
  CHECK(compiler::pack_objects({objects[0]}) == objects[0]);  // one object is itself

  // Every truncation, a trailing byte, and a count or size out of range.
  for (size_t n = 8; n < bundle.size(); ++n)
    CHECK_THROWS_AS(compiler::unpack_objects(bundle.substr(0, n)), InvalidArgumentError);
  CHECK_THROWS_AS(compiler::unpack_objects(bundle + "x"), InvalidArgumentError);
  for (auto [field, value] : {std::pair<size_t, uint64_t>{8, 0},
                              {8, ~uint64_t{0}},
                              {16, 0},
                              {16, ~uint64_t{0}}}) {  // the count, the first size
    std::string bad = bundle;
    std::memcpy(bad.data() + field, &value, sizeof value);
    CHECK_THROWS_AS(compiler::unpack_objects(bad), InvalidArgumentError);
  }
}

TEST_CASE("code compiled on two threads is one disk cache entry that a later process loads",
          "[compiler][codegen][cache][disk]") {
  const auto dir = std::filesystem::temp_directory_path() / "tfjit_parallel_codegen_test";
  std::filesystem::remove_all(dir);
  const std::string saved_dir = config::disk_cache_dir();
  const bool saved_enabled = config::disk_cache_enabled();
  config::set_disk_cache_dir(dir.string());
  config::enable_disk_cache(true);
  config::threading::set_intra_op_parallelism_threads(2);
  const int64_t rows = 8, cols = 4096;  // a shape no other test compiles
  std::vector<float> values(rows * cols);
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::cos(0.11 * double(i));
  auto x = constant(values, {rows, cols});

  config::clear_compile_cache();
  const auto before = config::compile_cache_info();
  const auto compiled = function(chain)(x).to_vector<float>();
  config::clear_compile_cache();  // as in a new process
  const auto loaded = function(chain)(x).to_vector<float>();
  const auto after = config::compile_cache_info();
  config::threading::set_intra_op_parallelism_threads(0);
  config::set_disk_cache_dir(saved_dir);
  config::enable_disk_cache(saved_enabled);
  std::filesystem::remove_all(dir);

  CHECK(after.disk_writes - before.disk_writes == 1);
  CHECK(after.disk_hits - before.disk_hits == 1);
  REQUIRE(std::memcmp(compiled.data(), loaded.data(), compiled.size() * sizeof(float)) == 0);
  const auto want = chain_reference(std::vector<double>(values.begin(), values.end()), rows, cols);
  for (size_t i = 0; i < want.size(); ++i) REQUIRE(loaded[i] == Approx(want[i]).margin(1e-5));
}
