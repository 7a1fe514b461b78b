// The GPU path's launch plans, checked without a GPU: the host side of a compiled graph must
// pass every kernel exactly the parameters its PTX entry point declares (the ABI between the
// plan and the NVPTX backend), with GEMM sizes, buffer sizes and constants' bytes as the graph
// says; plans survive serialisation (the disk cache) and corrupt bytes are refused; host control
// flow becomes branches; graphs with unknown dims are refused until specialised to a shape.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "ops/op_info.h"
#include "runtime/gpu_program.h"
#include "tfjit/errors.h"

namespace {

using namespace tf;
using rt::gpu::KernelParam;

// Each PTX entry point's parameter types ("u64", "f32", ...), in order.
std::map<std::string, std::vector<std::string>> ptx_entries(const std::string& ptx) {
  std::map<std::string, std::vector<std::string>> entries;
  const std::regex entry(R"(\.entry (\w+)\(([^)]*)\))"), param(R"(\.param \.(\w+))");
  for (auto it = std::sregex_iterator(ptx.begin(), ptx.end(), entry); it != std::sregex_iterator();
       ++it) {
    const std::string params = (*it)[2];
    auto& types = entries[(*it)[1]];
    for (auto p = std::sregex_iterator(params.begin(), params.end(), param);
         p != std::sregex_iterator(); ++p)
      types.push_back((*p)[1]);
  }
  return entries;
}

rt::gpu::Program program_for(const std::string& mlir, bool library_gemm = true) {
  auto graph = compiler::Graph::parse(mlir);
  compiler::CompileOptions options;
  options.matmul_library_call = library_gemm;
  return graph->gpu_program("sm_90", options);
}

// Every launch names a PTX entry and matches its parameter list, kind for kind.
void check_launches_match_ptx(const rt::gpu::Program& p) {
  auto entries = ptx_entries(p.image);
  for (const auto& step : p.steps) {
    const auto* launch = std::get_if<rt::gpu::Launch>(&step);
    if (!launch) continue;
    INFO("kernel " << launch->kernel);
    REQUIRE(entries.count(launch->kernel) == 1);
    const auto& types = entries[launch->kernel];
    REQUIRE(types.size() == launch->params.size());
    for (size_t i = 0; i < types.size(); ++i) {
      INFO("parameter " << i << " is ." << types[i]);
      switch (launch->params[i].kind) {
        case KernelParam::Kind::kAddress:
          CHECK(types[i] == "u64");
          break;
        case KernelParam::Kind::kFloat32:
          CHECK(types[i] == "f32");
          break;
        case KernelParam::Kind::kFloat64:
          CHECK(types[i] == "f64");
          break;
        case KernelParam::Kind::kInteger:
          CHECK(types[i][0] != 'f');
          break;
      }
    }
    CHECK(launch->block[0] * launch->block[1] * launch->block[2] <= 1024);
  }
}

const char* kMlp = R"(
module {
  func.func @main(%x: tensor<64x128xf32>, %w: tensor<128x32xf32>, %b: tensor<32xf32>) -> tensor<64xf32> {
    %0 = tfjit.matmul %x, %w : tensor<64x128xf32>, tensor<128x32xf32> -> tensor<64x32xf32>
    %1 = tfjit.broadcast_to %b : tensor<32xf32> -> tensor<64x32xf32>
    %2 = tfjit.binary "add" %0, %1 : tensor<64x32xf32> -> tensor<64x32xf32>
    %3 = tfjit.constant dense<0.000000e+00> : tensor<f32>
    %4 = tfjit.broadcast_to %3 : tensor<f32> -> tensor<64x32xf32>
    %5 = tfjit.binary "maximum" %2, %4 : tensor<64x32xf32> -> tensor<64x32xf32>
    %6 = tfjit.reduce "reduce_sum" %5 {axes = array<i64: 1>, keepdims = false} : tensor<64x32xf32> -> tensor<64xf32>
    return %6 : tensor<64xf32>
  }
})";

