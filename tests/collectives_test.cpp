// The collectives' shared semantics (runtime/collectives.h) on the in-process backend: values of
// every op against float64 references for each dtype, rank count and size, the agreement step
// (mismatches named on both sides), timeouts naming the silent rank, and aborts. The same base
// class runs the MPI backend, tested under mpirun by tests/distribute.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "runtime/collectives.h"
#include "tfjit/errors.h"

namespace coll = tf::rt::collectives;
using tf::DType;

namespace {

// Runs body(rank, communicator) on one thread per rank; returns each rank's exception (or null).
std::vector<std::exception_ptr> on_ranks(
    int n, const coll::Options& options,
    const std::function<void(int, coll::Communicator&)>& body) {
  auto group = coll::create_in_process_group(n, options);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        body(r, *group[static_cast<size_t>(r)]);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

// Rank r's i-th input: small integers (exact in every dtype; negative ones too where signed),
// differing per rank.
double input(int r, int64_t i, DType dtype) {
  return static_cast<double>((i * 7 + r * 3) % 11) - (dtype == tf::uint8 ? 0 : 4);
}

// Storage of `values` as `dtype`, and back.
std::vector<char> encode(const std::vector<double>& values, DType dtype) {
  std::vector<char> out(values.size() * tf::dtype_size(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    void* at = out.data() + i * tf::dtype_size(dtype);
    switch (dtype) {
      case tf::float16:
        *static_cast<tf::float16_t*>(at) = tf::float16_t(static_cast<float>(values[i]));
        break;
      case tf::bfloat16:
        *static_cast<tf::bfloat16_t*>(at) = tf::bfloat16_t(static_cast<float>(values[i]));
        break;
      case tf::float32:
        *static_cast<float*>(at) = static_cast<float>(values[i]);
        break;
      case tf::float64:
        *static_cast<double*>(at) = values[i];
        break;
      case tf::int8:
        *static_cast<int8_t*>(at) = static_cast<int8_t>(values[i]);
        break;
      case tf::int16:
        *static_cast<int16_t*>(at) = static_cast<int16_t>(values[i]);
        break;
      case tf::int32:
        *static_cast<int32_t*>(at) = static_cast<int32_t>(values[i]);
        break;
      case tf::int64:
        *static_cast<int64_t*>(at) = static_cast<int64_t>(values[i]);
        break;
      case tf::uint8:
        *static_cast<uint8_t*>(at) = static_cast<uint8_t>(values[i]);
        break;
      default:
        FAIL("dtype not covered");
    }
  }
  return out;
}
std::vector<double> decode(const std::vector<char>& bytes, DType dtype) {
  std::vector<double> out(bytes.size() / tf::dtype_size(dtype));
  for (size_t i = 0; i < out.size(); ++i) {
    const void* at = bytes.data() + i * tf::dtype_size(dtype);
    switch (dtype) {
      case tf::float16:
        out[i] = static_cast<float>(*static_cast<const tf::float16_t*>(at));
        break;
      case tf::bfloat16:
        out[i] = static_cast<float>(*static_cast<const tf::bfloat16_t*>(at));
        break;
      case tf::float32:
        out[i] = *static_cast<const float*>(at);
        break;
      case tf::float64:
        out[i] = *static_cast<const double*>(at);
        break;
      case tf::int8:
        out[i] = *static_cast<const int8_t*>(at);
        break;
      case tf::int16:
        out[i] = *static_cast<const int16_t*>(at);
        break;
      case tf::int32:
        out[i] = *static_cast<const int32_t*>(at);
        break;
      case tf::int64:
        out[i] = static_cast<double>(*static_cast<const int64_t*>(at));
        break;
      case tf::uint8:
        out[i] = *static_cast<const uint8_t*>(at);
        break;
      default:
        FAIL("dtype not covered");
    }
  }
  return out;
}

double reference(coll::ReduceOp op, int n, int64_t i, DType dtype) {
  double acc = input(0, i, dtype);
  for (int r = 1; r < n; ++r) {
    const double x = input(r, i, dtype);
    acc = op == coll::ReduceOp::kMax   ? std::max(acc, x)
          : op == coll::ReduceOp::kMin ? std::min(acc, x)
                                       : acc + x;
  }
  if (op != coll::ReduceOp::kMean) return acc;
  return tf::is_integer(dtype) ? std::trunc(acc / n) : acc / n;  // integer division truncates
}

const std::vector<DType> kDTypes = {tf::float16, tf::bfloat16, tf::float32, tf::float64, tf::int8,
                                    tf::int16,   tf::int32,    tf::int64,   tf::uint8};
const std::vector<coll::ReduceOp> kOps = {coll::ReduceOp::kSum, coll::ReduceOp::kMean,
                                          coll::ReduceOp::kMax, coll::ReduceOp::kMin};

}  // namespace

TEST_CASE("all_reduce matches a float64 reference for every op dtype rank count and size") {
  // (The in-process backend reduces in rank order whatever `deterministic` says; MPI's library
  // reduction is tested under mpirun.)
  for (int n : {1, 2, 4})
    for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{4099}})
      for (DType dtype : kDTypes)
        for (coll::ReduceOp op : kOps) {
          std::vector<std::vector<double>> got(static_cast<size_t>(n));
          auto errors =
              on_ranks(n, {std::chrono::seconds(20), false}, [&](int r, coll::Communicator& c) {
                std::vector<double> mine(static_cast<size_t>(count));
                for (int64_t i = 0; i < count; ++i)
                  mine[static_cast<size_t>(i)] = input(r, i, dtype);
                auto in = encode(mine, dtype);
                std::vector<char> out(in.size());
                c.all_reduce(in.data(), out.data(), count, dtype, op);
                got[static_cast<size_t>(r)] = decode(out, dtype);
              });
          for (auto& e : errors)
            if (e) std::rethrow_exception(e);
          INFO(tf::dtype_name(dtype)
               << " " << coll::reduce_op_name(op) << " ranks " << n << " count " << count);
          for (int r = 0; r < n; ++r)
            for (int64_t i = 0; i < count; ++i)
              REQUIRE(got[static_cast<size_t>(r)][static_cast<size_t>(i)] ==
                      Approx(reference(op, n, i, dtype)).margin(0.02));
        }
}

