// tfjit-bench-collectives: tf::distribute's cost on MPI, run under mpirun (docs/benchmarks.md,
// "Scale-out"). Two modes:
//
//  - all-reduce (default): latency of a float32 SUM all-reduce per message size, osu_allreduce
//    style, through tfjit's MPI communicator (rt::collectives: the descriptor agreement, then a
//    polled MPI_Iallreduce; and the deterministic all-gather form), through tf::distribute's
//    eager Tensor all_reduce, next to MPI_Allreduce called directly in the same run (the
//    reference) and to diagnostics that split tfjit's overhead: MPI_Iallreduce waited on,
//    MPI_Iallreduce polled the way the backend polls, and the agreement step alone (tfjit's
//    barrier is exactly that).
//  - --model digits|mlp: a training step (forward, GradientTape backward, all-reduce of the
//    packed gradients, SGD) compiled with tf::function and run under
//    MultiWorkerMirroredStrategy; its step time, next to the same step without the all-reduce
//    (compute only), and the global loss of the first steps (checked against PyTorch DDP by
//    scripts/peers/ddp_peers.py). --eager and --bytes-per-pack vary the step for diagnosis.
//
// Linked with libmpi for the reference; tfjit's backend dlopens the same library, so both share
// one MPI instance (tfjit initialises and finalises it).
#include <mpi.h>
#include <sched.h>
#include <tfjit/tfjit.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/collectives.h"
#include "tools/bench.h"

namespace coll = tf::rt::collectives;