const char* kIntegersAndBools = R"(
module {
  func.func @main(%a: tensor<16xi32>, %b: tensor<16xi32>, %m: tensor<16xi1>) -> (tensor<16xf64>, tensor<4xi32>) {
    %s = tfjit.binary "add" %a, %b : tensor<16xi32> -> tensor<16xi32>
    %w = tfjit.select %m, %s, %a : tensor<16xi1>, tensor<16xi32>
    %f = tfjit.cast %w : tensor<16xi32> -> tensor<16xf64>
    %k = tfjit.constant dense<[true, false, true, true]> : tensor<4xi1>
    %head = tfjit.slice %a {start = array<i64: 0>, size = array<i64: 4>, stride = array<i64: 1>} : tensor<16xi32> -> tensor<4xi32>
    %tail = tfjit.slice %b {start = array<i64: 12>, size = array<i64: 4>, stride = array<i64: 1>} : tensor<16xi32> -> tensor<4xi32>
    %pick = tfjit.select %k, %head, %tail : tensor<4xi1>, tensor<4xi32>
    return %f, %pick : tensor<16xf64>, tensor<4xi32>
  }
})";

const char* kBatchMatmul = R"(
module {
  func.func @main(%a: tensor<2x4x8xf32>, %b: tensor<2x8x3xf32>) -> tensor<2x4x3xf32> {
    %c = tfjit.matmul %a, %b : tensor<2x4x8xf32>, tensor<2x8x3xf32> -> tensor<2x4x3xf32>
    return %c : tensor<2x4x3xf32>
  }
})";

// A mean squared error: a split full reduction, then arithmetic on the scalar (kernels too).
const char* kScalarLoss = R"(
module {
  func.func @main(%p: tensor<4096x4xf32>, %y: tensor<4096x4xf32>) -> tensor<f32> {
    %d = tfjit.binary "subtract" %p, %y : tensor<4096x4xf32> -> tensor<4096x4xf32>
    %s = tfjit.unary "square" %d : tensor<4096x4xf32> -> tensor<4096x4xf32>
    %r = tfjit.reduce "reduce_sum" %s {axes = array<i64: 0, 1>, keepdims = false} : tensor<4096x4xf32> -> tensor<f32>
    %n = tfjit.constant dense<16384.0> : tensor<f32>
    %m = tfjit.binary "realdiv" %r, %n : tensor<f32> -> tensor<f32>
    return %m : tensor<f32>
  }
})";

// float16 in, computed in float: the reduction's f16 zero reaches its kernel as a parameter.
const char* kHalfRowSum = R"(
module {
  func.func @main(%x: tensor<24x50xf16>) -> tensor<24xf16> {
    %e = tfjit.unary "exp" %x : tensor<24x50xf16> -> tensor<24x50xf16>
    %m = tfjit.binary "multiply" %e, %x : tensor<24x50xf16> -> tensor<24x50xf16>
    %s = tfjit.reduce "reduce_sum" %m {axes = array<i64: 1>, keepdims = false} : tensor<24x50xf16> -> tensor<24xf16>
    return %s : tensor<24xf16>
  }
})";

// A batch of unknown size: a bias broadcast like the matmul's result, a mean over the batch.
const char* kDynamicBatch = R"(
module {
  func.func @main(%x: tensor<?x16xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<8xf32>) {
    %h = tfjit.matmul %x, %w : tensor<?x16xf32>, tensor<16x8xf32> -> tensor<?x8xf32>
    %bb = tfjit.broadcast_to %b like(%h : tensor<?x8xf32>) : tensor<8xf32> -> tensor<?x8xf32>
    %y = tfjit.binary "add" %h, %bb : tensor<?x8xf32> -> tensor<?x8xf32>
    %t = tfjit.unary "tanh" %y : tensor<?x8xf32> -> tensor<?x8xf32>
    %m = tfjit.reduce "reduce_max" %t {axes = array<i64: 0>, keepdims = false} : tensor<?x8xf32> -> tensor<8xf32>
    return %t, %m : tensor<?x8xf32>, tensor<8xf32>
  }
})";

