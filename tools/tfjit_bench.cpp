// tfjit-bench: eager vs tf::function on the tutorial's workloads, each against a reference
// measured in the same run (oneDNN called directly, a plain memory copy).
#include <dnnl.h>
#include <tfjit/tfjit.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char* kHelp = R"(usage: tfjit-bench [--quick] [--json]

Runs each workload eagerly and through tf::function, next to a reference measured in the same
run, and prints a table (or JSON with --json). Progress goes to stderr.

  --quick   fewer iterations (a smoke run; figures are noisier)
  --json    machine-readable output on stdout
)";

using Clock = std::chrono::steady_clock;

// Median over `repeats` batches of the mean time per call, in microseconds.
double time_us(const std::function<void()>& f, int iterations, int repeats = 5) {
  f();
  std::vector<double> batches;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) f();
    batches.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                      iterations);
  }
  std::sort(batches.begin(), batches.end());
  return batches[batches.size() / 2];
}

struct Row {
  std::string workload, variant;
  double us;
  std::string note;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick")
      quick = true;
    else if (a == "--json")
      json = true;
    else if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    } else {
      std::cerr << "tfjit-bench: unknown option " << a << "\n" << kHelp;
      return 1;
    }
  }
  int scale = quick ? 10 : 1;
  std::vector<Row> rows;
  auto progress = [](const std::string& what) { std::cerr << "[tfjit-bench] " << what << "...\n"; };
  std::ostringstream fmt;

  // 1. The tutorial's comparison: 500x500 matmul called 1000 times.
  {
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
        [&] { dnnl_sgemm('N', 'N', 500, 500, 500, 1.0f, ap, 500, ap, 500, 0.0f, c.data(), 500); },
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
  }

  // 2. Elementwise chain x*x + 2x + 1 over 4M floats: fusion makes it one pass over memory.
  // 4M floats (the issue's size) fits in this machine's last-level cache with its result; 32M
  // does not, so it measures DRAM bandwidth.
  for (int64_t millions : {4, 32}) {
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

  // 3. Overheads: a 1-element eager op, and a cache-hit call of a tiny compiled function.
  {
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
  {
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
    note << "backward = " << (both - fwd) / fwd << "x forward";
    rows.push_back({"mlp 256x64x128x10", "forward", fwd, "eager"});
    rows.push_back({"mlp 256x64x128x10", "forward + backward", both, note.str()});

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

  // 5. Cold trace + compile of a ~20-op function (fresh tf::function objects each time).
  {
    progress("cold trace + compile of a 20-op function");
    auto make = [] {
      return tf::function([](const tf::Tensor& x, const tf::Tensor& w) {
        auto h = tf::matmul(x, w);
        for (int k = 0; k < 6; ++k) h = tf::tanh(h * 0.5f + 0.1f);
        return tf::reduce_sum(h, 1);
      });
    };
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
      auto f = make();
      f(tf::ones({8, 16}), tf::ones({16, 8}));
      cold.push_back(f.cache_stats().last_compile_ms);
      auto g = make();  // same graph, new function: traced, but the code comes from the cache
      g(tf::ones({8, 16}), tf::ones({16, 8}));
      shared.push_back(g.cache_stats().last_compile_ms);
      tf::config::clear_compile_cache();  // as in a new process: the code comes from disk
      auto h = make();
      h(tf::ones({8, 16}), tf::ones({16, 8}));
      disk.push_back(h.cache_stats().last_compile_ms);
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
                    "a new process's first call, simulated: in-memory cache cleared"});
    rows.push_back({"compile", "trace + process-cache hit, 20 ops", median(shared) * 1e3,
                    "a new function tracing an identical graph"});
  }

  if (json) {
    std::cout << "[\n";
    for (size_t i = 0; i < rows.size(); ++i)
      std::cout << "  {\"workload\": \"" << rows[i].workload << "\", \"variant\": \""
                << rows[i].variant << "\", \"us\": " << rows[i].us << ", \"note\": \""
                << rows[i].note << "\"}" << (i + 1 < rows.size() ? ",\n" : "\n");
    std::cout << "]\n";
  } else {
    std::printf("%-16s %-34s %12s  %s\n", "workload", "variant", "time (us)", "");
    for (const auto& r : rows)
      std::printf("%-16s %-34s %12.2f  %s\n", r.workload.c_str(), r.variant.c_str(), r.us,
                  r.note.c_str());
  }
  return 0;
}
