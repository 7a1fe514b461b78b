// Failure injection under mpirun (tests/distribute/failure_test.sh): every rank runs a few steps
// whose all-reduce is eager or compiled, and rank 1 fails at step 3 by the scenario's means: it
// dies, throws (eagerly; compiled, its step's code raises on a bad label), or all-reduces
// another shape.
// Each rank prints one line, "rank R: <what ended it> after S s: <message>", and exits 0 when it
// ended with a typed tf::Error (the injected one included), 1 otherwise.
//   tfjit-distribute-failure {kill|throw|mismatch}[-compiled]
#include <tfjit/tfjit.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

namespace {

const char* kind(const tf::Error& e) {
  switch (e.code()) {
    case tf::ErrorCode::kUnavailable:
      return "UnavailableError";
    case tf::ErrorCode::kAborted:
      return "AbortedError";
    case tf::ErrorCode::kInvalidArgument:
      return "InvalidArgumentError";
    case tf::ErrorCode::kFailedPrecondition:
      return "FailedPreconditionError";
    default:
      return "other tf::Error";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  const bool compiled = scenario.ends_with("-compiled");
  const std::string failure = compiled ? scenario.substr(0, scenario.size() - 9) : scenario;
  if (failure != "kill" && failure != "throw" && failure != "mismatch") {
    std::fprintf(stderr, "usage: %s {kill|throw|mismatch}[-compiled]\n", argv[0]);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  int rank = -1;
  auto report = [&](const char* what, const std::string& message) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("rank %d: %s after %.1f s: %s\n", rank, what, s, message.c_str());
    std::fflush(stdout);
  };
  try {
    tf::distribute::MultiWorkerMirroredStrategy strategy;
    rank = strategy.task_id();
    // The step also checks class labels (a label outside [0, 10) is an InvalidArgumentError,
    // raised by the compiled code itself when compiled).
    auto step = [](const tf::Tensor& x, const tf::Tensor& labels) {
      tf::Tensor loss =
          tf::nn::sparse_softmax_cross_entropy_with_logits(labels, tf::zeros({1, 10}));
      return tf::distribute::get_replica_context().all_reduce(tf::distribute::ReduceOp::SUM, x) +
             0.0f * tf::reduce_sum(loss);
    };
    auto compiled_step = tf::function(step);
    for (int i = 0; i < 6; ++i) {
      tf::Tensor x = tf::ones({1000}), labels = tf::constant({3});
      if (rank == 1 && i == 3) {
        if (failure == "kill") std::raise(SIGKILL);
        if (failure == "mismatch") x = tf::ones({999});
        if (failure == "throw") labels = tf::constant({99});
      }
      tf::Tensor y = strategy.run(
          [&](const tf::Tensor& v, const tf::Tensor& l) {
            if (rank == 1 && i == 3 && failure == "throw" && !compiled)
              throw tf::InvalidArgumentError("injected failure in the step");
            return compiled ? compiled_step(v, l) : step(v, l);
          },
          x, labels);
      if (y(0).item<float>() != static_cast<float>(strategy.num_replicas_in_sync())) {
        report("wrong value", std::to_string(y(0).item<float>()));
        return 1;
      }
    }
    report("finished", "");
    return 0;
  } catch (const tf::Error& e) {
    report(kind(e), e.what());
    return 0;
  } catch (const std::exception& e) {
    report("untyped exception", e.what());
    return 1;
  }
}