// tf::cond: the predicate is copied aside and branched on; each branch's result is copied into
// the buffer of the block that joins them.
const char* kCond = R"(
module {
  func.func @main(%p: tensor<i1>, %x: tensor<4xf32>) -> tensor<4xf32> {
    %c = tensor.extract %p[] : tensor<i1>
    %r = scf.if %c -> (tensor<4xf32>) {
      %d = tfjit.binary "add" %x, %x : tensor<4xf32> -> tensor<4xf32>
      scf.yield %d : tensor<4xf32>
    } else {
      %n = tfjit.unary "negative" %x : tensor<4xf32> -> tensor<4xf32>
      scf.yield %n : tensor<4xf32>
    }
    %e = tfjit.unary "exp" %r : tensor<4xf32> -> tensor<4xf32>
    return %e : tensor<4xf32>
  }
})";

}  // namespace

TEST_CASE("GPU launch plans pass each kernel exactly the parameters its PTX declares",
          "[gpu_program]") {
  for (const char* graph : {kMlp, kIntegersAndBools, kBatchMatmul, kScalarLoss, kHalfRowSum}) {
    for (bool library_gemm : {true, false}) {
      INFO("library GEMM " << library_gemm << "\n" << graph);
      auto p = program_for(graph, library_gemm);
      CHECK(p.arch == "sm_90");
      CHECK(!p.steps.empty());
      check_launches_match_ptx(p);
    }
  }
}

TEST_CASE("GPU launch plans size buffers from the graph and send GEMMs to cuBLAS",
          "[gpu_program]") {
  auto p = program_for(kMlp);
  REQUIRE(p.num_arguments == 3);
  REQUIRE(p.num_results == 1);
  CHECK(p.buffers[0].bytes == 64 * 128 * 4);
  CHECK(p.buffers[1].bytes == 128 * 32 * 4);
  CHECK(p.buffers[2].bytes == 32 * 4);
  CHECK(p.buffers[3].bytes == 64 * 4);
  CHECK(p.buffers[3].kind == rt::gpu::ProgramBuffer::Kind::kResult);
  REQUIRE(std::holds_alternative<rt::gpu::Gemm>(p.steps[0]));
  const auto& g = std::get<rt::gpu::Gemm>(p.steps[0]);
  CHECK(g.m == 64);
  CHECK(g.n == 32);
  CHECK(g.k == 128);
  CHECK(g.batch == 1);
  CHECK(g.a.buffer == 0);
  CHECK(g.b.buffer == 1);
  CHECK(p.buffers[g.c.buffer].kind == rt::gpu::ProgramBuffer::Kind::kTemporary);
  CHECK(p.temporary_bytes() >= 64 * 32 * 4);

  auto batched = program_for(kBatchMatmul);
  REQUIRE(batched.steps.size() == 1);
  const auto& bg = std::get<rt::gpu::Gemm>(batched.steps[0]);
  CHECK(bg.batch == 2);
  CHECK(bg.m == 4);
  CHECK(bg.n == 3);
  CHECK(bg.k == 8);
  CHECK(bg.c.buffer == 2);

  // Generated GEMMs are kernels: no library step remains.
  auto generated = program_for(kMlp, false);
  for (const auto& step : generated.steps) CHECK(std::holds_alternative<rt::gpu::Launch>(step));
}

TEST_CASE("GPU launch plans carry constants as bytes, booleans one byte each", "[gpu_program]") {
  auto p = program_for(kIntegersAndBools);
  std::vector<std::string> constants;
  for (const auto& b : p.buffers)
    if (b.kind == rt::gpu::ProgramBuffer::Kind::kConstant) constants.push_back(b.data);
  REQUIRE(constants.size() == 1);
  CHECK(constants[0] == std::string("\x01\x00\x01\x01", 4));
}