TEST_CASE("all_reduce works in place") {
  auto errors = on_ranks(3, {}, [](int r, coll::Communicator& c) {
    std::vector<float> x{1.0f * r, 2.0f};
    c.all_reduce(x.data(), x.data(), 2, tf::float32, coll::ReduceOp::kSum);
    CHECK(x == std::vector<float>{3.0f, 6.0f});
  });
  for (auto& e : errors) CHECK_FALSE(e);
}

TEST_CASE("broadcast all_gather reduce_scatter and barrier give each rank its share") {
  for (int n : {1, 2, 4}) {
    auto errors = on_ranks(n, {std::chrono::seconds(20), false}, [n](int r, coll::Communicator& c) {
      std::vector<int32_t> b(5, r == n - 1 ? 42 : r);
      c.broadcast(b.data(), 5, tf::int32, n - 1);
      CHECK(b == std::vector<int32_t>(5, 42));

      std::vector<double> mine{r + 0.5, -r * 1.0};
      std::vector<double> all(static_cast<size_t>(2 * n));
      c.all_gather(mine.data(), all.data(), 2, tf::float64);
      for (int q = 0; q < n; ++q) {
        CHECK(all[static_cast<size_t>(2 * q)] == q + 0.5);
        CHECK(all[static_cast<size_t>(2 * q + 1)] == -q * 1.0);
      }

      // Every rank sends block q = [q, q + 1, q + 2] + r; rank q receives the block sums.
      std::vector<float> in(static_cast<size_t>(3 * n)), out(3);
      for (int q = 0; q < n; ++q)
        for (int k = 0; k < 3; ++k)
          in[static_cast<size_t>(3 * q + k)] = static_cast<float>(q + k + r);
      c.reduce_scatter(in.data(), out.data(), 3, tf::float32, coll::ReduceOp::kSum);
      const float ranks_sum = static_cast<float>(n * (n - 1) / 2);
      for (int k = 0; k < 3; ++k)
        CHECK(out[static_cast<size_t>(k)] == static_cast<float>(n * (r + k)) + ranks_sum);
      c.barrier();
    });
    for (auto& e : errors) CHECK_FALSE(e);
  }
}

