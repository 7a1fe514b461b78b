// What tfjit-bench's sections share: the timing rule and the result rows.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

// Median over `repeats` batches of the mean time per call, in microseconds, after a warm-up
// call. `sync` (asynchronous GPU work) runs before the clock stops on each batch.
inline double time_us(const std::function<void()>& f, int iterations, int repeats = 5,
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
  return batches[batches.size() / 2];
}

struct Row {
  std::string workload, variant;
  double us;
  std::string note;
};

// tools/bench_gpu.cpp: the GPU rows, appended to `rows`; `fail` marks a row as an error.
void gpu_benchmarks(int scale, std::vector<Row>& rows,
                    const std::function<void(Row&, const std::string&)>& fail);