TEST_CASE("GPU programs round-trip through their serialised form", "[gpu_program]") {
  auto p = program_for(kMlp);
  const std::string bytes = p.serialize();
  auto q = rt::gpu::Program::deserialize(bytes);
  CHECK(q.describe() == p.describe());
  CHECK(q.image == p.image);
  CHECK(q.arch == p.arch);
  CHECK(q.num_arguments == p.num_arguments);
  CHECK(q.num_results == p.num_results);

  CHECK_THROWS_AS(rt::gpu::Program::deserialize(bytes.substr(0, bytes.size() - 1)),
                  InvalidArgumentError);
  CHECK_THROWS_AS(rt::gpu::Program::deserialize("not a program"), InvalidArgumentError);
  std::string extra = bytes + "x";
  CHECK_THROWS_AS(rt::gpu::Program::deserialize(extra), InvalidArgumentError);
}

// A float16 convolution and both its gradients (SAME with stride 2: asymmetric padding).
const char* kConvs = R"(
module {
  func.func @main(%x: tensor<2x7x6x3xf16>, %w: tensor<3x3x3x4xf16>, %dy: tensor<2x4x3x4xf16>)
      -> (tensor<2x4x3x4xf16>, tensor<2x7x6x3xf16>, tensor<3x3x3x4xf16>) {
    %y = tfjit.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x7x6x3xf16>, tensor<3x3x3x4xf16> -> tensor<2x4x3x4xf16>
    %dx = tfjit.conv_backprop_input %w, %dy {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 1, 1>, groups = 1, input_shape = array<i64: 2, 7, 6, 3>} : tensor<3x3x3x4xf16>, tensor<2x4x3x4xf16> -> tensor<2x7x6x3xf16>
    %dw = tfjit.conv_backprop_filter %x, %dy {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 0>, padding_high = array<i64: 1, 1>, groups = 1, filter_shape = array<i64: 3, 3, 3, 4>} : tensor<2x7x6x3xf16>, tensor<2x4x3x4xf16> -> tensor<3x3x3x4xf16>
    return %y, %dx, %dw : tensor<2x4x3x4xf16>, tensor<2x7x6x3xf16>, tensor<3x3x3x4xf16>
  }
})";

// The graph's GPU program where cuDNN loads (CompileOptions::device_conv_calls).
rt::gpu::Program cudnn_program(const compiler::Graph& graph) {
  compiler::CompileOptions options;
  options.device_conv_calls = true;
  return graph.gpu_program("sm_90", options);
}

TEST_CASE("with cuDNN, convolutions and their gradients are cuDNN steps writing the results",
          "[gpu_program]") {
  auto graph = compiler::Graph::parse(kConvs);
  auto p = cudnn_program(*graph);
  std::vector<rt::gpu::Conv> convs;
  for (const auto& step : p.steps) {
    if (const auto* c = std::get_if<rt::gpu::Conv>(&step)) convs.push_back(*c);
    CHECK_FALSE(std::holds_alternative<rt::gpu::Launch>(step));  // nothing left to generate
  }
  REQUIRE(convs.size() == 3);
  using K = rt::abi::ConvKind;
  const std::vector<int64_t> input = {2, 7, 6, 3}, filter = {3, 3, 3, 4}, output = {2, 4, 3, 4};
  for (const auto& c : convs) {
    CHECK(c.dtype == float16);
    CHECK(c.input == input);
    CHECK(c.filter == filter);
    CHECK(c.output == output);
    CHECK(c.strides == std::vector<int64_t>{2, 2});
    CHECK(c.dilations == std::vector<int64_t>{1, 1});
    CHECK(c.low == std::vector<int64_t>{1, 0});
    CHECK(c.high == std::vector<int64_t>{1, 1});
    CHECK(c.groups == 1);
  }
  // Each kind reads its operands from the arguments (x 0, w 1, dy 2) and writes its result.
  auto is = [](const rt::gpu::BufferRef& r, int32_t buffer) {
    return r.buffer == buffer && r.byte_offset == 0;
  };
  CHECK((convs[0].kind == K::kForward && is(convs[0].a, 0) && is(convs[0].b, 1) &&
         is(convs[0].out, 3)));
  CHECK((convs[1].kind == K::kBackpropInput && is(convs[1].a, 1) && is(convs[1].b, 2) &&
         is(convs[1].out, 4)));
  CHECK((convs[2].kind == K::kBackpropFilter && is(convs[2].a, 0) && is(convs[2].b, 2) &&
         is(convs[2].out, 5)));
  // They round-trip; a corrupt one (as a damaged cache file could hold) is refused.
  auto q = rt::gpu::Program::deserialize(p.serialize());
  CHECK(q.describe() == p.describe());
  CHECK_THAT(q.describe(), Catch::Contains("conv_backprop_filter float16 input=[2,7,6,3]"));
  for (auto corrupt : std::vector<std::function<void(rt::gpu::Conv&)>>{
           [](auto& c) { c.out.byte_offset = 8; },   // past its buffer's end
           [](auto& c) { c.out.byte_offset = -8; },  // before its buffer
           [](auto& c) { c.groups = 2; },            // 3 input channels
           [](auto& c) { c.strides.pop_back(); },    // one per spatial dim
           [](auto& c) {
             c.filter = {3, 3, 3};
           },                                  // ranks differ
           [](auto& c) { c.strides[0] = 0; },  // no stride
           [](auto& c) { c.low[1] = -1; },     // negative padding
           [](auto& c) { c.high[0] = int64_t{1} << 40; },
           [](auto& c) { c.output[1] = 3; }}) {  // not the windows' count
    auto r = p;
    for (auto& step : r.steps)
      if (auto* c = std::get_if<rt::gpu::Conv>(&step)) corrupt(*c);
    CHECK_THROWS_AS(rt::gpu::Program::deserialize(r.serialize()), InvalidArgumentError);
  }
  // Without cuDNN the same graph is generated kernels.
  for (const auto& step : graph->gpu_program("sm_90").steps)
    CHECK_FALSE(std::holds_alternative<rt::gpu::Conv>(step));
}

