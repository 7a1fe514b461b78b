// Choices by measurement: where ways of computing the same output win on different shapes (a
// fused epilogue or a separate pass; a GEMM's operands as stored or copied transposed), the first
// call of a shape times each and the caller caches the winner.
#pragma once

#include <algorithm>
#include <cassert>
#include <chrono>
#include <functional>
#include <vector>

namespace tf::cpu {

// Shapes up to this many flops are measured on their first call (each way run six times: up to
// ~300 ms once per shape); larger ones keep their default way, whose gain or loss matters least.
inline constexpr double kMeasuredFlops = 1e9;

// The index of the fastest of `ways`: the best of five timed runs each, alternated after a
// warm-up of all (first-touch of scratch, primitives' code), so that a burst of other work on a
// shared machine slows all alike. All write the same output; the fastest runs last, so the output
// is the one every later call of the shape reproduces bit for bit.
inline size_t fastest(const std::vector<std::function<void()>>& ways) {
  assert(!ways.empty());
  auto seconds = [](const std::function<void()>& f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<double> best(ways.size(), 1e300);
  for (const auto& way : ways) way();
  for (int round = 0; round < 5; ++round)
    for (size_t i = 0; i < ways.size(); ++i) best[i] = std::min(best[i], seconds(ways[i]));
  const auto winner =
      static_cast<size_t>(std::min_element(best.begin(), best.end()) - best.begin());
  if (winner + 1 != ways.size()) ways[winner]();
  return winner;
}

// Whether `second` beats `first` (fastest of the two).
inline bool second_is_faster(const std::function<void()>& first,
                             const std::function<void()>& second) {
  return fastest({first, second}) == 1;
}

}  // namespace tf::cpu
