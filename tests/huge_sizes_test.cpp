// Sizes no machine can hold (issue 18): each is a typed error naming the op, raised before
// anything is allocated or looped over; never std::bad_alloc, a hang, or LLVM aborting.
#include <functional>
#include <string>

#include "tests/helpers.h"

namespace {

constexpr int64_t kHuge = int64_t{1} << 62;

struct HugeCase {
  std::string name;
  std::function<void()> call;
};

// Runs `call`, which must raise a tf::Error whose message names `op`.
void check_refused(const std::string& op, const std::function<void()>& call) {
  INFO(op);
  try {
    call();
    FAIL("no error");
  } catch (const tf::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains(op));
  }
}

}  // namespace

TEST_CASE("impossible sizes are typed errors naming the op", "[errors][sizes]") {
  const std::vector<HugeCase> cases = {
      {"eye", [] { tf::eye(3'000'000'000); }},
      {"eye", [] { tf::eye(kHuge); }},
      {"linspace", [] { tf::linspace(0, 1, kHuge); }},
      {"range", [] { tf::range(0.0, 1e30, 1.0, tf::float32); }},
      {"range",
       [] {
         tf::one_hot(tf::constant({1, 2}), kHuge);
       }},
      {"random::uniform",
       [] {
         tf::random::uniform({kHuge, 4});
       }},
      {"split",
       [] {
         tf::split(tf::zeros({kHuge, 0}), kHuge);
       }},
      {"split",
       [] {
         tf::split(tf::zeros({4}), std::vector<int64_t>{kHuge, kHuge, kHuge, 4});
       }},
      {"unstack",
       [] {
         tf::unstack(tf::zeros({kHuge, 0}));
       }},
      {"tile", [] { tf::tile(tf::zeros({2}), {kHuge}); }},
      {"broadcast_to",
       [] {
         tf::broadcast_to(tf::zeros({1}), {kHuge, kHuge});
       }},
      {"concat",
       [] {
         tf::concat({tf::zeros({kHuge, 0}), tf::zeros({kHuge, 0})}, 0);
       }},
  };
  for (const auto& c : cases) check_refused(c.name, c.call);
  // Zero-element tensors with huge dims are fine where nothing is allocated.
  CHECK(tf::reduce_sum(tf::zeros({kHuge, 0})).item<float>() == 0.0f);
}

// A zero-element constant with a huge dim made LLVM abort the process ("SmallVector unable to
// grow"): tracing passes such a tensor as an argument, and the constant op's verifier refuses
// it in a parsed graph (tests/passes/verifier.mlir).
TEST_CASE("a captured zero-element tensor with a huge dim compiles", "[errors][sizes][function]") {
  for (int64_t dim : {int64_t{1000}, int64_t{1} << 33, kHuge}) {
    const auto empty = tf::zeros({dim, 0});
    auto f = tf::function([&](const tf::Tensor& x) { return x + tf::reduce_sum(empty); });
    CHECK(f(tf::constant(1.5f)).item<float>() == 1.5f);
  }
}

TEST_CASE("unstack with an unknown dim while tracing raises instead of returning nothing",
          "[errors][dynamic]") {
  auto f = tf::function([](const tf::Tensor& x) { return tf::unstack(x)[0]; },
                        {tf::TensorSpec({tf::unknown, 2}, tf::float32)});
  CHECK_THROWS_AS(f(tf::zeros({3, 2})), tf::InvalidArgumentError);
}

// Found by tfjit-fuzz: loops over the non-zero dims of an empty tensor spun for days.
TEST_CASE("empty tensors with huge dims are never iterated over", "[errors][sizes]") {
  const auto empty = tf::zeros({int64_t{1} << 54, 0, 0});
  CHECK(tf::reduce_min(empty, {1}).shape() == tf::TensorShape{int64_t{1} << 54, 0});
  // The eager gradient of a broadcast sums an empty g straight to the identity.
  auto y = tf::zeros({3, 1});
  tf::GradientTape tape;
  tape.watch(y);
  auto z = tf::zeros({int64_t{1} << 55, 1, 3, 0}) - y;  // dims must still multiply within int64
  auto g = tape.gradient(tf::reduce_sum(z), y);
  CHECK(g.to_vector<float>() == std::vector<float>{0, 0, 0});
  // Under unknown dims the compiled loops would run: such a call is refused.
  auto f = tf::function([](const tf::Tensor& x) { return tf::cumsum(x); },
                        {tf::TensorSpec({tf::unknown, tf::unknown, tf::unknown}, tf::float32)});
  CHECK_THROWS_AS(f(tf::zeros({int64_t{1} << 50, 2, 0})), tf::InvalidArgumentError);
  CHECK(f(tf::zeros({2, 3, 0})).shape() == tf::TensorShape{2, 3, 0});
}

TEST_CASE("squeeze under unknown dims squeezes named axes only", "[errors][dynamic]") {
  const tf::TensorSpec spec({tf::unknown, 3}, tf::float32);
  auto named = tf::function([](const tf::Tensor& x) { return tf::squeeze(x, {0}); }, {spec});
  CHECK(named(tf::zeros({1, 3})).shape() == tf::TensorShape{3});
  CHECK_THROWS_AS(named(tf::zeros({2, 3})), tf::InvalidArgumentError);  // not 1 at the call
  auto empty = tf::function([](const tf::Tensor& x) { return tf::squeeze(x, {0}); },
                            {tf::TensorSpec({tf::unknown, tf::unknown}, tf::float32)});
  CHECK(empty(tf::zeros({1, 0})).shape() == tf::TensorShape{0});
  CHECK_THROWS_AS(empty(tf::zeros({2, 0})), tf::InvalidArgumentError);  // no reshape sees it
  auto every = tf::function([](const tf::Tensor& x) { return tf::squeeze(x); }, {spec});
  CHECK_THROWS_AS(every(tf::zeros({1, 3})), tf::InvalidArgumentError);
}

// Found by tfjit-fuzz: an intermediate the machine cannot hold made compiled code write through
// a null pointer. The allocation failure is ResourceExhaustedError, as eagerly, and the function
// keeps working. (Here a scan's 1 TiB result, which nothing can fuse away.)
TEST_CASE("a compiled intermediate too large to allocate is ResourceExhaustedError",
          "[errors][sizes][function]") {
  auto f = tf::function([](const tf::Tensor& row, const tf::Tensor& rows) {
    return tf::reduce_sum(tf::cumsum(tf::broadcast_to(row, {rows.shape()[0], 4}), 0));
  });
  const auto row = tf::constant({1.0f, 2.0f, 3.0f, 4.0f});
  CHECK_THROWS_WITH(f(row, tf::zeros({int64_t{1} << 36, 0})),
                    Catch::Contains("for an intermediate of a compiled function"));
  CHECK(f(row, tf::zeros({2, 0})).item<float>() == 30.0f);  // rows 1..4 summed: 10 + 20
  CHECK_THROWS_AS(f(row, tf::zeros({int64_t{1} << 36, 0})), tf::ResourceExhaustedError);
}

// Found by tfjit-fuzz: an empty product of 2^57 batches called the GEMM kernel 2^57 times.
TEST_CASE("matmul of empty batches returns at once", "[errors][sizes][matmul]") {
  auto x = tf::zeros({int64_t{1} << 54, 4, 2, 5, 0}, tf::int16);
  CHECK(tf::matmul(x, x, true, false).shape() == tf::TensorShape{int64_t{1} << 54, 4, 2, 0, 0});
  auto f = tf::function([](const tf::Tensor& t) { return tf::matmul(t, t, true, false); });
  CHECK(f(x).shape() == tf::TensorShape{int64_t{1} << 54, 4, 2, 0, 0});
}
