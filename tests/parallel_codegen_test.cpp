// Code generation on several threads (compiler/codegen.cpp): a large graph's functions are
// compiled as partitions at once, linked together, and compute the same bits as the code compiled
// on one thread; the objects travel as one bundle, whose malformed forms are typed errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>
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

// The settings a test changes, restored however it ends.
struct SavedSettings {
  std::string disk_cache_dir = config::disk_cache_dir();
  bool disk_cache_enabled = config::disk_cache_enabled();
  int intra_op_threads = config::threading::get_intra_op_parallelism_threads();
  ~SavedSettings() {
    config::set_disk_cache_dir(disk_cache_dir);
    config::enable_disk_cache(disk_cache_enabled);
    config::threading::set_intra_op_parallelism_threads(intra_op_threads);
  }
};

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

TEST_CASE("partitions share a large constant, copy small ones and keep a print's text",
          "[compiler][codegen]") {
  const int64_t rows = 64, cols = 512;
  std::vector<float> x(rows * cols), big(rows * cols), row(cols);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.23 * double(i));
  for (size_t i = 0; i < big.size(); ++i) big[i] = 1.0f + 0.5f * std::cos(0.07 * double(i));
  for (size_t i = 0; i < row.size(); ++i) row[i] = 0.01f * float(i % 7);
  const Tensor row_t = constant(row, {cols});
  auto body = [&](const Tensor& in, const Tensor& scale) {
    Tensor h = chain(in) * scale + row_t;
    print("parallel codegen test: row sum", reduce_sum(h));
    return h;
  };
  // `scale` made a 128 KiB constant of the graph (tracing embeds only tiny tensors): one global,
  // defined by one partition, that the others link to. The 2 KiB row is a captured argument.
  std::string text =
      function(body).graph("traced", constant(x, {rows, cols}), constant(big, {rows, cols}));
  const std::string type = "tensor<64x512xf32>", scale_arg = ", %arg1: " + type;
  const size_t signature = text.find(scale_arg);
  REQUIRE(signature != std::string::npos);
  text.erase(signature, scale_arg.size());
  std::string hex = "0x";
  for (float v : big) {
    unsigned char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    for (unsigned char c : bytes)
      hex += "0123456789ABCDEF"[c >> 4], hex += "0123456789ABCDEF"[c & 15];
  }
  text.insert(text.find('\n', signature) + 1,
              "    %arg1 = tfjit.constant dense<\"" + hex + "\"> : " + type + "\n");
  auto graph = compiler::Graph::parse(text);
  REQUIRE(graph->arguments().size() == 2);  // x and the row
  const std::string lowered = graph->text(compiler::Stage::kLLVMDialect);
  const size_t global = lowered.find("llvm.mlir.global");
  REQUIRE(global != std::string::npos);  // the constant is a global, not folded away
  CHECK(lowered.find("!llvm.array<64 x array<512 x f32>>", global) != std::string::npos);

  std::ostringstream printed;
  std::ostream* saved = set_print_output(&printed);
  compiler::CompileOptions two;
  two.codegen_threads = 2;
  const std::string code = graph->object_code(two);
  CHECK(compiler::unpack_objects(code).size() > 2);
  std::vector<float> got(x.size());
  const void* args[] = {x.data(), row.data()};
  void* results[] = {got.data()};
  graph->load(code, two)->run(args, results);
  set_print_output(saved);
  CHECK(printed.str().find("parallel codegen test: row sum") != std::string::npos);

  auto want = chain_reference(std::vector<double>(x.begin(), x.end()), rows, cols);
  for (size_t i = 0; i < want.size(); ++i)
    REQUIRE(got[i] == Approx(want[i] * big[i] + row[i % cols]).margin(1e-5));
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
  SavedSettings saved;
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
  std::filesystem::remove_all(dir);

  CHECK(after.disk_writes - before.disk_writes == 1);
  CHECK(after.disk_hits - before.disk_hits == 1);
  REQUIRE(std::memcmp(compiled.data(), loaded.data(), compiled.size() * sizeof(float)) == 0);
  const auto want = chain_reference(std::vector<double>(values.begin(), values.end()), rows, cols);
  for (size_t i = 0; i < want.size(); ++i) REQUIRE(loaded[i] == Approx(want[i]).margin(1e-5));
  compiler::CompileOptions two;  // what tf::function compiled with: a bundle
  two.codegen_threads = 2;
  CHECK(compiler::unpack_objects(
            compiler::Graph::parse(function(chain).graph("traced", x))->object_code(two))
            .size() > 1);
}
