// tfjit-bench: eager vs tf::function on the tutorial's workloads, each against a reference
// measured in the same run (oneDNN called directly, a plain memory copy).
#include <dnnl.h>
#include <tfjit/tfjit.h>

#include "tools/bench.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char* kHelp =
    R"(usage: tfjit-bench [--quick] [--json] [--threads N] [--only SECTIONS] [--data DIR]

Runs each workload eagerly and through tf::function, next to a reference measured in the same
run, and prints a table (or JSON with --json). Progress goes to stderr. Training steps are
checked as well as timed: a compiled step that does not train like the eager one is reported as
an error in its row (time -1), and the exit status is then 2. With a GPU, the GPU rows follow
(tools/bench_gpu.cpp): fused elementwise against a device-to-device copy, GEMM against cuBLAS
called directly, the training step eager and compiled, and overheads.

  --quick         fewer iterations (a smoke run; figures are noisier)
  --json          machine-readable output on stdout: {"metadata": {...}, "rows": [...]}, each
                  row with the median, min and max over its timed batches (microseconds)
  --threads N     intra-op threads (tf::config::threading; default: $TF_NUM_INTRAOP_THREADS,
                  else $OMP_NUM_THREADS, else all CPUs this process may use)
  --only LIST     comma-separated sections: matmul, chain (elementwise chains and an eager
                  softmax against memcpy), overhead, autodiff, steps, models (MLP,
                  transformer and CNN training steps, their compile times, 10/100/1000-op
                  graphs' compile times and calls, batch-1 inference), conv
                  (conv2d on ResNet shapes against oneDNN direct), compile (a 20-op function),
                  half (float16 and bfloat16 elementwise ops against float32's), gpu,
                  keras (only when named: model.fit per epoch, Adam on 10M parameters,
                  tf::data per batch), gpu-conv (only when named: conv2d on ResNet shapes
                  on the GPU, cuDNN direct, eager and compiled), gpu-models (only when named:
                  the training steps of `models` on the GPU, eager and compiled),
                  transformer (only when named: the transformer step of `models` alone)
  --data DIR      the keras section's data and initial weights (.npy files written by
                  scripts/peers/keras_peers.py; default $TFJIT_BENCH_DATA; without it the
                  keras section has no fit rows)

Exit status: 0 success, 1 usage error, 2 a row's result was wrong (its note says why).
)";
// Error notes carry exception text, which may hold quotes, backslashes or newlines.
// A GEMM row's note: its rate, and its speed against oneDNN called directly.
std::string gflops_note(double kflop, double us, double reference_us) {
  std::ostringstream s;
  s.precision(3);
  s << kflop / us << " GFLOP/s, " << reference_us / us * 100 << "% of oneDNN direct";
  return s.str();
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

// The compile workload: ~20 graph ops (matmul, 6x tanh(h*0.5+0.1), reduce_sum).
auto make_compile_workload() {
  return tf::function([](const tf::Tensor& x, const tf::Tensor& w) {
    auto h = tf::matmul(x, w);
    for (int k = 0; k < 6; ++k) h = tf::tanh(h * 0.5f + 0.1f);
    return tf::reduce_sum(h, 1);
  });
}

// `tfjit-bench --first-call DIR`, run by the benchmark in a child process: the first call of the
// compile workload in a fresh process with its code in the disk cache at DIR (MLIR and JIT
// set-up included, oneDNN's one-time initialisation excluded). Prints milliseconds.
int first_call(const std::string& dir) {
  tf::config::set_disk_cache_dir(dir);
  auto x = tf::ones({8, 16}), w = tf::ones({16, 8});
  tf::matmul(x, w);  // oneDNN initialises itself on first use: not a compiler cost
  auto start = std::chrono::steady_clock::now();
  auto f = make_compile_workload();
  f(x, w);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (tf::config::compile_cache_info().disk_hits != 1) return 1;
  std::cout << ms << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--first-call") {
    auto cpu = tf::device_scope("/CPU:0");
    return first_call(argv[2]);
  }
  bool quick = false, json = false;
  int threads = 0;
  std::string only;
  std::string data_dir = std::getenv("TFJIT_BENCH_DATA") ? std::getenv("TFJIT_BENCH_DATA") : "";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "tfjit-bench: " << a << " needs a value\n" << kHelp;
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--quick")
      quick = true;
    else if (a == "--json")
      json = true;
    else if (a == "--data")
      data_dir = value();
    else if (a == "--threads") {
      std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end || n < 0 || n > 4096) {
        std::cerr << "tfjit-bench: --threads takes a number >= 0, got '" << v << "'\n";
        return 1;
      }
      threads = static_cast<int>(n);
    } else if (a == "--only") {
      only = "," + value() + ",";
      for (const char* known :
           {"matmul", "chain", "overhead", "autodiff", "steps", "models", "conv", "compile", "half",
            "keras", "gpu-conv", "gpu-models", "gpu", "transformer"})
        for (size_t at; (at = only.find(std::string(",") + known + ",")) != std::string::npos;)
          only.replace(at, std::strlen(known) + 1, "");
      if (only != ",") {
        std::cerr << "tfjit-bench: unknown section in --only: " << only.substr(1, only.size() - 2)
                  << "\n"
                  << kHelp;
        return 1;
      }
      only = "," + std::string(argv[i]) + ",";
    } else if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    } else {
      std::cerr << "tfjit-bench: unknown option " << a << "\n" << kHelp;
      return 1;
    }
  }
  auto want = [&](const char* section) {
    return only.empty() || only.find(std::string(",") + section + ",") != std::string::npos;
  };
  tf::config::threading::set_intra_op_parallelism_threads(threads);
  const Metadata metadata = collect_metadata(argc, argv);
  int scale = quick ? 10 : 1;
  std::vector<Row> rows;
  auto progress = [](const std::string& what) { std::cerr << "[tfjit-bench] " << what << "...\n"; };
  int failures = 0;
  // A row whose result is wrong keeps its place in the table but reports the error, and the run
  // exits non-zero.
  auto fail = [&](Row& row, const std::string& why) {
    std::cerr << "[tfjit-bench] ERROR: " << row.workload << ", " << row.variant << ": " << why
              << "\n";
    row.note = "ERROR: " + why;
    row.us = -1;
    ++failures;
  };
  // The CPU sections: everything on the CPU even where a GPU is the default device.
  std::optional<tf::DeviceScope> on_cpu;
  on_cpu.emplace("/CPU:0");

  // 1. The tutorial's comparison: 500x500 matmul called 1000 times.
  if (want("matmul")) {
    progress(
        "matmul 500x500 (eager, tf::function with oneDNN call and with generated loops, oneDNN "
        "direct)");
    auto a = tf::fill({500, 500}, 0.01);
    auto mm = [](const tf::Tensor& x) { return tf::matmul(x, x); };
    auto lib = tf::function(mm);
    auto gen = tf::function(mm, tf::FunctionOptions{.matmul_library_call = false});
    std::vector<float> c(500 * 500);
    auto* ap = static_cast<const float*>(a.data());
    int n = 1000 / scale / 5;
    double direct = time_us(
        [&] {
          onednn_reference_threads();
          dnnl_sgemm('N', 'N', 500, 500, 500, 1.0f, ap, 500, ap, 500, 0.0f, c.data(), 500);
        },
        n);
    double eager = time_us([&] { mm(a); }, n);
    double graph = time_us([&] { lib(a); }, n);
    double generated = time_us([&] { gen(a); }, std::max(1, n / 20), 3);
    double gflop = 2.0 * 500 * 500 * 500 / 1e3;  // per microsecond -> GFLOP/s
    auto note = [&](double us) {
      std::ostringstream s;
      s.precision(3);
      s << gflop / us << " GFLOP/s, " << direct / us * 100 << "% of oneDNN direct";
      return s.str();
    };
    rows.push_back({"matmul 500x500", "oneDNN sgemm direct", direct, note(direct)});
    rows.push_back({"matmul 500x500", "eager", eager, note(eager)});
    rows.push_back({"matmul 500x500", "tf::function (oneDNN call)", graph, note(graph)});
    rows.push_back(
        {"matmul 500x500", "tf::function (generated loops)", generated, note(generated)});
    // The transformer step's weight gradients x^T g: the layout learnt over the first calls
    // (backends/cpu/matmul.cpp) against oneDNN's sgemm called with the same transposes.
    for (auto [m, k, nc] : {std::array<int64_t, 3>{1024, 1024, 256}, {256, 1024, 1024}}) {
      const std::string name =
          "matmul A^T B " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(nc);
      progress(name + " (eager, oneDNN direct)");
      auto at = tf::fill({k, m}, 0.01), b = tf::fill({k, nc}, 0.01);
      std::vector<float> out(static_cast<size_t>(m * nc));
      // The first calls learn the layout (backends/cpu/measure.h: five rounds of up to four ways).
      for (int call = 0; call < 20; ++call) tf::matmul(at, b, true, false);
      const int iterations = std::max(1, 100 / scale / 5);
      double reference = time_us(
          [&] {
            onednn_reference_threads();
            dnnl_sgemm('T', 'N', m, nc, k, 1.0f, static_cast<const float*>(at.data()), m,
                       static_cast<const float*>(b.data()), nc, 0.0f, out.data(), nc);
          },
          iterations);
      double eager = time_us([&] { tf::matmul(at, b, true, false); }, iterations);
      const double flop = 2.0 * double(m * k * nc) / 1e3;
      auto rate = [&](double us) { return gflops_note(flop, us, reference); };
      rows.push_back({name, "oneDNN sgemm direct", reference, rate(reference)});
      rows.push_back({name, "eager", eager, rate(eager)});
    }
    // A batch of matrices times one weight, as a projection of [batch, seq, width] inputs is
    // written: forward and the weight's gradient, against the same product with the batch's
    // rows reshaped by hand into one matrix.
    {
      const std::string name = "matmul [8,128,256] x [256,256], forward + weight gradient";
      progress(name + " (eager, tf::function, reshaped by hand)");
      auto x = tf::random::normal({8, 128, 256});
      tf::Variable w(tf::random::normal({256, 256}));
      auto step = [&](const tf::Tensor& in) {
        tf::GradientTape tape;
        auto loss = tf::reduce_sum(tf::square(tf::matmul(in, w.read_value())));
        return tape.gradient(loss, {w})[0];
      };
      auto flat = [&](const tf::Tensor& in) { return step(tf::reshape(in, {1024, 256})); };
      auto compiled = tf::function(step);
      const int iterations = std::max(1, 100 / scale / 5);
      double reference = time_us([&] { flat(x); }, iterations);
      double eager = time_us([&] { step(x); }, iterations);
      double graph = time_us([&] { compiled(x); }, iterations);
      auto note = [&](double us) {
        std::ostringstream s;
        s.precision(3);
        s << reference / us << "x the reshaped product's speed";
        return s.str();
      };
      rows.push_back({name, "eager, reshaped to [1024,256] (reference)", reference, ""});
      rows.push_back({name, "eager", eager, note(eager)});
      rows.push_back({name, "tf::function", graph, note(graph)});
    }
    // The transformer's attention scores q k^T: 32 products of 128x64x128, one eager call,
    // against oneDNN's sgemm called directly per product (on OpenMP's threads).
    {
      const int64_t batch = 32, m = 128, k = 64, nc = 128;
      const std::string name = "matmul batched 32 x 128x64x128 (q k^T)";
      progress(name + " (eager, oneDNN direct)");
      auto q = tf::fill({batch, m, k}, 0.01), kt = tf::fill({batch, nc, k}, 0.01);
      std::vector<float> out(static_cast<size_t>(batch * m * nc));
      tf::matmul(q, kt, false, true);
      const int iterations = std::max(1, 200 / scale / 5);
      auto* pq = static_cast<const float*>(q.data());
      auto* pk = static_cast<const float*>(kt.data());
      double reference = time_us(
          [&] {
            onednn_reference_threads();
            for (int64_t i = 0; i < batch; ++i)
              dnnl_sgemm('N', 'T', m, nc, k, 1.0f, pq + i * m * k, k, pk + i * nc * k, k, 0.0f,
                         out.data() + i * m * nc, nc);
          },
          iterations);
      double eager = time_us([&] { tf::matmul(q, kt, false, true); }, iterations);
      const double flop = 2.0 * double(batch * m * k * nc) / 1e3;
      auto rate = [&](double us) { return gflops_note(flop, us, reference); };
      rows.push_back({name, "oneDNN sgemm direct (per product)", reference, rate(reference)});
      rows.push_back({name, "eager (one call)", eager, rate(eager)});
    }
    // Attention's GEMMs with its layouts: heads split from [B*S, H*D] rows, q k^T, p v, heads
    // merged back, forward and backward (the transformer step's, softmax left out). Compiled, the
    // six batched GEMMs read and write the heads through strides; eagerly each transpose is a copy.
    {
      const int64_t b = 8, s = 128, h = 4, d = 64;
      const std::string name = "attention GEMMs b8 s128 h4 d64, fwd + bwd";
      progress(name + " (eager, tf::function)");
      auto heads = [=](const tf::Tensor& x) {
        return tf::reshape(tf::transpose(tf::reshape(x, {b, s, h, d}), {0, 2, 1, 3}),
                           {b * h, s, d});
      };
      auto grads = [=](const tf::Tensor& q, const tf::Tensor& k, const tf::Tensor& v) {
        tf::GradientTape tape;
        for (const tf::Tensor* t : {&q, &k, &v}) tape.watch(*t);
        auto out = tf::matmul(tf::matmul(heads(q), heads(k), false, true), heads(v));
        auto merged = tf::reshape(tf::transpose(tf::reshape(out, {b, h, s, d}), {0, 2, 1, 3}),
                                  {b * s, h * d});
        return tape.gradient(tf::reduce_sum(tf::square(merged)), {q, k, v});
      };
      auto q = tf::fill({b * s, h * d}, 0.01), k = tf::fill({b * s, h * d}, 0.02),
           v = tf::fill({b * s, h * d}, 0.03);
      auto compiled = tf::function(grads);
      compiled(q, k, v);
      const int iterations = std::max(1, 100 / scale / 5);
      double eager = time_us([&] { grads(q, k, v); }, iterations);
      double graph = time_us([&] { compiled(q, k, v); }, iterations);
      rows.push_back({name, "eager", eager, ""});
      std::ostringstream note;
      note.precision(3);
      note << eager / graph << "x eager speed";
      rows.push_back({name, "tf::function", graph, note.str()});
    }
  }

  // 2. Elementwise chain x*x + 2x + 1 over 4M floats: fusion makes it one pass over memory.
  // 4M floats (the issue's size) fits in this machine's last-level cache with its result; 32M
  // does not, so it measures DRAM bandwidth.
  for (int64_t millions : {4, 32}) {
    if (!want("chain")) break;
    std::string name = "chain " + std::to_string(millions) + "M f32";
    progress("elementwise chain x*x + 2x + 1, " + std::to_string(millions) +
             "M float32 (eager, fused tf::function, memcpy)");
    const int64_t n = millions << 20;
    auto x = tf::fill({n}, 0.5);
    auto chain = [](const tf::Tensor& t) { return t * t + 2.0f * t + 1.0f; };
    auto fused = tf::function(chain);
    std::vector<float> dst(static_cast<size_t>(n));
    auto* src = static_cast<const float*>(x.data());
    int iters = std::max(2, static_cast<int>(400 / millions) / scale);
    double copy = time_us([&] { std::memcpy(dst.data(), src, n * sizeof(float)); }, iters);
    double eager = time_us([&] { chain(x); }, iters);
    double graph = time_us([&] { fused(x); }, iters);
    double bytes = 2.0 * n * sizeof(float);  // read once, write once
    auto note = [&](double us) {
      std::ostringstream s;
      s.precision(3);
      s << bytes / us / 1e3 << " GB/s, " << copy / us * 100 << "% of memcpy bandwidth";
      return s.str();
    };
    // Single eager ops, as bandwidth: add moves 3 arrays (2 read, 1 written), reduce_sum reads 1.
    auto y = tf::fill({n}, 1.5);
    double add = time_us([&] { tf::add(x, y); }, iters);
    double sum = time_us([&] { tf::reduce_sum(x); }, iters);
    auto bw_note = [&](double us, double arrays) {
      std::ostringstream s;
      s.precision(3);
      double gbs = arrays * n * sizeof(float) / us / 1e3;
      s << gbs << " GB/s, " << gbs / (bytes / copy / 1e3) * 100 << "% of memcpy bandwidth";
      return s.str();
    };
    rows.push_back({name, "memcpy (reference)", copy, note(copy)});
    rows.push_back({name, "eager (5 ops)", eager, note(eager)});
    rows.push_back({name, "tf::function (fused)", graph, note(graph)});
    rows.push_back({name, "eager add (one op)", add, bw_note(add, 3)});
    rows.push_back({name, "eager reduce_sum (one op)", sum, bw_note(sum, 1)});
  }
  // The transformer's attention softmax over rows of 128 (max, subtract, exp, sum, divide: five
  // eager ops), against a memcpy of its bytes.
  if (want("chain")) {
    const std::string name = "softmax 32x128x128 f32";
    progress("eager softmax over rows of 128, 32x128x128 float32 (eager, tf::function, memcpy)");
    auto scores = tf::random::normal({32, 128, 128});
    auto fused = tf::function([](const tf::Tensor& t) { return tf::softmax(t, -1); });
    const int64_t n = scores.num_elements();
    std::vector<float> dst(static_cast<size_t>(n));
    auto* src = static_cast<const float*>(scores.data());
    const int iters = std::max(2, 400 / scale);
    double copy = time_us([&] { std::memcpy(dst.data(), src, n * sizeof(float)); }, iters);
    double eager = time_us([&] { tf::softmax(scores, -1); }, iters);
    double graph = time_us([&] { fused(scores); }, iters);
    auto note = [&](double us) {
      std::ostringstream s;
      s.precision(3);
      s << us / copy << "x memcpy's time";
      return s.str();
    };
    rows.push_back({name, "memcpy (reference)", copy, note(copy)});
    rows.push_back({name, "eager (5 ops)", eager, note(eager)});
    rows.push_back({name, "tf::function", graph, note(graph)});
  }

  // Eager transposes that move the innermost dim (a matrix's in three widths, and attention's kᵀ
  // per head), against a memcpy of their bytes; scripts/peers/peers.py times the float32 ones in
  // TF and PyTorch.
  if (want("chain")) {
    progress("eager transposes of the innermost dim (against memcpy)");
    struct Case {
      std::vector<int64_t> shape, perm;
      tf::DType dtype;
    };
    for (const Case& c :
         {Case{{1024, 1024}, {1, 0}, tf::float32}, Case{{1024, 1024}, {1, 0}, tf::float64},
          Case{{1024, 1024}, {1, 0}, tf::bfloat16},
          Case{{8, 128, 4, 64}, {0, 2, 3, 1}, tf::float32}}) {
      auto x = tf::cast(tf::random::normal(tf::TensorShape(c.shape)), c.dtype);
      std::ostringstream name;
      name << "transpose " << x.shape().to_string() << " perm";
      for (int64_t p : c.perm) name << " " << p;
      if (c.dtype != tf::float32) name << ", " << tf::dtype_name(c.dtype);  // peers.py: float32
      const size_t bytes = static_cast<size_t>(x.num_elements()) * tf::dtype_size(c.dtype);
      std::vector<char> dst(bytes);
      const int iters = std::max(2, 400 / scale);
      double copy = time_us([&] { std::memcpy(dst.data(), x.data(), bytes); }, iters);
      double eager = time_us([&] { tf::transpose(x, c.perm); }, iters);
      std::ostringstream note;
      note.precision(3);
      note << eager / copy << "x memcpy's time";
      rows.push_back({name.str(), "memcpy (reference)", copy, ""});
      rows.push_back({name.str(), "eager", eager, note.str()});
    }
  }

  // 3. Overheads: a 1-element eager op, and a cache-hit call of a tiny compiled function.
  if (want("overhead")) {
    progress("dispatch overhead on 1-element tensors");
    auto s = tf::constant({1.0f});
    auto f = tf::function([](const tf::Tensor& t) { return t + t; });
    int iters = 200000 / scale;
    rows.push_back(
        {"overhead", "eager add, 1 element", time_us([&] { tf::add(s, s); }, iters), "per op"});
    rows.push_back(
        {"overhead", "tf::function call, cache hit", time_us([&] { f(s); }, iters), "per call"});
  }

  // 4. Autodiff: tape cost per op, an MLP's backward pass against its forward pass, and the
  //    tutorial's linear-regression training loop.
  if (want("autodiff")) {
    progress("GradientTape: recording overhead, MLP forward/backward, linear regression");
    auto s = tf::constant({1.0f});
    int iters = 100000 / scale;
    double plain = time_us([&] { tf::add(s, s); }, iters);
    double unwatched, watched;
    {
      tf::GradientTape tape;  // active throughout; the input is not watched
      unwatched = time_us([&] { tf::add(s, s); }, iters);
    }
    {
      tf::GradientTape tape;
      tape.watch(s);  // every add is recorded
      watched = time_us([&] { tf::add(s, s); }, iters);
    }
    rows.push_back({"tape", "add, no tape", plain, "per op (reference)"});
    rows.push_back({"tape", "add, tape active, input unwatched", unwatched, "per op"});
    rows.push_back({"tape", "add, recorded on the tape", watched, "per op"});

    tf::random::set_seed(0);
    auto x = tf::random::normal({256, 64});
    tf::Variable w1(tf::random::normal({64, 128}, 0, 0.1)),
        w2(tf::random::normal({128, 10}, 0, 0.1));
    auto forward = [&] {
      return tf::reduce_mean(tf::square(tf::matmul(tf::relu(tf::matmul(x, w1)), w2)));
    };
    double fwd = time_us([&] { forward(); }, 200 / scale);
    double both = time_us(
        [&] {
          tf::GradientTape tape;
          auto loss = forward();
          tape.gradient(loss, std::vector<tf::Source>{w1, w2});
        },
        200 / scale);
    std::ostringstream note;
    note.precision(3);
    if (both > fwd)
      note << "backward = " << (both - fwd) / fwd << "x forward";
    else  // impossible: the machine's load moved more than the backward pass costs
      note << "unreliable: forward + backward measured faster than forward (load?)";
    rows.push_back({"mlp 256x64x128x10", "forward", fwd, "eager"});
    rows.push_back({"mlp 256x64x128x10", "forward + backward", both, note.str()});

    // A tape around a tf::function call: recorded whole with a compiled backward (the body's
    // vector-Jacobian product, which computes the forward again), against the body run op by op
    // under the tape (run_functions_eagerly), on a GEMM-bound MLP and an elementwise chain. The
    // gradients must agree, or the row says so.
    {
      progress("GradientTape around a tf::function call: compiled vs op by op");
      tf::Variable v1(tf::random::normal({784, 512}, 0, 0.05)),
          v2(tf::random::normal({512, 512}, 0, 0.05)), v3(tf::random::normal({512, 10}, 0, 0.05));
      auto mx = tf::random::normal({128, 784}), my = tf::random::normal({128, 10});
      auto mlp = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
        tf::Tensor h = tf::nn::relu(tf::matmul(tf::nn::relu(tf::matmul(x, v1)), v2));
        tf::Tensor d = tf::matmul(h, v3) - y;
        return tf::reduce_mean(d * d);
      });
      tf::Variable cw(tf::random::normal({1 << 20}));
      auto cx = tf::random::normal({1 << 20});
      auto chain = tf::function([&](const tf::Tensor& x) {
        tf::Tensor h = x * cw.read_value();
        for (int i = 0; i < 5; ++i) h = tf::tanh(h) * 0.9f + tf::sigmoid(h) * 0.1f - x * 0.01f;
        return tf::reduce_sum(h * h);
      });
      auto mlp_grad = [&] {
        tf::GradientTape tape;
        return tape.gradient(mlp(mx, my), std::vector<tf::Variable>{v1, v2, v3})[0];
      };
      auto chain_grad = [&] {
        tf::GradientTape tape;
        return tape.gradient(chain(cx), std::vector<tf::Variable>{cw})[0];
      };
      for (auto [name, grad] : {std::pair<const char*, std::function<tf::Tensor()>>{
                                    "tape around f: mlp 784x512x512x10 b128", mlp_grad},
                                {"tape around f: 20-op chain, 1M", chain_grad}}) {
        tf::config::run_functions_eagerly(true);
        tf::Tensor want = grad();
        double eager = time_us([&] { grad(); }, 20 / scale);
        tf::config::run_functions_eagerly(false);
        tf::Tensor got = grad();
        double compiled = time_us([&] { grad(); }, 20 / scale);
        bool same = tf::reduce_max(tf::abs(got - want)).item<float>() <=
                    1e-4f * (1 + tf::reduce_max(tf::abs(want)).item<float>());
        std::ostringstream ratio;
        ratio.precision(3);
        ratio << "op by op / compiled = " << eager / compiled;
        rows.push_back({name, "forward + gradient, op by op", eager, "run_functions_eagerly"});
        rows.push_back({name, "forward + gradient, compiled", compiled,
                        same ? ratio.str() : "ERROR: gradients differ from op by op"});
      }
    }

    auto xs = tf::random::normal({100});
    auto ys = xs * 3.0f + 1.0f + tf::random::normal({100}, 0, 0.1);
    tf::Variable w(tf::random::normal({})), b(tf::zeros({}));
    auto train = [&] {
      w.assign(tf::zeros({}));
      b.assign(tf::zeros({}));
      for (int epoch = 0; epoch < 100; ++epoch) {
        tf::GradientTape tape;
        auto loss = tf::reduce_mean(tf::square(ys - (w * xs + b)));
        auto g = tape.gradient(loss, std::vector<tf::Source>{w, b});
        w.assign_sub(g[0] * 0.1f);
        b.assign_sub(g[1] * 0.1f);
      }
    };
    double t = time_us(train, quick ? 2 : 10);
    std::ostringstream fit;
    fit.precision(4);
    fit << "100 epochs, eager; w = " << w.read_value().item<float>()
        << ", b = " << b.read_value().item<float>();
    rows.push_back({"linear regression", "training loop", t, fit.str()});
  }

  // 5. Training steps, eager vs the same step wrapped in tf::function (traced once). Each
  //    compiled step must reach what the eager step reaches, or its row is an error: a fast step
  //    that trains wrongly is no result.
  if (want("steps")) {
    progress("training step: linear regression (eager, tf::function)");
    LinearRegression lr;
    auto& xs = lr.xs;
    auto& ys = lr.ys;
    auto step = [&](const tf::Tensor& x, const tf::Tensor& y) { return lr.step(x, y); };
    auto compiled = tf::function(step);
    float ew, eb, cw = 0, cb = 0;
    bool eager_ok = lr.fits(step, ew, eb), compiled_ok = false;
    int iters = 2000 / scale;
    double eager = time_us([&] { step(xs, ys); }, iters), graph = -1;
    std::string error;  // a step that fails to trace or compile is its row's error, not the run's
    try {
      compiled_ok = lr.fits(compiled, cw, cb) && std::abs(cw - ew) < 1e-3f &&
                    std::abs(cb - eb) < 1e-3f && compiled.trace_count() == 1;
      graph = time_us([&] { compiled(xs, ys); }, iters);
    } catch (const std::exception& e) {
      error = e.what();
    }
    auto fit_note = [](const char* what, float fw, float fb) {
      std::ostringstream s;
      s.precision(4);
      s << what << "after 100 steps w = " << fw << ", b = " << fb;
      return s.str();
    };
    rows.push_back({"linreg step", "eager (reference)", eager, fit_note("", ew, eb)});
    if (!eager_ok) fail(rows.back(), "eager step did not converge to w = 3, b = 1");
    std::ostringstream sp;
    sp.precision(3);
    sp << eager / graph << "x eager speed; ";
    rows.push_back({"linreg step", "tf::function step", graph, fit_note(sp.str().c_str(), cw, cb)});
    if (!error.empty())
      fail(rows.back(), "compiled step failed: " + error);
    else if (!compiled_ok)
      fail(rows.back(), "compiled step did not converge like the eager step (or retraced): w = " +
                            std::to_string(cw) + ", b = " + std::to_string(cb));
  }
  if (want("steps")) {
    progress(
        "training step: MLP 256x64->128->10, relu, softmax cross-entropy (eager, tf::function)");
    tf::random::set_seed(2);
    auto x = tf::random::normal({256, 64});
    auto labels = tf::random::uniform({256}, 0, 10, tf::int32);
    auto onehot = tf::one_hot(labels, 10);
    auto w1_0 = tf::random::normal({64, 128}, 0, 0.1), w2_0 = tf::random::normal({128, 10}, 0, 0.1);
    tf::Variable w1(w1_0, "w1"), b1(tf::zeros({128}), "b1"), w2(w2_0, "w2"),
        b2(tf::zeros({10}), "b2");
    auto step = [&](const tf::Tensor& in, const tf::Tensor& target) {
      tf::GradientTape tape;
      auto logits = tf::matmul(tf::relu(tf::matmul(in, w1) + b1), w2) + b2;
      auto loss = -tf::reduce_mean(tf::reduce_sum(target * tf::log_softmax(logits), 1));
      auto g = tape.gradient(loss, std::vector<tf::Source>{w1, b1, w2, b2});
      w1.assign_sub(g[0] * 0.1f);
      b1.assign_sub(g[1] * 0.1f);
      w2.assign_sub(g[2] * 0.1f);
      b2.assign_sub(g[3] * 0.1f);
      return loss;
    };
    auto compiled = tf::function(step);
    // The same 50 steps from the same weights, eagerly and compiled, must give the same loss.
    auto train = [&](auto& f, float& first, float& last) {
      w1.assign(w1_0);
      b1.assign(tf::zeros({128}));
      w2.assign(w2_0);
      b2.assign(tf::zeros({10}));
      first = f(x, onehot).template item<float>();
      for (int i = 1; i < 50; ++i) last = f(x, onehot).template item<float>();
    };
    float ef, el, cf = 0, cl = 0;
    train(step, ef, el);
    bool eager_ok = el < ef, compiled_ok = false;
    int iters = 200 / scale;
    double eager = time_us([&] { step(x, onehot); }, iters), graph = -1;
    std::string error;
    try {
      train(compiled, cf, cl);
      compiled_ok =
          cl < cf && std::abs(cl - el) <= 1e-3f * std::max(1.0f, el) && compiled.trace_count() == 1;
      graph = time_us([&] { compiled(x, onehot); }, iters);
    } catch (const std::exception& e) {
      error = e.what();
    }
    auto loss_note = [](const std::string& what, float first, float last) {
      std::ostringstream s;
      s.precision(4);
      s << what << "loss " << first << " -> " << last << " in 50 steps";
      return s.str();
    };
    rows.push_back({"mlp step", "eager (reference)", eager, loss_note("", ef, el)});
    if (!eager_ok) fail(rows.back(), "eager MLP step did not reduce the loss");
    std::ostringstream sp;
    sp.precision(3);
    sp << eager / graph << "x eager speed; ";
    rows.push_back({"mlp step", "tf::function step", graph, loss_note(sp.str(), cf, cl)});
    if (!error.empty())
      fail(rows.back(), "compiled MLP step failed: " + error);
    else if (!compiled_ok)
      fail(rows.back(), "compiled MLP step does not train like the eager step: loss " +
                            std::to_string(cf) + " -> " + std::to_string(cl) + " (eager " +
                            std::to_string(ef) + " -> " + std::to_string(el) + ")");
  }

  // 6. The training steps users run: MLPs, a transformer block, batch-1 inference.
  if (want("models"))
    model_benchmarks(scale, rows, fail);
  else if (only.find(",transformer,") != std::string::npos)
    training_step_benchmarks("", scale, rows, fail, {}, "transformer");
  if (want("conv")) conv_benchmarks(scale, rows, fail);
  if (want("half")) half_benchmarks(scale, rows, fail);
  // Only when named: its Adam rows allocate 0.7 GB.
  if (only.find(",keras,") != std::string::npos) keras_benchmarks(data_dir, scale, rows, fail);

  // 7. Cold trace + compile of a ~20-op function (fresh tf::function objects each time).
  if (want("compile")) {
    progress("cold trace + compile of a 20-op function");
    // The disk cache lives in a scratch directory for the run: the first function of each round
    // compiles cold and stores its code there.
    const std::string saved_dir = tf::config::disk_cache_dir();
    const bool saved_enabled = tf::config::disk_cache_enabled();
    const auto dir = std::filesystem::temp_directory_path() / "tfjit_bench_disk_cache";
    tf::config::set_disk_cache_dir(dir.string());
    tf::config::enable_disk_cache(true);
    std::vector<double> cold, shared, disk;
    for (int i = 0; i < (quick ? 2 : 5); ++i) {
      std::filesystem::remove_all(dir);
      tf::config::clear_compile_cache();  // a really cold compile
      auto f = make_compile_workload();
      f(tf::ones({8, 16}), tf::ones({16, 8}));
      cold.push_back(f.cache_stats().last_compile_ms);
      auto g = make_compile_workload();  // same graph, new function: traced, but the code comes
                                         // from the cache
      g(tf::ones({8, 16}), tf::ones({16, 8}));
      shared.push_back(g.cache_stats().last_compile_ms);
      tf::config::clear_compile_cache();  // as in a new process: the code comes from disk
      auto h = make_compile_workload();
      h(tf::ones({8, 16}), tf::ones({16, 8}));
      disk.push_back(h.cache_stats().last_compile_ms);
    }
    // The same load in new processes (the last round's code is on disk).
    std::vector<double> fresh;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    for (int i = 0; i < (quick ? 2 : 5); ++i) {
      std::unique_ptr<FILE, int (*)(FILE*)> child(
          popen(("'" + self + "' --first-call '" + dir.string() + "'").c_str(), "r"), pclose);
      double ms = 0;
      if (child && std::fscanf(child.get(), "%lf", &ms) == 1) fresh.push_back(ms);
    }
    std::filesystem::remove_all(dir);
    tf::config::set_disk_cache_dir(saved_dir);
    tf::config::enable_disk_cache(saved_enabled);
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    rows.push_back(
        {"compile", "trace + compile, 20 ops, cold", median(cold) * 1e3,
         "median over fresh functions (first-ever compile, with MLIR set-up, excluded)"});
    rows.push_back({"compile", "trace + load from disk cache, 20 ops", median(disk) * 1e3,
                    "in-memory cache cleared, MLIR and JIT already set up"});
    Row first{"compile", "first call in a new process, from disk", -1,
              "child processes; includes MLIR context and JIT set-up"};
    if (fresh.empty())
      fail(first, "the --first-call child process failed");
    else
      first.us = median(fresh) * 1e3;
    rows.push_back(first);
    rows.push_back({"compile", "trace + process-cache hit, 20 ops", median(shared) * 1e3,
                    "a new function tracing an identical graph"});
  }

  on_cpu.reset();
  // A GPU section: its rows, or, without a GPU, why not. A failure keeps the rows measured so far
  // and is reported in a row of its own.
  auto gpu_section = [&](bool wanted, const char* name, const std::function<void()>& run) {
    if (!wanted) return;
    if (!tf::test::is_gpu_available()) {
      progress(std::string("no ") + name + " rows: " + tf::test::gpu_unavailable_reason());
      return;
    }
    try {
      run();
    } catch (const std::exception& e) {
      Row row{name, "(section)", -1, ""};
      fail(row, e.what());
      rows.push_back(row);
    }
  };
  gpu_section(want("gpu"), "gpu", [&] { gpu_benchmarks(scale, rows, fail); });
  // Only when named: long on a GPU.
  gpu_section(only.find(",gpu-models,") != std::string::npos, "gpu models", [&] {
    auto on_gpu = tf::device_scope("/GPU:0");
    training_step_benchmarks("gpu ", scale, rows, fail, [] { tf::test::sync_devices(); });
  });
  gpu_section(only.find(",gpu-conv,") != std::string::npos, "gpu conv2d",
              [&] { gpu_conv_benchmarks(scale, rows, fail); });

  if (json) {
    std::cout << "{\n  \"metadata\": " << metadata_json(metadata, load_average())
              << ",\n  \"rows\": [\n";
    for (size_t i = 0; i < rows.size(); ++i)
      std::cout << "    {\"workload\": \"" << json_escape(rows[i].workload) << "\", \"variant\": \""
                << json_escape(rows[i].variant) << "\", \"us\": " << rows[i].us
                << ", \"min_us\": " << rows[i].min_us << ", \"max_us\": " << rows[i].max_us
                << ", \"note\": \"" << json_escape(rows[i].note) << "\"}"
                << (i + 1 < rows.size() ? ",\n" : "\n");
    std::cout << "  ]\n}\n";
  } else {
    std::printf("%s\n", metadata_text(metadata, load_average()).c_str());
    std::printf("%-30s %-30s %12s  %s\n", "workload", "variant", "time (us)", "");
    for (const auto& r : rows) {
      std::string spread;
      if (r.min_us >= 0) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "[min %.4g, max %.4g] ", r.min_us, r.max_us);
        spread = buffer;
      }
      std::printf("%-30s %-30s %12.2f  %s%s\n", r.workload.c_str(), r.variant.c_str(), r.us,
                  spread.c_str(), r.note.c_str());
    }
  }
  return failures == 0 ? 0 : 2;
}
