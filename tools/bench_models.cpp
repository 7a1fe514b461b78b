// tfjit-bench's rows for the training steps users run (tools/workloads.h): MLPs, CNNs and a
// transformer block, each forward + backward + SGD: eager, through tf::function, and with the
// tape around a compiled loss (the eager loop around a compiled model); and a batch-1 inference
// call. scripts/peers/peers.py runs the same models, with the same data and initial values, in
// TensorFlow, JAX and PyTorch. Before a step is timed, its first losses are recorded (the note
// carries them, for the peer table to compare) and every compiled variant must reproduce the
// eager ones.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "tools/bench.h"
#include "tools/workloads.h"

namespace {

constexpr int kCheckedSteps = 3;

std::string losses_note(const std::vector<float>& losses) {
  std::ostringstream s;
  s.precision(6);
  s << "losses";
  for (float l : losses) s << " " << l;
  return s.str();
}

std::string timing_note(double reference_us, double us, const char* reference) {
  std::ostringstream s;
  s.precision(3);
  s << reference_us / us << "x " << reference << " speed";
  return s.str();
}

Row row(const std::string& workload, const std::string& variant, const Timing& t,
        const std::string& note) {
  Row r{workload, variant, t.median, note};
  r.min_us = t.min;
  r.max_us = t.max;
  return r;
}

// A graph of about `ops` traced ops: elementwise chains, each ending in a row normalisation (a
// reduction), so that it stays many kernels after fusion, as real graphs do.
tf::Tensor many_ops(const tf::Tensor& x, int ops) {
  tf::Tensor h = x;
  for (int i = 0; i < ops / 5; ++i) {
    h = tf::tanh(h * 0.5f + 0.1f);
    h = h - tf::reduce_mean(h, -1, true);
  }
  return h;
}

// Trace + compile time of fresh functions (median of `rounds`): cold (nothing cached), and from
// the disk cache (the in-memory cache cleared, as in a new process).
template <class Make, class... Args>
std::pair<double, double> compile_ms(const Make& make, int rounds, const Args&... args) {
  const std::string saved_dir = tf::config::disk_cache_dir();
  const bool saved_enabled = tf::config::disk_cache_enabled();
  const auto dir = std::filesystem::temp_directory_path() / "tfjit_bench_model_cache";
  tf::config::set_disk_cache_dir(dir.string());
  tf::config::enable_disk_cache(true);
  std::vector<double> cold, disk;
  for (int i = 0; i < rounds; ++i) {
    std::filesystem::remove_all(dir);
    tf::config::clear_compile_cache();
    auto f = make();
    f.get_concrete_function(args...);
    cold.push_back(f.cache_stats().last_compile_ms);
    tf::config::clear_compile_cache();
    auto g = make();
    g.get_concrete_function(args...);
    disk.push_back(g.cache_stats().last_compile_ms);
  }
  std::filesystem::remove_all(dir);
  tf::config::set_disk_cache_dir(saved_dir);
  tf::config::enable_disk_cache(saved_enabled);
  std::sort(cold.begin(), cold.end());
  std::sort(disk.begin(), disk.end());
  return {cold[cold.size() / 2], disk[disk.size() / 2]};
}

}  // namespace

void training_step_benchmarks(const std::string& prefix, int scale, std::vector<Row>& rows,
                              const std::function<void(Row&, const std::string&)>& fail,
                              const std::function<void()>& sync, const std::string& only) {
  struct Workload {
    std::unique_ptr<workloads::Model> model;
    int iterations;  // per timed batch, before --quick's scale
  };
  std::vector<Workload> list;
  list.push_back(
      {std::make_unique<workloads::Mlp>(std::vector<int64_t>{784, 512, 512, 10}, 128), 50});
  list.push_back(
      {std::make_unique<workloads::Mlp>(std::vector<int64_t>{1024, 2048, 2048, 1024}, 512), 3});
  list.push_back({std::make_unique<workloads::Cnn>(28, 1, 16, 32, 32), 20});
  list.push_back({std::make_unique<workloads::Cnn>(32, 3, 32, 64, 32), 10});
  list.push_back({std::make_unique<workloads::TransformerBlock>(), 10});
  for (auto& [model, iterations] : list) {
    if (model->name.find(only) == std::string::npos) continue;
    const std::string name = prefix + model->name + " step";
    std::fprintf(stderr,
                 "[tfjit-bench] training step: %s%s (eager, tf::function, tape around one)...\n",
                 prefix.c_str(), model->name.c_str());
    auto eager = [&](const tf::Tensor& x, const tf::Tensor& y) { return model->step(x, y); };
    auto compiled = tf::function(eager);
    auto curve = [&](auto& step) {
      model->reset();
      std::vector<float> losses;
      for (int i = 0; i < kCheckedSteps; ++i)
        losses.push_back(step(model->x, model->y).template item<float>());
      return losses;
    };
    const int n = std::max(1, iterations / scale);
    // The first eager steps learn each GEMM shape's layout (backends/cpu/measure.h).
    auto start = Clock::now();
    auto eager_losses = curve(eager);
    std::ostringstream eager_note;
    eager_note.precision(4);
    eager_note << "first " << kCheckedSteps << " steps "
               << std::chrono::duration<double, std::milli>(Clock::now() - start).count() << " ms; "
               << losses_note(eager_losses);
    Row eager_row = row(name, "eager", time_stats([&] { eager(model->x, model->y); }, n, 5, sync),
                        eager_note.str());
    rows.push_back(eager_row);
    // A compiled variant: its loss curve must be the eager one before it is timed.
    auto measure = [&](const std::string& variant, auto& step, auto trace_count) {
      Row r{name, variant, -1, ""};
      try {
        auto start = Clock::now();
        auto losses = curve(step);
        double first_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        bool same = trace_count() == 1;
        for (int i = 0; i < kCheckedSteps; ++i)
          same = same && std::abs(losses[i] - eager_losses[i]) <=
                             1e-4f * std::max(1.0f, std::abs(eager_losses[i]));
        auto t = time_stats([&] { step(model->x, model->y); }, n, 5, sync);
        std::ostringstream note;
        note.precision(4);
        note << timing_note(eager_row.us, t.median, "eager") << "; first " << kCheckedSteps
             << " steps incl. trace + compile " << first_ms << " ms; " << losses_note(losses);
        rows.push_back(row(name, variant, t, note.str()));
        if (!same)
          fail(rows.back(), "the " + variant + " step does not train like the eager one: " +
                                losses_note(losses) + " vs eager " + losses_note(eager_losses));
      } catch (const std::exception& e) {
        rows.push_back(r);
        fail(rows.back(), "the " + variant + " step failed: " + std::string(e.what()));
      }
    };
    measure("tf::function", compiled, [&] { return compiled.trace_count(); });
    // The eager loop around a compiled model: the tape outside, the loss a tf::function.
    auto compiled_loss =
        tf::function([&](const tf::Tensor& x, const tf::Tensor& y) { return model->loss(x, y); });
    auto around = [&](const tf::Tensor& x, const tf::Tensor& y) {
      tf::GradientTape tape;
      tf::Tensor l = compiled_loss(x, y);
      model->sgd(tape.gradient(l, model->params));
      return l;
    };
    measure("tape around a tf::function loss", around, [&] { return compiled_loss.trace_count(); });
  }
}