namespace {

const char* kHelp =
    R"(usage: mpirun -np N tfjit-bench-collectives [options]
       mpirun -np N tfjit-bench-collectives --model digits|mlp --data DIR [options]

All-reduce mode (default): float32 SUM all-reduce latency per message size, each variant timed
in the same run, interleaved repeat by repeat, after a warm-up:
  MPI_Allreduce direct                 the reference (libmpi called directly)
  MPI_Iallreduce + MPI_Wait            the non-blocking collective the backend uses, waited on
  MPI_Iallreduce + tfjit's poll        what the backend does on the wire, without the agreement
  tfjit Communicator::all_reduce       rt::collectives over MPI: descriptor agreement + transfer
  tfjit Communicator, deterministic    Options::deterministic: all-gather, reduce in rank order
  tf::distribute all_reduce (Tensor)   get_replica_context().all_reduce on an eager tensor
and, once per run, the agreement alone (tfjit's barrier) against MPI_Barrier.
A batch's time is the slowest rank's mean per call; a row is the median over the repeats.
  --min-bytes B     smallest message (default 4)
  --max-bytes B     largest message (default 67108864 = 64 MiB); sizes double from min to max
  --batch-ms MS     target time of one timed batch, which sets its call count (default 20)

Model mode: --model digits (64-32-10 on the digits) or mlp (784-512-512-10 on random data),
data and initial weights from --data DIR (written by scripts/peers/ddp_peers.py --write-data).
Plain SGD, sparse softmax cross-entropy averaged over the global batch; each rank computes its
contiguous share of each global batch, the gradients are all-reduced (SUM, packed) inside the
compiled step. First --check-steps steps from the initial weights record the global loss; then
the step is timed, then the same step without its all-reduce (compute only).
  --global-batch G  rows per step over all ranks (default 256; must divide by the rank count)
  --weak            G rows per rank instead (weak scaling: G x N rows per step)
  --lr X            learning rate (default 0.1)
  --check-steps K   steps whose global loss is recorded (default 5)
  --steps T         steps per timed batch (default 20)
  --deterministic   CommunicationOptions::deterministic for the strategy
  --bytes-per-pack B  CommunicationOptions::bytes_per_pack (default 25 MiB: one all-reduce for
                    every gradient; smaller packs let the compiled step start each pack's
                    all-reduce while the backward pass goes on)
  --eager           run the step eagerly, without tf::function (each all-reduce is then the
                    communicator's call on the calling thread)

Both modes:
  --repeats R       timed batches (default 5)
  --threads N       intra-op threads per rank (default 1)
  --json            machine-readable output on stdout (rank 0): {"metadata", "rows", ...}
  --help            this text
Progress goes to stderr (rank 0).

Exit status: 0 success; 1 usage error; 2 a result was wrong (an all-reduce's values, replicas'
variables that differ after training); 3 cannot run here (not started by mpirun, MPI or the
data missing); 4 a collective failed (tfjit raised an error).
)";

constexpr int kUsage = 1, kWrong = 2, kCannotRun = 3, kCollectiveFailed = 4;

using Seconds = std::chrono::duration<double>;

struct Settings {
  std::string model;  // empty: all-reduce mode
  std::string data_dir;
  int64_t min_bytes = 4, max_bytes = int64_t{64} << 20;
  double batch_ms = 20;
  int repeats = 5, threads = 1, check_steps = 5, steps = 20;
  int64_t global_batch = 256;
  bool weak = false, json = false, deterministic = false, eager = false;
  int64_t bytes_per_pack = int64_t{25} << 20;
  double lr = 0.1;
};

struct UsageError {
  std::string what;
};

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError{a + " needs a value"};
      return argv[++i];
    };
    auto number = [&](double lo, double hi) {
      const std::string v = value();
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end || !(x >= lo && x <= hi))
        throw UsageError{a + " takes a number in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got '" + v + "'"};
      return x;
    };
    auto integer = [&](double lo, double hi) {
      const double x = number(lo, hi);
      if (x != std::floor(x)) throw UsageError{a + " takes an integer"};
      return static_cast<int64_t>(x);
    };
    if (a == "--help" || a == "-h")
      throw UsageError{""};
    else if (a == "--json")
      s.json = true;
    else if (a == "--weak")
      s.weak = true;
    else if (a == "--deterministic")
      s.deterministic = true;
    else if (a == "--eager")
      s.eager = true;
    else if (a == "--bytes-per-pack")
      s.bytes_per_pack = integer(1, 1e12);
    else if (a == "--model") {
      s.model = value();
      if (s.model != "digits" && s.model != "mlp")
        throw UsageError{"--model takes digits or mlp, got '" + s.model + "'"};
    } else if (a == "--data")
      s.data_dir = value();
    else if (a == "--min-bytes")
      s.min_bytes = integer(4, 1e10);
    else if (a == "--max-bytes")
      s.max_bytes = integer(4, 1e10);
    else if (a == "--batch-ms")
      s.batch_ms = number(0.1, 1e5);
    else if (a == "--repeats")
      s.repeats = static_cast<int>(integer(1, 1000));
    else if (a == "--threads")
      s.threads = static_cast<int>(integer(0, 4096));
    else if (a == "--check-steps")
      s.check_steps = static_cast<int>(integer(0, 1000));
    else if (a == "--steps")
      s.steps = static_cast<int>(integer(1, 100000));
    else if (a == "--global-batch")
      s.global_batch = integer(1, 1e7);
    else if (a == "--lr")
      s.lr = number(0, 1e3);
    else
      throw UsageError{"unknown option " + a};
  }
  if (s.min_bytes % 4 || s.max_bytes % 4 || s.min_bytes > s.max_bytes)
    throw UsageError{"--min-bytes and --max-bytes: multiples of 4 (float32), min <= max"};
  if (!s.model.empty() && s.data_dir.empty())
    throw UsageError{"--model needs --data DIR (scripts/peers/ddp_peers.py --write-data DIR)"};
  return s;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

std::string fmt(double x, int precision = 4) {
  std::ostringstream s;
  s.precision(precision);
  s << x;
  return s.str();
}

// The reference side: libmpi called directly on a communicator of our own.
struct Mpi {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  Mpi() {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
  }
  ~Mpi() { MPI_Comm_free(&comm); }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
  double max(double x) const {
    double out = 0;
    MPI_Allreduce(&x, &out, 1, MPI_DOUBLE, MPI_MAX, comm);
    return out;
  }
  void barrier() const { MPI_Barrier(comm); }
  std::string library() const {
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int length = 0;
    MPI_Get_library_version(version, &length);
    std::string v(version, static_cast<size_t>(length));
    if (auto nl = v.find_first_of(",\n"); nl != std::string::npos) v.resize(nl);
    return v;
  }
};