TEST_CASE("a mismatched collective raises InvalidArgumentError on every rank naming both calls") {
  auto errors = on_ranks(2, {std::chrono::seconds(10), false}, [](int r, coll::Communicator& c) {
    std::vector<float> x(10);
    c.all_reduce(x.data(), x.data(), r == 0 ? 10 : 9, tf::float32, coll::ReduceOp::kSum);
  });
  for (int r = 0; r < 2; ++r) {
    REQUIRE(errors[static_cast<size_t>(r)]);
    try {
      std::rethrow_exception(errors[static_cast<size_t>(r)]);
    } catch (const tf::InvalidArgumentError& e) {
      CHECK_THAT(e.what(), Catch::Contains("all_reduce(float32 x 10, sum)") &&
                               Catch::Contains("all_reduce(float32 x 9, sum)"));
    }
  }
}

TEST_CASE("a rank that skips a collective is reported as the calls that met") {
  auto errors = on_ranks(2, {std::chrono::seconds(10), false}, [](int r, coll::Communicator& c) {
    float x = 1;
    if (r == 0) c.all_reduce(&x, &x, 1, tf::float32, coll::ReduceOp::kSum);
    c.barrier();
  });
  for (auto& e : errors) {
    REQUIRE(e);
    CHECK_THROWS_WITH(std::rethrow_exception(e),
                      Catch::Contains("rank 0") &&
                          Catch::Contains("#0 all_reduce(float32 x 1, sum)") &&
                          Catch::Contains("#0 barrier()"));
  }
}

TEST_CASE("a silent rank makes the others raise UnavailableError within the timeout naming it") {
  const auto start = std::chrono::steady_clock::now();
  auto errors =
      on_ranks(3, {std::chrono::milliseconds(300), false}, [](int r, coll::Communicator& c) {
        if (r == 2) return;  // never arrives
        float x = 1;
        c.all_reduce(&x, &x, 1, tf::float32, coll::ReduceOp::kSum);
      });
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  for (int r = 0; r < 2; ++r) {
    REQUIRE(errors[static_cast<size_t>(r)]);
    CHECK_THROWS_AS(std::rethrow_exception(errors[static_cast<size_t>(r)]), tf::UnavailableError);
    CHECK_THROWS_WITH(std::rethrow_exception(errors[static_cast<size_t>(r)]),
                      Catch::Contains("no answer from rank(s) 2"));
  }
}

TEST_CASE(
    "an aborting rank makes the others raise AbortedError with its reason and the communicator "
    "then refuses work") {
  auto errors = on_ranks(2, {std::chrono::seconds(10), false}, [](int r, coll::Communicator& c) {
    if (r == 1) {
      c.abort("out of data");
      return;
    }
    float x = 1;
    try {
      c.all_reduce(&x, &x, 1, tf::float32, coll::ReduceOp::kSum);
      FAIL("the all-reduce should have raised");
    } catch (const tf::AbortedError& e) {
      CHECK_THAT(e.what(), Catch::Contains("rank 1 failed") && Catch::Contains("out of data"));
    }
    CHECK_THROWS_AS(c.barrier(), tf::FailedPreconditionError);
  });
  for (auto& e : errors) CHECK_FALSE(e);
}

