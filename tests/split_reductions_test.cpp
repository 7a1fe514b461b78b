// Split reductions (compiler/lowering/split_reductions.cpp) keep every value: the GPU always
// compiles with them, and here they run on the CPU, against float64 references, for sums (with
// a fused producer), maxima with NaN, integer sums, boolean any, reductions over a leading axis
// and lengths with no divisor in range (their remainder peeled off first). Rows that GPU blocks
// reduce whole (up to 16384 elements, or many rows) are not split, so these rows are longer.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "tests/helpers.h"

namespace {

using namespace tf;

compiler::CompileOptions split() {
  compiler::CompileOptions options;
  options.split_reductions = true;
  return options;
}

// Runs a one-argument, one-result graph compiled with split reductions.
template <class In, class Out>
std::vector<Out> run(const std::string& mlir, const std::vector<In>& input, size_t outputs) {
  auto graph = compiler::Graph::parse(mlir);
  INFO(graph->text(compiler::Stage::kLinalg, split()));
  auto executable = graph->compile(split());
  std::vector<Out> out(outputs);
  const void* args[] = {input.data()};
  void* results[] = {out.data()};
  executable->run(args, results);
  return out;
}

std::string reduce_graph(const std::string& fn, const std::string& in, const std::string& axes,
                         const std::string& out, const std::string& producer = "") {
  std::string body = producer.empty() ? ""
                                      : "    %p = tfjit.unary \"" + producer + "\" %x : " + in +
                                            " -> " + in + "\n";
  return "module {\n  func.func @main(%x: " + in + ") -> " + out + " {\n" + body +
         "    %r = tfjit.reduce \"" + fn + "\" " + (producer.empty() ? "%x" : "%p") +
         " {axes = array<i64: " + axes + ">, keepdims = false} : " + in + " -> " + out +
         "\n    return %r : " + out + "\n  }\n}\n";
}

}  // namespace

TEST_CASE("split reductions: the graph really is split", "[compiler][reduction]") {
  auto graph = compiler::Graph::parse(
      reduce_graph("reduce_sum", "tensor<1000x1000xf32>", "0, 1", "tensor<f32>"));
  CHECK(graph->text(compiler::Stage::kLinalg).find("expand_shape") == std::string::npos);
  CHECK(graph->text(compiler::Stage::kLinalg, split()).find("expand_shape") != std::string::npos);
}

TEST_CASE("split reductions: a fused full sum of squares matches float64",
          "[compiler][reduction]") {
  auto x = tft::random_floats(1000 * 1000, 1);
  double want = 0;
  for (float v : x) want += double(v) * v;
  auto got = run<float, float>(
      reduce_graph("reduce_sum", "tensor<1000x1000xf32>", "0, 1", "tensor<f32>", "square"), x, 1);
  CHECK(got[0] == Approx(want).epsilon(1e-5));
}

TEST_CASE("split reductions: row maxima propagate NaN", "[compiler][reduction]") {
  const int cols = 65536;
  auto x = tft::random_floats(8 * cols, 2);
  x[3 * cols + 5000] = std::numeric_limits<float>::quiet_NaN();
  x[6 * cols + cols - 1] = 7.f;
  const std::string graph = reduce_graph("reduce_max", "tensor<8x65536xf32>", "1", "tensor<8xf32>");
  CHECK(
      compiler::Graph::parse(graph)->text(compiler::Stage::kLinalg, split()).find("expand_shape") !=
      std::string::npos);
  auto got = run<float, float>(graph, x, 8);
  for (int r = 0; r < 8; ++r) {
    INFO("row " << r);
    float want = -INFINITY;
    for (int c = 0; c < cols; ++c) want = std::max(want, x[r * cols + c]);
    if (r == 3)
      CHECK(std::isnan(got[r]));
    else
      CHECK(got[r] == want);
  }
  CHECK(got[6] == 7.f);
}

TEST_CASE("split reductions: integer column sums are exact", "[compiler][reduction]") {
  const int rows = 4096, cols = 3;
  std::vector<int32_t> x(rows * cols);
  for (int i = 0; i < rows * cols; ++i) x[i] = (i * 7919) % 1000 - 500;
  auto got = run<int32_t, int32_t>(
      reduce_graph("reduce_sum", "tensor<4096x3xi32>", "0", "tensor<3xi32>"), x, cols);
  for (int c = 0; c < cols; ++c) {
    int64_t want = 0;
    for (int r = 0; r < rows; ++r) want += x[r * cols + c];
    CHECK(got[c] == want);
  }
}

TEST_CASE("split reductions: any over 2^16 booleans finds the single true",
          "[compiler][reduction]") {
  for (int at : {-1, 0, 40000, 65535}) {
    INFO("true at " << at);
    std::vector<uint8_t> x(65536, 0);
    if (at >= 0) x[at] = 1;
    auto got = run<uint8_t, uint8_t>(
        reduce_graph("reduce_any", "tensor<65536xi1>", "0", "tensor<i1>"), x, 1);
    CHECK(got[0] == (at >= 0 ? 1 : 0));
  }
}

TEST_CASE("split reductions: a prime length is split once its remainder is peeled off",
          "[compiler][reduction]") {
  auto x = tft::random_floats(100003, 3);
  double want = 0;
  for (float v : x) want += v;
  const std::string mlir = reduce_graph("reduce_sum", "tensor<100003xf32>", "0", "tensor<f32>");
  const std::string linalg = compiler::Graph::parse(mlir)->text(compiler::Stage::kLinalg, split());
  CHECK(linalg.find("[0] [99968] [1]") != std::string::npos);   // 64 x 1562, split
  CHECK(linalg.find("[99968] [35] [1]") != std::string::npos);  // the remainder, whole
  CHECK(run<float, float>(mlir, x, 1)[0] == Approx(want).margin(1e-2));
}

TEST_CASE("split reductions: peeled row maxima and integer sums keep every value",
          "[compiler][reduction]") {
  const int rows = 3, cols = 16411;  // prime: 16384 split, 27 peeled
  auto x = tft::random_floats(rows * cols, 4);
  x[0 * cols + cols - 1] = 50.f;                                     // in the peeled tail
  x[1 * cols + 10] = 60.f;                                           // in the split head
  x[2 * cols + cols - 3] = std::numeric_limits<float>::quiet_NaN();  // NaN in the tail
  auto max = run<float, float>(
      reduce_graph("reduce_max", "tensor<3x16411xf32>", "1", "tensor<3xf32>"), x, rows);
  CHECK(max[0] == 50.f);
  CHECK(max[1] == 60.f);
  CHECK(std::isnan(max[2]));

  std::vector<int32_t> ints(rows * cols);
  for (size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<int32_t>(i * 7919 % 2001) - 1000;
  auto sums = run<int32_t, int32_t>(
      reduce_graph("reduce_sum", "tensor<3x16411xi32>", "1", "tensor<3xi32>"), ints, rows);
  for (int r = 0; r < rows; ++r) {
    int64_t want = 0;
    for (int c = 0; c < cols; ++c) want += ints[r * cols + c];
    CHECK(sums[r] == want);
  }
}