struct Stats {
  double median = -1, min = -1, max = -1;
};
Stats stats(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

// Rank 0's progress line.
struct Progress {
  bool on;
  void operator()(const std::string& what) const {
    if (on) std::cerr << "[tfjit-bench-collectives] " << what << "\n";
  }
};

// --- all-reduce mode --------------------------------------------------------------------------

struct Variant {
  std::string name;
  std::function<void(const float* in, float* out, int64_t count)> call;
};

struct SizeRow {
  int64_t bytes;
  std::vector<Stats> us;  // per variant
  std::vector<int> iterations;
};

// What the MPI backend does for the transfer (backends/mpi/mpi.cpp): MPI_Iallreduce, then
// MPI_Test until done with the backends' pause between polls (rt::collectives).
void iallreduce_polled(const Mpi& mpi, const float* in, float* out, int64_t count) {
  MPI_Request request;
  MPI_Iallreduce(in, out, static_cast<int>(count), MPI_FLOAT, MPI_SUM, mpi.comm, &request);
  for (const auto started = std::chrono::steady_clock::now();;) {
    int flag = 0;
    MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
    if (flag) return;
    tf::rt::collectives::pause_between_polls(started);
  }
}

// Calls `call` three times, each after a barrier, and sizes a batch from the slowest rank's
// fastest call, so that every rank makes the same number of calls per batch.
int batch_iterations(const Mpi& mpi, const std::function<void()>& call, double batch_ms) {
  double best = 1e300;
  for (int i = 0; i < 3; ++i) {
    mpi.barrier();
    const auto start = Clock::now();
    call();
    best = std::min(best, Seconds(Clock::now() - start).count() * 1e3);
  }
  return static_cast<int>(std::clamp(batch_ms / std::max(mpi.max(best), 1e-6), 3.0, 5000.0));
}

// `repeats` batches of each variant, interleaved (variant 0, 1, ..., then again), each batch
// after a barrier; a batch's time is the slowest rank's mean per call in microseconds.
std::vector<Stats> time_variants(const Mpi& mpi, const std::vector<std::function<void()>>& calls,
                                 const std::vector<int>& iterations, int repeats) {
  std::vector<std::vector<double>> batches(calls.size());
  for (int r = 0; r < repeats; ++r)
    for (size_t v = 0; v < calls.size(); ++v) {
      mpi.barrier();
      const auto start = Clock::now();
      for (int i = 0; i < iterations[v]; ++i) calls[v]();
      batches[v].push_back(mpi.max(Seconds(Clock::now() - start).count() * 1e6 / iterations[v]));
    }
  std::vector<Stats> out;
  for (auto& b : batches) out.push_back(stats(b));
  return out;
}

int allreduce_mode(const Settings& s, const Mpi& mpi, const Progress& progress,
                   std::vector<std::string>& json_rows, std::string& table) {
  const int n = mpi.size, rank = mpi.rank;
  auto communicator = coll::create("mpi", coll::options_from_environment());
  coll::Options det_options = coll::options_from_environment();
  det_options.deterministic = true;
  auto deterministic = coll::create("mpi", det_options);
  tf::distribute::MultiWorkerMirroredStrategy strategy;
  if (strategy.num_replicas_in_sync() != n) {
    progress("the strategy has " + std::to_string(strategy.num_replicas_in_sync()) +
             " replicas, MPI " + std::to_string(n));
    return kWrong;
  }

  // Page-aligned buffers (as osu_allreduce's), touched before any timing.
  const int64_t max_count = s.max_bytes / 4;
  const size_t padded = (static_cast<size_t>(s.max_bytes) + 4095) / 4096 * 4096;
  std::unique_ptr<float, decltype(&std::free)> in_buffer(
      static_cast<float*>(std::aligned_alloc(4096, padded)), &std::free),
      out_buffer(static_cast<float*>(std::aligned_alloc(4096, padded)), &std::free);
  if (!in_buffer || !out_buffer) throw std::bad_alloc();
  std::span<float> in(in_buffer.get(), static_cast<size_t>(max_count)),
      out(out_buffer.get(), static_cast<size_t>(max_count));
  for (int64_t i = 0; i < max_count; ++i) {
    in[static_cast<size_t>(i)] = static_cast<float>(rank + i % 7);
    out[static_cast<size_t>(i)] = 0;
  }
  tf::Tensor tensor_in;  // the Tensor variant's input: the same values, made before timing
  std::vector<Variant> variants = {
      {"MPI_Allreduce direct",
       [&](const float* a, float* b, int64_t c) {
         MPI_Allreduce(a, b, static_cast<int>(c), MPI_FLOAT, MPI_SUM, mpi.comm);
       }},
      {"MPI_Iallreduce + MPI_Wait (direct)",
       [&](const float* a, float* b, int64_t c) {
         MPI_Request request;
         MPI_Iallreduce(a, b, static_cast<int>(c), MPI_FLOAT, MPI_SUM, mpi.comm, &request);
         MPI_Wait(&request, MPI_STATUS_IGNORE);
       }},
      {"MPI_Iallreduce + tfjit's poll (direct)",
       [&](const float* a, float* b, int64_t c) { iallreduce_polled(mpi, a, b, c); }},
      {"tfjit Communicator::all_reduce",
       [&](const float* a, float* b, int64_t c) {
         communicator->all_reduce(a, b, c, tf::float32, coll::ReduceOp::kSum);
       }},
      {"tfjit Communicator, deterministic",
       [&](const float* a, float* b, int64_t c) {
         deterministic->all_reduce(a, b, c, tf::float32, coll::ReduceOp::kSum);
       }},
      {"tf::distribute all_reduce (Tensor)",
       [&](const float*, float* b, int64_t c) {
         tf::Tensor r = strategy.run([&] {
           return tf::distribute::get_replica_context().all_reduce(tf::distribute::ReduceOp::SUM,
                                                                   tensor_in);
         });
         b[c - 1] = static_cast<const float*>(r.data())[c - 1];  // the check reads it
       }},
  };
  const size_t tensor_variant = variants.size() - 1;

  // Every variant a few times first: MPI sets up its connections on first use.
  const int64_t warm = std::min<int64_t>(1024, max_count);
  progress("warm-up: every variant 20 times at " + std::to_string(4 * warm) + " B");
  tensor_in =
      tf::constant(std::vector<float>(in.begin(), in.begin() + warm), tf::TensorShape({warm}));
  for (int i = 0; i < 20; ++i)
    for (auto& v : variants) v.call(in.data(), out.data(), warm);

  int wrong = 0;
  std::vector<SizeRow> rows;
  for (int64_t bytes = s.min_bytes; bytes <= s.max_bytes; bytes *= 2) {
    const int64_t count = bytes / 4;
    progress("all-reduce " + std::to_string(bytes) + " B on " + std::to_string(n) + " ranks");
    tensor_in =
        tf::constant(std::vector<float>(in.begin(), in.begin() + count), tf::TensorShape({count}));
    SizeRow row{bytes, {}, std::vector<int>(variants.size())};
    std::vector<std::function<void()>> calls;
    for (size_t v = 0; v < variants.size(); ++v) {
      // The check: every element (the Tensor variant: its last).
      std::fill(out.begin(), out.begin() + count, -1.0f);
      variants[v].call(in.data(), out.data(), count);
      for (int64_t i = v == tensor_variant ? count - 1 : 0; i < count; ++i) {
        const float want = static_cast<float>(n * (i % 7) + n * (n - 1) / 2);
        if (out[static_cast<size_t>(i)] != want) {
          std::cerr << "[tfjit-bench-collectives] ERROR (rank " << rank << "): " << variants[v].name
                    << ", " << bytes << " B: element " << i << " is " << out[static_cast<size_t>(i)]
                    << ", expected " << want << "\n";
          ++wrong;
          break;
        }
      }
      calls.push_back([&, v, count] { variants[v].call(in.data(), out.data(), count); });
      row.iterations[v] = batch_iterations(mpi, calls.back(), s.batch_ms);
    }
    row.us = time_variants(mpi, calls, row.iterations, s.repeats);
    rows.push_back(row);
  }

  // The agreement step alone: tfjit's barrier is exactly the descriptor exchange.
  progress("barrier: tfjit's (the agreement alone) and MPI_Barrier");
  const std::vector<std::string> barrier_names = {"MPI_Barrier direct",
                                                  "tfjit barrier (descriptor agreement alone)"};
  const std::vector<std::function<void()>> barriers = {[&] { mpi.barrier(); },
                                                       [&] { communicator->barrier(); }};
  std::vector<int> barrier_iterations;
  for (const auto& b : barriers) barrier_iterations.push_back(batch_iterations(mpi, b, s.batch_ms));
  const std::vector<Stats> barrier_us = time_variants(mpi, barriers, barrier_iterations, s.repeats);

  // Output: one JSON row per (size, variant); the text table one line per size.
  for (const auto& row : rows)
    for (size_t v = 0; v < variants.size(); ++v) {
      const double t = row.us[v].median;
      const double algbw = row.bytes / t / 1e3;  // GB/s
      std::ostringstream j;
      j << "{\"bytes\": " << row.bytes << ", \"variant\": \"" << json_escape(variants[v].name)
        << "\", \"us\": " << t << ", \"min_us\": " << row.us[v].min
        << ", \"max_us\": " << row.us[v].max << ", \"iterations\": " << row.iterations[v]
        << ", \"algbw_GBps\": " << algbw << ", \"busbw_GBps\": " << algbw * 2.0 * (n - 1) / n
        << ", \"ratio_to_direct\": " << t / row.us[0].median << "}";
      json_rows.push_back(j.str());
    }
  for (size_t v = 0; v < barriers.size(); ++v) {
    std::ostringstream j;
    j << "{\"bytes\": 0, \"variant\": \"" << json_escape(barrier_names[v])
      << "\", \"us\": " << barrier_us[v].median << ", \"min_us\": " << barrier_us[v].min
      << ", \"max_us\": " << barrier_us[v].max << ", \"iterations\": " << barrier_iterations[v]
      << ", \"ratio_to_direct\": " << barrier_us[v].median / barrier_us[0].median << "}";
    json_rows.push_back(j.str());
  }
  std::ostringstream t;
  t << "microseconds per call (x: / MPI_Allreduce direct)\n";
  for (size_t v = 0; v < variants.size(); ++v) t << "  [" << v << "] " << variants[v].name << "\n";
  char cell[64];
  std::snprintf(cell, sizeof cell, "%10s", "bytes");
  t << cell;
  for (size_t v = 0; v < variants.size(); ++v) {
    std::snprintf(cell, sizeof cell, " %19s", ("[" + std::to_string(v) + "]").c_str());
    t << cell;
  }
  t << "\n";
  for (const auto& row : rows) {
    std::snprintf(cell, sizeof cell, "%10lld", static_cast<long long>(row.bytes));
    t << cell;
    for (size_t v = 0; v < variants.size(); ++v) {
      std::snprintf(cell, sizeof cell, " %10.2f (x%6.2f)", row.us[v].median,
                    row.us[v].median / row.us[0].median);
      t << cell;
    }
    t << "\n";
  }
  std::snprintf(cell, sizeof cell, "barrier: MPI_Barrier %.2f us, ", barrier_us[0].median);
  t << cell;
  std::snprintf(cell, sizeof cell, "tfjit barrier (agreement) %.2f us\n", barrier_us[1].median);
  t << cell;
  table = t.str();
  return wrong ? kWrong : 0;
}

// --- model mode -------------------------------------------------------------------------------

struct Net {
  std::vector<tf::Variable> vars;  // w0, b0, w1, b1, ...
  tf::Tensor logits(const tf::Tensor& x) const {
    tf::Tensor h = x;
    for (size_t l = 0; l < vars.size(); l += 2) {
      h = tf::matmul(h, vars[l].read_value()) + vars[l + 1].read_value();
      if (l + 2 < vars.size()) h = tf::nn::relu(h);
    }
    return h;
  }
};

int model_mode(const Settings& s, const Mpi& mpi, const Progress& progress,
               std::vector<std::string>& json_rows, std::string& extra_json, std::string& table) {
  namespace fs = std::filesystem;
  const int n = mpi.size, rank = mpi.rank;
  const fs::path dir(s.data_dir);
  const std::string prefix = s.model;  // digits_x.npy, digits_w0.npy, ... / mlp_*
  const int layers = s.model == "digits" ? 2 : 3;
  for (const std::string& f : {prefix + "_x.npy", prefix + "_y.npy"})
    if (!fs::exists(dir / f)) {
      progress("no " + (dir / f).string() + ": run scripts/peers/ddp_peers.py --write-data " +
               s.data_dir);
      return kCannotRun;
    }
  const tf::Tensor x_all = tf::load_npy((dir / (prefix + "_x.npy")).string());
  const tf::Tensor y_all = tf::cast(tf::load_npy((dir / (prefix + "_y.npy")).string()), tf::int32);
  std::vector<tf::Tensor> initial;
  for (int i = 0; i < 2 * layers; ++i)
    initial.push_back(tf::load_npy((dir / (prefix + "_w" + std::to_string(i) + ".npy")).string()));

  const int64_t global = s.weak ? s.global_batch * n : s.global_batch;
  if (global % n) {
    progress("--global-batch " + std::to_string(global) + " does not divide by " +
             std::to_string(n) + " ranks");
    return kUsage;
  }
  const int64_t local = global / n;
  const int64_t batches = x_all.shape()[0] / global;
  if (batches < 1) {
    progress("the data has fewer rows than one global batch of " + std::to_string(global));
    return kCannotRun;
  }
  // This rank's rows of each global batch, cut before any timing.
  std::vector<tf::Tensor> xs, ys;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t begin = b * global + rank * local;
    xs.push_back(tf::identity(x_all(tf::slice(begin, begin + local))));
    ys.push_back(tf::identity(y_all(tf::slice(begin, begin + local))));
  }

  tf::distribute::CommunicationOptions options;
  if (s.deterministic) options.deterministic = true;
  options.bytes_per_pack = s.bytes_per_pack;
  tf::distribute::MultiWorkerMirroredStrategy strategy(options);
  Net net;
  {
    auto scope = strategy.scope();
    for (const auto& v : initial) net.vars.emplace_back(v);
  }
  const float lr = static_cast<float>(s.lr);
  const float inv_global = 1.0f / static_cast<float>(global);
  // The step: this rank's share of the global-batch mean loss (sum over its rows / global
  // batch), so the SUM of the replicas' gradients is the global batch's gradient.
  auto step = [&](const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    tf::Tensor loss =
        tf::reduce_sum(tf::nn::sparse_softmax_cross_entropy_with_logits(y, net.logits(x))) *
        inv_global;
    auto grads = tape.gradient(loss, net.vars);
    grads = tf::distribute::get_replica_context().all_reduce(tf::distribute::ReduceOp::SUM, grads);
    for (size_t i = 0; i < grads.size(); ++i) net.vars[i].assign_sub(lr * grads[i]);
    return loss;
  };
  auto local_step = [&](const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    tf::Tensor loss =
        tf::reduce_sum(tf::nn::sparse_softmax_cross_entropy_with_logits(y, net.logits(x))) *
        inv_global;
    auto grads = tape.gradient(loss, net.vars);
    for (size_t i = 0; i < grads.size(); ++i) net.vars[i].assign_sub(lr * grads[i]);
    return loss;
  };
  // The compiled steps (or, with --eager, the steps themselves).
  using StepFn = std::function<tf::Tensor(const tf::Tensor&, const tf::Tensor&)>;
  auto traced = tf::function(step);
  auto traced_local = tf::function(local_step);
  const StepFn compiled =
      s.eager ? StepFn(step)
              : StepFn([&](const tf::Tensor& x, const tf::Tensor& y) { return traced(x, y); });
  const StepFn compiled_local =
      s.eager
          ? StepFn(local_step)
          : StepFn([&](const tf::Tensor& x, const tf::Tensor& y) { return traced_local(x, y); });

  int64_t k = 0;  // the next global batch
  auto run_step = [&] {
    const size_t b = static_cast<size_t>(k++ % batches);
    return strategy.run(compiled, xs[b], ys[b]);
  };

  // The loss check: the global loss of the first steps (the first call traces and compiles).
  progress(s.model + ": " + std::to_string(n) + " ranks, global batch " + std::to_string(global) +
           ", " + std::to_string(local) + " rows per rank; first " + std::to_string(s.check_steps) +
           " steps (loss check; the first compiles)");
  std::vector<double> losses;
  mpi.barrier();
  auto start = Clock::now();
  tf::Tensor first = run_step();
  const double first_step_ms = mpi.max(Seconds(Clock::now() - start).count() * 1e3);
  for (int i = 0; i < s.check_steps; ++i) {
    tf::Tensor l = i == 0 ? first : run_step();
    losses.push_back(strategy.reduce(tf::distribute::ReduceOp::SUM, l).item<float>());
  }
  // Warm-up, then the timed batches.
  progress(s.model + ": timing " + std::to_string(s.repeats) + " x " + std::to_string(s.steps) +
           " steps");
  for (int i = 0; i < 2; ++i) run_step();
  std::vector<double> step_ms;
  for (int r = 0; r < s.repeats; ++r) {
    mpi.barrier();
    start = Clock::now();
    for (int i = 0; i < s.steps; ++i) run_step();
    const double ms = Seconds(Clock::now() - start).count() * 1e3 / s.steps;
    step_ms.push_back(mpi.max(ms));
  }
  // The replicas must hold the same variables (the all-reduce gives every rank the same sums).
  double replica_diff = 0;
  for (const auto& v : net.vars) {
    tf::Tensor hi = strategy.reduce(tf::distribute::ReduceOp::MAX, v.read_value());
    tf::Tensor lo = strategy.reduce(tf::distribute::ReduceOp::MIN, v.read_value());
    replica_diff = std::max(replica_diff, double(tf::reduce_max(hi - lo).item<float>()));
  }
  // The same step without the all-reduce: what one rank computes (the variables then drift
  // apart across ranks; nothing is checked after this).
  progress(s.model + ": timing the step without its all-reduce (compute only)");
  for (int i = 0; i < 2; ++i) compiled_local(xs[0], ys[0]);
  std::vector<double> local_ms;
  for (int r = 0; r < s.repeats; ++r) {
    mpi.barrier();
    start = Clock::now();
    for (int i = 0; i < s.steps; ++i) {
      const size_t b = static_cast<size_t>(i % batches);
      compiled_local(xs[b], ys[b]);
    }
    local_ms.push_back(mpi.max(Seconds(Clock::now() - start).count() * 1e3 / s.steps));
  }

  int64_t parameters = 0;
  for (const auto& v : initial) parameters += v.num_elements();
  const Stats st = stats(step_ms), sl = stats(local_ms);
  std::ostringstream name;
  name << (s.model == "digits" ? "digits mlp 64-32-10" : "mlp 784-512-512-10");
  json_rows.push_back("{\"variant\": \"step (all-reduce)\", \"ms\": " + fmt(st.median, 6) +
                      ", \"min_ms\": " + fmt(st.min, 6) + ", \"max_ms\": " + fmt(st.max, 6) + "}");
  json_rows.push_back(
      "{\"variant\": \"compute only (no all-reduce)\", \"ms\": " + fmt(sl.median, 6) +
      ", \"min_ms\": " + fmt(sl.min, 6) + ", \"max_ms\": " + fmt(sl.max, 6) + "}");
  std::ostringstream e;
  e.precision(9);
  e << "\"framework\": \"tfjit\", \"model\": \"" << name.str() << "\", \"ranks\": " << n
    << ", \"scaling\": \"" << (s.weak ? "weak" : "strong") << "\", \"global_batch\": " << global
    << ", \"local_batch\": " << local << ", \"parameters\": " << parameters
    << ", \"threads\": " << s.threads
    << ", \"deterministic\": " << (s.deterministic ? "true" : "false")
    << ", \"eager\": " << (s.eager ? "true" : "false")
    << ", \"bytes_per_pack\": " << s.bytes_per_pack << ", \"lr\": " << s.lr
    << ", \"steps_per_batch\": " << s.steps << ", \"repeats\": " << s.repeats
    << ", \"first_step_ms\": " << first_step_ms << ", \"replica_max_abs_diff\": " << replica_diff
    << ", \"losses\": [";
  for (size_t i = 0; i < losses.size(); ++i) e << (i ? ", " : "") << losses[i];
  e << "]";
  extra_json = e.str();
  std::ostringstream t;
  t.precision(4);
  t << name.str() << ", " << n << " ranks, global batch " << global << " (" << local
    << " per rank), " << s.threads << " thread(s) per rank, "
    << (s.eager ? "eager" : "tf::function") << ", packs of " << s.bytes_per_pack << " B\n"
    << "  step (all-reduce)          " << st.median << " ms  [min " << st.min << ", max " << st.max
    << "]\n"
    << "  compute only (no all-red.) " << sl.median << " ms  [min " << sl.min << ", max " << sl.max
    << "]\n"
    << "  first step (trace+compile) " << first_step_ms << " ms\n  losses";
  t.precision(7);
  for (double l : losses) t << " " << l;
  t << "\n  replicas' max |difference| after training: " << replica_diff << "\n";
  table = t.str();
  if (replica_diff > 1e-5) {
    progress("ERROR: the replicas' variables differ by " + fmt(replica_diff) + " after training");
    return kWrong;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  try {
    s = parse(argc, argv);
  } catch (const UsageError& e) {
    if (e.what.empty()) {
      std::cout << kHelp;
      return 0;
    }
    std::cerr << "tfjit-bench-collectives: " << e.what << "\n" << kHelp;
    return kUsage;
  }
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMIX_RANK")) {
    std::cerr << "tfjit-bench-collectives: not started by mpirun (run: mpirun -np N " << argv[0]
              << " ...)\n";
    return kCannotRun;
  }
  tf::config::threading::set_intra_op_parallelism_threads(s.threads);
  auto cpu = tf::device_scope("/CPU:0");
  int status = 0;
  std::vector<std::string> rows;
  std::string extra, table, library;
  int rank = 0, size = 1;
  const Metadata metadata = collect_metadata(argc, argv);
  try {
    // tfjit's backend loads and initialises MPI (the communicator made here); the reference
    // calls the same library directly afterwards.
    auto first = coll::create("mpi", coll::options_from_environment());
    Mpi mpi;
    rank = mpi.rank;
    size = mpi.size;
    library = mpi.library();
    const Progress progress{mpi.rank == 0};
    if (s.model.empty())
      status = allreduce_mode(s, mpi, progress, rows, table);
    else
      status = model_mode(s, mpi, progress, rows, extra, table);
    mpi.barrier();
  } catch (const tf::UnavailableError& e) {
    std::cerr << "tfjit-bench-collectives (rank " << rank << "): " << e.what() << "\n";
    return std::string(e.what()).find("cannot load") != std::string::npos ? kCannotRun
                                                                          : kCollectiveFailed;
  } catch (const std::exception& e) {
    std::cerr << "tfjit-bench-collectives (rank " << rank << "): " << e.what() << "\n";
    return kCollectiveFailed;
  }
  if (rank != 0) return status;
  const char* omp = std::getenv("OMP_NUM_THREADS");
  if (s.json) {
    std::string meta = metadata_json(metadata, load_average());
    meta.pop_back();  // the closing brace: add the run's MPI facts
    meta += ", \"ranks\": " + std::to_string(size) + ", \"mpi_library\": \"" +
            json_escape(library) + "\", \"omp_num_threads\": \"" + (omp ? omp : "") +
            "\", \"threads_per_rank\": " + std::to_string(s.threads) + "}";
    std::cout << "{\n  \"metadata\": " << meta << ",\n  \"mode\": \""
              << (s.model.empty() ? "all-reduce" : "model") << "\",\n";
    if (!extra.empty()) std::cout << "  " << extra << ",\n";
    std::cout << "  \"rows\": [\n";
    for (size_t i = 0; i < rows.size(); ++i)
      std::cout << "    " << rows[i] << (i + 1 < rows.size() ? ",\n" : "\n");
    std::cout << "  ]\n}\n";
  } else {
    std::cout << metadata_text(metadata, load_average()) << "\n# " << size << " ranks, " << library
              << ", " << s.threads << " intra-op thread(s) per rank\n"
              << table;
  }
  return status;
}
