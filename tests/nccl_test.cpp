// The NCCL collectives backend (backends/nccl) as far as it runs without GPUs: it is registered,
// and where it cannot start (no GPU, no NCCL, not under mpirun) creating it raises
// UnavailableError saying why. Its data path needs two GPUs or more under mpirun; the hidden
// [.gpu_collectives] case checks one rank's start and teardown on a GPU:
//   mpirun -np 1 tfjit-tests "[.gpu_collectives]"
#include <catch2/catch.hpp>

#include <tfjit/tfjit.h>

#include <cstdlib>
#include <vector>

#include "runtime/collectives.h"
#include "runtime/gpu.h"
#include "tfjit/errors.h"

namespace coll = tf::rt::collectives;

namespace {

bool under_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

// The message of the UnavailableError that `f` raises (any other exception fails the test).
template <class F>
std::string unavailable_message(F f) {
  try {
    f();
  } catch (const tf::UnavailableError& e) {
    return e.what();
  }
  FAIL("no UnavailableError was raised");
  return "";
}

}  // namespace

TEST_CASE("the nccl collectives backend is registered") { CHECK(coll::has_backend("nccl")); }

TEST_CASE("creating an nccl communicator where it cannot run raises UnavailableError saying why") {
  if (tf::rt::gpu::device_count() == 0) {
    // The reason the GPU runtime gives is quoted, so the user sees what to fix.
    const std::string reason = tf::rt::gpu::unavailable_reason();
    REQUIRE_FALSE(reason.empty());
    CHECK_THAT(
        unavailable_message([] { coll::create("nccl", {}); }),
        Catch::Matchers::Contains("NCCL backend: no GPU") && Catch::Matchers::Contains(reason));
  } else if (!under_mpirun()) {
    // A GPU, but no mpirun (or no NCCL): still a clear refusal, never a hang.
    CHECK_THAT(
        unavailable_message([] { coll::create("nccl", {}); }),
        Catch::Matchers::Contains("NCCL backend: ") &&
            (Catch::Matchers::Contains("mpirun") || Catch::Matchers::Contains("cannot load NCCL")));
  }
}

TEST_CASE("MultiWorkerMirroredStrategy on nccl refuses to start without a GPU") {
  if (tf::rt::gpu::device_count() > 0) return;
  tf::distribute::CommunicationOptions options;
  options.implementation = "nccl";
  CHECK_THAT(unavailable_message([&] { tf::distribute::MultiWorkerMirroredStrategy s(options); }),
             Catch::Matchers::Contains("NCCL backend: no GPU"));
}

// Hidden, for a GPU machine (a name pattern such as "*nccl*" still selects it: elsewhere it says
// why it does nothing). One rank: NCCL loads, rank 0's unique id travels through MPI,
// ncclCommInitRank and ncclCommDestroy run; a one-rank group's collectives are the base class's
// copies, so the data path needs two GPUs.
TEST_CASE("one rank under mpirun starts and tears down the NCCL backend on a GPU",
          "[.gpu_collectives]") {
  if (tf::rt::gpu::device_count() == 0 || !under_mpirun()) {
    WARN("skipped: needs a GPU and mpirun (mpirun -np 1 tfjit-tests \"[.gpu_collectives]\")");
    return;
  }
  {
    auto c = coll::create("nccl", {});
    CHECK(c->backend() == "NCCL");
    CHECK(c->rank() == 0);
    CHECK(c->size() == 1);
    std::vector<float> in{1, 2, 3}, out(3);
    c->all_reduce(in.data(), out.data(), 3, tf::float32, coll::ReduceOp::kMean);
    CHECK(out == in);
    c->barrier();
    CHECK(c->broken().empty());
  }
  tf::distribute::CommunicationOptions options;
  options.implementation = "nccl";
  tf::distribute::MultiWorkerMirroredStrategy strategy(options);
  CHECK(strategy.num_replicas_in_sync() == 1);
  tf::Tensor x = tf::constant(std::vector<float>{1, 2}, tf::TensorShape({2}));
  CHECK(tf::reduce_max(tf::abs(strategy.reduce(tf::distribute::ReduceOp::SUM, x) - x))
            .item<float>() == 0);
}