void model_benchmarks(int scale, std::vector<Row>& rows,
                      const std::function<void(Row&, const std::string&)>& fail) {
  training_step_benchmarks("", scale, rows, fail, {});

  // Compile time: the transformer step, and how it grows with graph size.
  const int rounds = scale > 1 ? 1 : 3;
  {
    std::fprintf(stderr, "[tfjit-bench] compile time: transformer step, cold and from disk...\n");
    workloads::TransformerBlock t;
    auto make = [&] {
      return tf::function([&](const tf::Tensor& x, const tf::Tensor& y) { return t.step(x, y); });
    };
    auto [cold, disk] = compile_ms(make, rounds, t.x, t.y);
    rows.push_back({"compile transformer step", "trace + compile, cold", cold * 1e3,
                    "median of fresh functions, caches cleared"});
    rows.push_back({"compile transformer step", "trace + load from disk cache", disk * 1e3,
                    "in-memory cache cleared, as in a new process"});
  }
  for (int ops : {10, 100, 1000}) {
    std::fprintf(stderr, "[tfjit-bench] compile time: %d-op graph...\n", ops);
    auto x = workloads::wave({64, 256}, 1.0, 0.0);
    auto make = [ops] {
      return tf::function([ops](const tf::Tensor& t) { return many_ops(t, ops); });
    };
    auto [cold, disk] = compile_ms(make, rounds, x);
    rows.push_back({"compile " + std::to_string(ops) + " ops", "trace + compile, cold", cold * 1e3,
                    "elementwise chains with a row reduction every 5 ops"});
    rows.push_back({"compile " + std::to_string(ops) + " ops", "trace + load from disk cache",
                    disk * 1e3, ""});
    // And what the code it compiled runs at: small kernels, many of them.
    auto compiled = make();
    const std::string name = "call " + std::to_string(ops) + " ops (64x256)";
    const int n = std::max(1, 20000 / ops / scale);
    Row eager_row = row(name, "eager", time_stats([&] { many_ops(x, ops); }, n), "");
    rows.push_back(eager_row);
    float difference = tf::reduce_max(tf::abs(compiled(x) - many_ops(x, ops))).item<float>();
    auto t = time_stats([&] { compiled(x); }, n);
    rows.push_back(row(name, "tf::function", t, timing_note(eager_row.us, t.median, "eager")));
    if (!(difference <= 1e-4f))
      fail(rows.back(), "compiled values differ from eager by " + std::to_string(difference));
  }

  std::fprintf(stderr, "[tfjit-bench] MLP inference, batch 1 (eager, tf::function)...\n");
  workloads::Mlp mlp({784, 512, 512, 10}, 1);
  auto forward = [&](const tf::Tensor& x) { return mlp.logits(x); };
  auto compiled = tf::function(forward);
  const std::string name = "mlp 784-512-512-10 inference b1";
  float difference = tf::reduce_max(tf::abs(compiled(mlp.x) - forward(mlp.x))).item<float>();
  Row eager_row = row(name, "eager", time_stats([&] { forward(mlp.x); }, 2000 / scale), "");
  rows.push_back(eager_row);
  auto t = time_stats([&] { compiled(mlp.x); }, 2000 / scale);
  rows.push_back(row(name, "tf::function", t, timing_note(eager_row.us, t.median, "eager")));
  if (!(difference <= 1e-4f))
    fail(rows.back(), "compiled logits differ from eager by " + std::to_string(difference));
}