// A convolution with its bias, residual and ReLU (the fuse pass's tfjit.fused_conv).
const char* kFusedConv = R"(
module {
  func.func @main(%x: tensor<2x5x5x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>,
                  %r: tensor<2x3x3x4xf32>) -> tensor<2x3x3x4xf32> {
    %y = tfjit.fused_conv %x, %w bias %b : tensor<4xf32> residual %r : tensor<2x3x3x4xf32> {activation = "relu", strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x3x3x4xf32>
    return %y : tensor<2x3x3x4xf32>
  }
})";

TEST_CASE("with cuDNN, a convolution fused with ReLU is one cuDNN step carrying its epilogue",
          "[gpu_program]") {
  auto graph = compiler::Graph::parse(kFusedConv);
  auto p = cudnn_program(*graph);
  REQUIRE(p.steps.size() == 1);
  const auto* conv = std::get_if<rt::gpu::Conv>(&p.steps[0]);
  REQUIRE(conv);
  CHECK(conv->kind == rt::abi::ConvKind::kForward);
  CHECK(conv->output == std::vector<int64_t>{2, 3, 3, 4});
  CHECK(conv->activation == rt::abi::Epilogue::kRelu);
  REQUIRE(conv->bias);
  REQUIRE(conv->residual);
  CHECK((conv->a.buffer == 0 && conv->b.buffer == 1 && conv->bias->buffer == 2 &&
         conv->residual->buffer == 3 && conv->out.buffer == 4));
  auto q = rt::gpu::Program::deserialize(p.serialize());
  CHECK(q.describe() == p.describe());
  CHECK_THAT(q.describe(), Catch::Contains("epilogue=relu bias=") && Catch::Contains("residual="));
  // What cuDNN cannot fuse, or an operand outside its buffer, is refused when read back: gelu,
  // an unknown code, a bias or residual past its buffer, the residual in the (too small) bias's
  // buffer, and float16 (whose operands fit: refused as not fused by cuDNN).
  for (auto corrupt : std::vector<std::function<void(rt::gpu::Conv&)>>{
           [](auto& c) { c.activation = rt::abi::Epilogue::kGelu; },
           [](auto& c) { c.activation = static_cast<rt::abi::Epilogue>(99); },
           [](auto& c) { c.bias->byte_offset = 4; }, [](auto& c) { c.residual->byte_offset = -4; },
           [](auto& c) {
             c.residual = rt::gpu::BufferRef{2, 0};
           },
           [](auto& c) { c.dtype = float16; }}) {
    auto r = p;
    corrupt(std::get<rt::gpu::Conv>(r.steps[0]));
    CHECK_THROWS_AS(rt::gpu::Program::deserialize(r.serialize()), InvalidArgumentError);
  }
  // Without cuDNN the convolution and its epilogue are generated kernels.
  for (const auto& step : graph->gpu_program("sm_90").steps)
    CHECK_FALSE(std::holds_alternative<rt::gpu::Conv>(step));
}

