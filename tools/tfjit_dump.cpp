// tfjit-dump: prints a traced graph (a built-in example, or a .mlir file) at any compiler stage.
#include <tfjit/tfjit.h>

#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <utility>

#include "compiler/compiler.h"
#include "tools/workloads.h"

namespace {

constexpr int kExitUsage = 1, kExitBadInput = 2, kExitInternal = 3;

const char* kHelp = R"(usage: tfjit-dump [options] [FILE.mlir]

Prints a tf::function graph at a compiler stage. Without FILE, traces a built-in example.

options:
  --example NAME     built-in example to trace: chain (default), matmul, mlp; or a training
                     step of tfjit-bench: mlp-step, transformer-step
  --stage STAGE      traced (default), optimized, linalg, bufferized, loops, llvm, llvmir, asm;
                     or ptx: the GPU path, the loops as CUDA kernels (PTX for sm_90)
  --all-stages       print every stage in order, each under a header
  --dot              print the traced graph in Graphviz DOT (pipe into `dot -Tsvg`)
  --stats            print statistics: ops, kernels after fusion, GEMMs (library call or generated
                     loops), FLOPs, bytes, buffer plan
  --time             compile for the host CPU and print where the time went: each MLIR pass,
                     translation, LLVM optimisation, machine code, linking (wall-clock ms)
  --threads N        threads LLVM may compile a large graph on (default 1; tf::function uses
                     the intra-op thread count)
  --generated-matmul lower float32 GEMM to generated loops instead of a oneDNN call
  --split-reductions split long reductions into a tree, as GPU kernels always do
  --help             this text

exit codes: 0 success, 1 usage error, 2 malformed input graph, 3 internal compiler error
)";

// The built-in examples, traced through the public API.
std::string trace_example(const std::string& name) {
  auto stage = std::string("traced");
  if (name == "chain") {
    auto f = tf::function([](const tf::Tensor& x) { return x * x + 2.0f * x + 1.0f; });
    return f.graph(stage, tf::zeros({1024}));
  }
  if (name == "matmul") {
    auto f =
        tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::matmul(a, b); });
    return f.graph(stage, tf::zeros({500, 500}), tf::zeros({500, 500}));
  }
  if (name == "mlp") {
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
      return tf::reduce_sum(tf::maximum(tf::matmul(x, w) + b, tf::zeros({})), 1);
    });
    return f.graph(stage, tf::zeros({64, 128}), tf::zeros({128, 32}), tf::zeros({32}));
  }
  // The benchmark's training steps (tools/workloads.h): forward, backward and SGD update.
  auto training_step = [&](workloads::Model& model, auto step) {
    return tf::function(step).graph(stage, model.x, model.y);
  };
  if (name == "mlp-step") {
    workloads::Mlp m({784, 512, 512, 10}, 128);
    return training_step(m, [&](const tf::Tensor& x, const tf::Tensor& y) { return m.step(x, y); });
  }
  if (name == "transformer-step") {
    workloads::TransformerBlock t;
    return training_step(t, [&](const tf::Tensor& x, const tf::Tensor& y) { return t.step(x, y); });
  }
  throw std::invalid_argument("unknown example '" + name +
                              "' (chain, matmul, mlp, mlp-step, transformer-step)");
}

}  // namespace

int main(int argc, char** argv) {
  std::string example = "chain", stage_name = "traced", file;
  bool all_stages = false, dot = false, stats = false, timing = false;
  tf::compiler::CompileOptions options;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      // --stage=NAME as well as --stage NAME.
      std::optional<std::string> inline_value;
      if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg.resize(eq);
      }
      auto value = [&]() -> std::string {
        if (inline_value) return *std::exchange(inline_value, std::nullopt);
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--help" || arg == "-h") {
        std::cout << kHelp;
        return 0;
      } else if (arg == "--example") {
        example = value();
      } else if (arg == "--stage") {
        stage_name = value();
      } else if (arg == "--all-stages") {
        all_stages = true;
      } else if (arg == "--dot") {
        dot = true;
      } else if (arg == "--stats") {
        stats = true;
      } else if (arg == "--time") {
        timing = true;
      } else if (arg == "--threads") {
        options.codegen_threads = std::stoi(value());
        if (options.codegen_threads < 1) throw std::invalid_argument("--threads must be >= 1");
      } else if (arg == "--generated-matmul") {
        options.matmul_library_call = false;
      } else if (arg == "--split-reductions") {
        options.split_reductions = true;
      } else if (!arg.empty() && arg[0] == '-') {
        throw std::invalid_argument("unknown option " + arg);
      } else {
        file = arg;
      }
    }
    auto stage = tf::compiler::parse_stage(stage_name);
    if (!stage) throw std::invalid_argument("unknown stage '" + stage_name + "'");

    std::string text;
    if (file.empty()) {
      text = trace_example(example);
    } else {
      std::ifstream in(file);
      if (!in) throw std::invalid_argument("cannot read " + file);
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    auto graph = tf::compiler::Graph::parse(text);
    if (dot) {
      std::cout << graph->dot();
    } else if (timing) {
      std::cout << graph->compile_timing(options);
    } else if (stats) {
      auto st = graph->stats(options);
      std::cout << "ops:\n";
      for (const auto& [name, count] : st.ops) std::cout << "  " << name << ": " << count << "\n";
      std::cout << "kernels after fusion: " << st.kernels << "\ngemms: " << st.gemm_calls
                << " library calls, " << st.gemm_loops << " generated loops"
                << "\nflops: " << st.flops << "\nbytes in: " << st.bytes_in
                << "\nbytes out: " << st.bytes_out
                << "\nintermediate buffers: " << st.buffers.size();
      auto sum = [](const std::vector<int64_t>& v) {
        return std::accumulate(v.begin(), v.end(), 0L);
      };
      std::cout << " (" << sum(st.buffers)
                << " bytes)\nallocations per call after liveness planning: "
                << st.allocations.size() << " (" << sum(st.allocations) << " bytes)\n";
    } else if (all_stages) {
      for (auto s : tf::compiler::kAllStages)
        std::cout << "// ===== stage: " << tf::compiler::stage_name(s) << " =====\n"
                  << graph->text(s, options) << "\n";
    } else {
      std::cout << graph->text(*stage, options);
    }
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "tfjit-dump: " << e.what() << "\n(see tfjit-dump --help)\n";
    return kExitUsage;
  } catch (const tf::InvalidArgumentError& e) {
    std::cerr << "tfjit-dump: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const tf::Error& e) {
    std::cerr << "tfjit-dump: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