TEST_CASE("collectives reject what cannot be reduced") {
  auto group = coll::create_in_process_group(1, {});
  bool b = true;
  CHECK_THROWS_AS(group[0]->all_reduce(&b, &b, 1, tf::bool_, coll::ReduceOp::kMean),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(group[0]->all_reduce(&b, &b, -1, tf::float32, coll::ReduceOp::kSum),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(group[0]->broadcast(&b, 1, tf::bool_, 1), tf::InvalidArgumentError);
  CHECK_THROWS_AS(coll::create_in_process_group(0, {}), tf::InvalidArgumentError);
}

TEST_CASE("random collective sequences with a diverging rank end in typed errors and never hang") {
  std::mt19937_64 rng(1);
  const coll::ReduceOp ops[] = {coll::ReduceOp::kSum, coll::ReduceOp::kMean, coll::ReduceOp::kMax,
                                coll::ReduceOp::kMin};
  for (int c = 0; c < 120; ++c) {
    struct Step {
      int kind;  // 0 all_reduce, 1 broadcast, 2 all_gather, 3 reduce_scatter, 4 barrier
      int64_t count;
      DType dtype;
      coll::ReduceOp op;
      int root;
    };
    const int n = 2 + static_cast<int>(rng() % 3);
    std::vector<Step> plan(1 + rng() % 6);
    for (auto& s : plan)
      s = {static_cast<int>(rng() % 5), static_cast<int64_t>(rng() % 40),
           kDTypes[rng() % kDTypes.size()], ops[rng() % 4],
           static_cast<int>(rng() % static_cast<unsigned>(n))};
    const int bad_rank = static_cast<int>(rng() % static_cast<unsigned>(n));
    const size_t bad_step = rng() % (plan.size() + 1);  // == size: every rank follows the plan
    const int how = static_cast<int>(rng() % 5);        // count, dtype, op, kind, or leave
    INFO("case " << c << ": " << n << " ranks, rank " << bad_rank << " diverges at step "
                 << bad_step << " by " << how);
    auto errors =
        on_ranks(n, {std::chrono::milliseconds(200), false}, [&](int r, coll::Communicator& comm) {
          for (size_t i = 0; i < plan.size(); ++i) {
            Step s = plan[i];
            if (r == bad_rank && i == bad_step) {
              if (how == 4) return;  // stops taking part
              if (how == 0) s.count += 1;
              if (how == 1) s.dtype = s.dtype == tf::float32 ? tf::int32 : tf::float32;
              if (how == 2)
                s.op = s.op == coll::ReduceOp::kSum ? coll::ReduceOp::kMax : coll::ReduceOp::kSum;
              if (how == 3) s.kind = (s.kind + 1) % 5;
            }
            std::vector<char> in(static_cast<size_t>(s.count * n) * tf::dtype_size(s.dtype) + 1);
            std::vector<char> out(in.size());
            switch (s.kind) {
              case 0:
                comm.all_reduce(in.data(), out.data(), s.count, s.dtype, s.op);
                break;
              case 1:
                comm.broadcast(in.data(), s.count, s.dtype, s.root);
                break;
              case 2:
                comm.all_gather(in.data(), out.data(), s.count, s.dtype);
                break;
              case 3:
                comm.reduce_scatter(in.data(), out.data(), s.count, s.dtype, s.op);
                break;
              default:
                comm.barrier();
            }
          }
        });
    // A divergence that changes nothing (a count of 0 + 1 on a barrier...) may pass; otherwise
    // every rank that took part ends with a typed error, and only typed errors occur.
    bool any = false;
    for (int r = 0; r < n; ++r) {
      if (!errors[static_cast<size_t>(r)]) continue;
      any = true;
      CHECK_THROWS_AS(std::rethrow_exception(errors[static_cast<size_t>(r)]), tf::Error);
    }
    if (bad_step == plan.size()) CHECK_FALSE(any);
    if (any)
      for (int r = 0; r < n; ++r)
        if (!(r == bad_rank && how == 4)) CHECK(errors[static_cast<size_t>(r)]);
  }
}