// A segment max (int64 index pairs into (3, 4, 2)) and an update (int32 rows into (6, 5)).
const char* kScatters = R"(
module {
  func.func @main(%x: tensor<3x4x2xf32>, %i: tensor<2x5x2xi64>, %u: tensor<2x5x2xf32>,
                  %y: tensor<6x5xf16>, %j: tensor<7x1xi32>, %v: tensor<7x5xf16>)
      -> (tensor<3x4x2xf32>, tensor<6x5xf16>) {
    %a = tfjit.scatter "reduce_max" %x, %i, %u : tensor<3x4x2xf32>, tensor<2x5x2xi64>, tensor<2x5x2xf32> -> tensor<3x4x2xf32>
    %b = tfjit.scatter "update" %y, %j, %v : tensor<6x5xf16>, tensor<7x1xi32>, tensor<7x5xf16> -> tensor<6x5xf16>
    return %a, %b : tensor<3x4x2xf32>, tensor<6x5xf16>
  }
})";

TEST_CASE("scatters are steps running the GPU's eager kernel, linear in the rows",
          "[gpu_program][scatter]") {
  auto p = program_for(kScatters);
  std::vector<rt::gpu::Scatter> scatters;
  for (const auto& step : p.steps) {
    if (const auto* s = std::get_if<rt::gpu::Scatter>(&step)) scatters.push_back(*s);
    CHECK_FALSE(std::holds_alternative<rt::gpu::Launch>(step));  // no generated kernel
  }
  REQUIRE(scatters.size() == 2);
  const auto& max = scatters[0];
  CHECK(max.dtype == float32);
  CHECK(max.combiner == static_cast<int32_t>(ops::ReduceOp::reduce_max));
  CHECK(max.dims == std::vector<int64_t>{3, 4});
  CHECK(max.rows == 10);
  CHECK(max.slice == 2);
  CHECK(max.indices64);
  const auto& update = scatters[1];
  CHECK(update.dtype == float16);
  CHECK(update.combiner == -1);
  CHECK(update.dims == std::vector<int64_t>{6});
  CHECK(update.rows == 7);
  CHECK(update.slice == 5);
  CHECK_FALSE(update.indices64);
  // They round-trip; a corrupt one (as a damaged cache file could hold) is refused.
  auto q = rt::gpu::Program::deserialize(p.serialize());
  CHECK(q.describe() == p.describe());
  CHECK_THAT(q.describe(),
             Catch::Contains("scatter float32 reduce_max dims=[3,4] rows=10 slice=2"));
  for (auto corrupt : std::vector<std::function<void(rt::gpu::Scatter&)>>{
           [](auto& s) { s.rows = 11; },                   // updates past their buffer
           [](auto& s) { s.slice = 3; },                   // operand past its buffer
           [](auto& s) { s.dims.push_back(2); },           // longer index tuples
           [](auto& s) { s.out.byte_offset = -4; },        // before its buffer
           [](auto& s) { s.combiner = ops::kNumReduce; },  // no such combiner
           [](auto& s) { s.rows = -1; }, [](auto& s) { s.dims[0] = int64_t{1} << 40; },
           [](auto& s) {  // the operand's size overflows (wrapping to a size that would fit)
             s.dims = {(int64_t{1} << 40) - 1};
             s.slice = int64_t{1} << 24;
             s.rows = 0;
           }}) {
    auto r = p;
    for (auto& step : r.steps)
      if (auto* s = std::get_if<rt::gpu::Scatter>(&step)) corrupt(*s);
    CHECK_THROWS_AS(rt::gpu::Program::deserialize(r.serialize()), InvalidArgumentError);
  }
}

