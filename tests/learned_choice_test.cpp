// Choices learnt over a shape's first calls (backends/cpu/measure.h): the ways run in turn, one
// per call, and the best time of each decides once every way has run kRounds times.
#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/cpu/measure.h"

using tf::cpu::LearnedChoice;

namespace {
constexpr int kRounds = LearnedChoice::kRounds;

// Feeds `times[way][round]` in the order the choice asks for the ways; returns that order.
std::vector<size_t> learn(LearnedChoice& choice, const std::vector<std::vector<double>>& times) {
  std::vector<size_t> order;
  std::vector<size_t> runs(times.size(), 0);
  for (size_t call = 0; call < kRounds * times.size(); ++call) {
    REQUIRE_FALSE(choice.learnt());
    const size_t way = choice.next(times.size());
    order.push_back(way);
    choice.record(way, times[way][runs[way]++], times.size());
  }
  return order;
}
}  // namespace

TEST_CASE("a learnt choice tries the ways in turn and keeps the one with the best time",
          "[measure]") {
  LearnedChoice choice;
  const auto order = learn(choice, {{5, 5, 5, 5, 5}, {9, 3, 9, 9, 9}, {4, 4, 4, 4, 4}});
  for (size_t call = 0; call < order.size(); ++call) CHECK(order[call] == call % 3);
  REQUIRE(choice.learnt());
  for (int call = 0; call < 4; ++call) CHECK(choice.next(3) == 1);
}

TEST_CASE("a slow spell over a few calls does not decide a learnt choice", "[measure]") {
  LearnedChoice choice;
  // Way 0 is the faster one, but the machine was busy during its first two runs.
  learn(choice, {{10, 10, 2, 2, 2}, {3, 3, 3, 3, 3}});
  REQUIRE(choice.learnt());
  CHECK(choice.next(2) == 0);
}

TEST_CASE("learning runs one way per call: no call computes its output twice", "[measure]") {
  LearnedChoice choice;
  std::mutex mutex;
  std::vector<int> runs(2, 0);
  const std::function<void()> ways[] = {[&] { ++runs[0]; }, [&] { ++runs[1]; }};
  for (int call = 0; call < 2 * kRounds; ++call) {
    tf::cpu::run_learning(choice, mutex, 2, [&](size_t way) { ways[way](); });
    CHECK(runs[0] + runs[1] == call + 1);
  }
  CHECK(runs[0] == kRounds);
  CHECK(runs[1] == kRounds);
  REQUIRE(choice.learnt());
  const int before = runs[choice.next(2)];
  tf::cpu::run_learning(choice, mutex, 2, [&](size_t way) { ways[way](); });
  CHECK(runs[choice.next(2)] == before + 1);
}

TEST_CASE("threads making a shape's first calls at once each run one way and agree on the choice",
          "[measure]") {
  LearnedChoice choice;
  std::mutex mutex;
  std::atomic<int> runs{0};
  const std::function<void()> ways[] = {[&] { ++runs; }, [&] { ++runs; }, [&] { ++runs; }};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int call = 0; call < 10; ++call)
          tf::cpu::run_learning(choice, mutex, 3, [&](size_t way) { ways[way](); });
      });
  }
  CHECK(runs == 40);  // one way per call, whatever the interleaving
  std::lock_guard guard(mutex);
  REQUIRE(choice.learnt());  // 40 timed calls are more than 3 ways x kRounds
  const size_t chosen = choice.next(3);
  CHECK(chosen < 3);
  CHECK(choice.next(3) == chosen);
}
