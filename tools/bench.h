// What tfjit-bench's sections share: the timing rule and the result rows.
#pragma once

#include <omp.h>
#include <tfjit/tfjit.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "runtime/parallel.h"

using Clock = std::chrono::steady_clock;

// The mean time per call of each of `repeats` batches, in microseconds.
struct Timing {
  double min = -1, median = -1, max = -1;
};

// Over `repeats` batches of `iterations` back-to-back calls, after a warm-up call. `sync`
// (asynchronous GPU work) runs before the clock stops on each batch.
inline Timing time_stats(const std::function<void()>& f, int iterations, int repeats = 5,
                         const std::function<void()>& sync = {}) {
  f();
  if (sync) sync();
  std::vector<double> batches;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) f();
    if (sync) sync();
    batches.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                      iterations);
  }
  std::sort(batches.begin(), batches.end());
  return {batches.front(), batches[batches.size() / 2], batches.back()};
}

// The median of time_stats.
inline double time_us(const std::function<void()>& f, int iterations, int repeats = 5,
                      const std::function<void()>& sync = {}) {
  return time_stats(f, iterations, repeats, sync).median;
}

// oneDNN called directly (a reference row) runs as its own users run it: on OpenMP's pool, with
// the bench's thread count. (tfjit's kernels leave their calling thread's OpenMP count at one and
// split the work over tfjit's pool themselves: runtime/parallel.h.)
inline void onednn_reference_threads() { omp_set_num_threads(tf::rt::parallel_threads()); }

struct Row {
  std::string workload, variant;
  double us;  // the median
  std::string note;
  double min_us = -1, max_us = -1;  // where measured with time_stats
};

// The tutorial's linear regression: y = 3x + 1 + noise over 100 points, and its training step.
struct LinearRegression {
  tf::Tensor xs, ys;
  tf::Variable w{tf::zeros({}), "w"}, b{tf::zeros({}), "b"};
  LinearRegression() {
    tf::random::set_seed(0);
    xs = tf::random::normal({100});
    ys = xs * 3.0f + 1.0f + tf::random::normal({100}, 0, 0.1);
  }
  tf::Tensor step(const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(y - (w * x + b)));
    auto g = tape.gradient(loss, std::vector<tf::Source>{w, b});
    w.assign_sub(g[0] * 0.1f);
    b.assign_sub(g[1] * 0.1f);
    return loss;
  }
  // 100 steps of `f` from w = b = 0 must fit w = 3, b = 1 (the tutorial's check).
  template <class F>
  bool fits(F& f, float& fw, float& fb) {
    w.assign(tf::zeros({}));
    b.assign(tf::zeros({}));
    for (int i = 0; i < 100; ++i) f(xs, ys);
    fw = w.read_value().item<float>();
    fb = b.read_value().item<float>();
    return std::abs(fw - 3.0f) < 0.05f && std::abs(fb - 1.0f) < 0.05f;
  }
};

// tools/bench_metadata.cpp: what a run's figures depend on, recorded beside them.
struct Metadata {
  std::string date, host, cpu, command;
  int cpus = 0, threads = 0;            // CPUs this process may run on; intra-op threads used
  std::array<double, 3> load_before{};  // 1, 5 and 15-minute load averages at the start
};
Metadata collect_metadata(int argc, char** argv);
std::array<double, 3> load_average();
std::string metadata_json(const Metadata& m, const std::array<double, 3>& load_after);
std::string metadata_text(const Metadata& m, const std::array<double, 3>& load_after);

// tools/bench_models.cpp: the training steps users run (tools/workloads.h), compile times and
// batch-1 inference.
void model_benchmarks(int scale, std::vector<Row>& rows,
                      const std::function<void(Row&, const std::string&)>& fail);
// The training steps alone (those whose name contains `only`), on the device scope in force, rows
// named `prefix` + the workload; `sync` (a GPU's) ends each timed batch.
void training_step_benchmarks(const std::string& prefix, int scale, std::vector<Row>& rows,
                              const std::function<void(Row&, const std::string&)>& fail,
                              const std::function<void()>& sync, const std::string& only = "");

// tools/bench_conv.cpp: conv2d on ResNet's shapes against oneDNN called directly.
void conv_benchmarks(int scale, std::vector<Row>& rows,
                     const std::function<void(Row&, const std::string&)>& fail);

// tools/bench_half.cpp: float16 and bfloat16 elementwise ops against float32's, compiled and eager.
void half_benchmarks(int scale, std::vector<Row>& rows,
                     const std::function<void(Row&, const std::string&)>& fail);

// tools/bench_keras.cpp: model.fit per epoch (data and initial weights from `data_dir`, written
// by scripts/peers/keras_peers.py; no fit rows without it), Adam on 10M parameters, tf::data.
void keras_benchmarks(const std::string& data_dir, int scale, std::vector<Row>& rows,
                      const std::function<void(Row&, const std::string&)>& fail);

// tools/bench_gpu.cpp: the GPU rows, appended to `rows`; `fail` marks a row as an error.
void gpu_benchmarks(int scale, std::vector<Row>& rows,
                    const std::function<void(Row&, const std::string&)>& fail);

// tools/bench_gpu_conv.cpp: conv2d on ResNet shapes on the GPU, cuDNN direct, eager (cuDNN) and
// compiled (generated kernels).
void gpu_conv_benchmarks(int scale, std::vector<Row>& rows,
                         const std::function<void(Row&, const std::string&)>& fail);
