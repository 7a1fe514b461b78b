// Choices by measurement: where ways of computing the same output win on different shapes (a
// fused epilogue or a separate pass; a GEMM's operands as stored or copied transposed), a shape's
// first calls try the ways in turn, each call running one way once, timed, and the fastest is then
// kept. Learning costs no extra work, only the slower ways' time on those first calls: timing
// every way six times within the first call made a transformer's first training step a second
// (two at one thread) slower than the next. The ways round differently in the last bits, so the
// first calls of a shape may give other bits than the later ones, and the choice may differ
// between runs of a program.
#pragma once

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <vector>

namespace tf::cpu {

// Shapes up to this many flops are learnt; larger ones keep their default way, whose gain or loss
// matters least next to the work.
inline constexpr double kMeasuredFlops = 1e9;

// One shape's choice among its ways, learnt over kRounds calls of each, in turn (0, 1, ..., 0,
// 1, ...): the best time of each way decides, so a slow spell of a shared machine, which
// slows a few consecutive calls, does not decide alone.
class LearnedChoice {
 public:
  static constexpr int kRounds = 5;

  bool learnt() const { return chosen_ >= 0; }
  // The way the next call runs: the chosen one, or the next in turn.
  size_t next(size_t ways) { return learnt() ? static_cast<size_t>(chosen_) : turn_++ % ways; }
  // A timed call of `way`; the last of the rounds decides.
  void record(size_t way, double seconds, size_t ways) {
    if (learnt()) return;  // decided by another thread's call meanwhile
    best_.resize(ways, std::numeric_limits<double>::infinity());
    best_[way] = std::min(best_[way], seconds);
    if (++recorded_ < kRounds * ways) return;
    size_t fastest = 0;
    for (size_t i = 1; i < ways; ++i)
      if (best_[i] < best_[fastest]) fastest = i;
    chosen_ = static_cast<int>(fastest);
  }

 private:
  int chosen_ = -1;
  size_t turn_ = 0, recorded_ = 0;
  std::vector<double> best_;
};

// Runs one of a shape's `ways` ways, `run_way(i)` running the i-th, for the shape whose choice is
// `choice` (guarded by `mutex`, which is not held while the way runs); timed while the choice is
// being learnt. A template, so that a learnt shape's call allocates nothing.
template <class RunWay>
void run_learning(LearnedChoice& choice, std::mutex& mutex, size_t ways, RunWay&& run_way) {
  size_t way;
  bool learning;
  {
    std::lock_guard guard(mutex);
    learning = !choice.learnt();
    way = choice.next(ways);
  }
  if (!learning) return run_way(way);
  const auto start = std::chrono::steady_clock::now();
  run_way(way);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard guard(mutex);
  choice.record(way, seconds, ways);
}

}  // namespace tf::cpu