TEST_CASE("host control flow becomes branches on a byte read from the GPU", "[gpu_program]") {
  auto p = program_for(kCond);
  check_launches_match_ptx(p);
  CHECK(p.has_control_flow());
  std::vector<const rt::gpu::Branch*> branches;
  for (const auto& step : p.steps)
    if (const auto* b = std::get_if<rt::gpu::Branch>(&step)) branches.push_back(b);
  REQUIRE(branches.size() == 1);
  const auto& b = *branches[0];
  CHECK(p.buffers[b.flag.buffer].bytes == 1);
  CHECK(p.buffers[b.flag.buffer].kind == rt::gpu::ProgramBuffer::Kind::kTemporary);
  // Each side launches one kernel, then jumps to the join, whose kernel writes the result.
  auto launches_from = [&](int32_t step) {
    std::vector<std::string> kernels;
    for (size_t i = static_cast<size_t>(step); i < p.steps.size();) {
      const auto& s = p.steps[i];
      if (const auto* j = std::get_if<rt::gpu::Jump>(&s)) {
        i = static_cast<size_t>(j->target);
        continue;
      }
      REQUIRE(!std::holds_alternative<rt::gpu::Branch>(s));
      if (const auto* l = std::get_if<rt::gpu::Launch>(&s)) kernels.push_back(l->kernel);
      ++i;
    }
    return kernels;
  };
  auto then_side = launches_from(b.if_true), else_side = launches_from(b.if_false);
  REQUIRE(then_side.size() == 2);
  REQUIRE(else_side.size() == 2);
  CHECK(then_side[0] != else_side[0]);
  CHECK(then_side[1] == else_side[1]);
  // Branches and jumps survive serialisation; a target past the end is refused.
  auto q = rt::gpu::Program::deserialize(p.serialize());
  CHECK(q.describe() == p.describe());
  q.steps.emplace_back(rt::gpu::Jump{static_cast<int32_t>(q.steps.size() + 5)});
  CHECK_THROWS_AS(rt::gpu::Program::deserialize(q.serialize()), InvalidArgumentError);
}

TEST_CASE("a graph with unknown dims specialises to static shapes that the GPU can run",
          "[gpu_program][dynamic]") {
  auto graph = compiler::Graph::parse(kDynamicBatch);
  // Unspecialised, the plan refuses it, saying why (the function would run on the CPU).
  CHECK_THROWS_WITH(graph->gpu_program("sm_90"), Catch::Contains("static shape"));
  using Shapes = std::vector<TensorShape>;
  auto at300 = graph->specialize(Shapes{{300, 16}, {16, 8}, {8}});
  CHECK(at300->arguments()[0].shape == TensorShape{300, 16});
  REQUIRE(at300->results().size() == 2);
  CHECK(at300->results()[0].shape == TensorShape{300, 8});
  CHECK(at300->results()[1].shape == TensorShape{8});
  const std::string text = at300->text();
  CHECK(text.find('?') == std::string::npos);
  CHECK(text.find("tensor<300x8xf32>") != std::string::npos);
  auto p = at300->gpu_program("sm_90");
  CHECK(p.buffers[0].bytes == 300 * 16 * 4);
  CHECK(p.buffers[3].bytes == 300 * 8 * 4);
  check_launches_match_ptx(p);
  const auto& g = std::get<rt::gpu::Gemm>(p.steps.at(0));
  CHECK(g.m == 300);
  // The graph itself is unchanged, and a shape that breaks what tracing assumed is refused.
  CHECK(graph->arguments()[0].shape == TensorShape{kUnknownDim, 16});
  CHECK_THROWS_AS(graph->specialize(Shapes{{300, 15}, {16, 8}, {8}}), InvalidArgumentError);
  CHECK_THROWS_AS(graph->specialize(Shapes{{300, 16}}), InternalError);
}
