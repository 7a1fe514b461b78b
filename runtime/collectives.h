// Collectives' interface: a communicator of ranks and the operations data-parallel training
// needs (docs/distribute.md). What every backend shares lives in the base class: the agreement
// step before each collective (a small descriptor exchanged and compared, so a rank calling
// another collective, another shape, or skipping one is reported naming both sides), the bound
// on every wait (a dead rank is an UnavailableError within Options::timeout, never a hang), the
// abort notice a failing rank sends, MEAN, and the deterministic reduction. A backend supplies
// only the wire: MPI (backends/mpi), NCCL (backends/nccl), or the threads of one process
// (collectives_in_process.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjit/dtype.h"

namespace tf::rt::collectives {

enum class ReduceOp : int64_t { kSum = 0, kMean = 1, kMax = 2, kMin = 3 };
std::string_view reduce_op_name(ReduceOp op);

struct Options {
  // How long any wait for the other ranks may last before it raises UnavailableError.
  std::chrono::milliseconds timeout{30'000};
  // All-reduce in rank order on every rank (an all-gather, then a local reduction): the result
  // is bit-identical on every rank and in every run, at the price of size() x the traffic.
  bool deterministic = false;
};
// Options{} with the environment's overrides: TFJIT_COLLECTIVE_TIMEOUT (seconds, at least 0.001)
// and TFJIT_DETERMINISTIC_COLLECTIVES=1.
Options options_from_environment();

enum class Kind : uint8_t { kAllReduce, kBroadcast, kAllGather, kReduceScatter, kBarrier, kAbort };

// What one rank is about to do, exchanged before each collective: fixed-size, so the exchange
// itself can never mismatch.
struct Descriptor {
  uint64_t sequence = 0;  // collectives this communicator ran before this one
  int64_t count = 0;      // elements this rank contributes
  int32_t root = 0;
  Kind kind = Kind::kBarrier;
  uint8_t dtype = 0;
  uint8_t op = 0;
  char note[105] = {};  // the abort's reason (truncated)
};
static_assert(sizeof(Descriptor) == 128);
std::string describe(const Descriptor& d);  // "#12 all_reduce(float32 x 1000, sum)"

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  std::string_view backend() const { return backend_; }
  const Options& options() const { return options_; }

  // Buffers are host memory (device memory for a GPU backend), `count` elements each unless
  // said otherwise. Each call is collective: every rank makes it, in the same order, with the
  // same count, dtype and op. Each waits at most options().timeout for the other ranks to
  // arrive, then as long again for the data. After an UnavailableError the library may still
  // write the buffers of the failed call (a late rank's data): the caller must keep them alive
  // (retain_after_failure) rather than free them.
  void all_reduce(const void* in, void* out, int64_t count, DType dtype,
                  ReduceOp op);  // in may be out
  void broadcast(void* data, int64_t count, DType dtype, int root);
  // out (not overlapping in) holds size() x count: rank r's `in` at r x count.
  void all_gather(const void* in, void* out, int64_t count, DType dtype);
  // in holds size() x count; out (not overlapping in) receives the reduction of every rank's
  // block rank().
  void reduce_scatter(const void* in, void* out, int64_t count, DType dtype, ReduceOp op);
  // `timeout` replaces options().timeout (a rank writing a checkpoint may take longer).
  void barrier(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Tells the other ranks that this one failed: their current or next collective raises
  // AbortedError naming this rank and `reason`. The communicator is unusable afterwards.
  void abort(const std::string& reason) noexcept;
  // Why the communicator is unusable (empty while it works): after a timeout, a mismatch or an
  // abort, the ranks no longer agree on what comes next, so every later call raises at once.
  std::string broken() const;

 protected:
  Communicator(int rank, int size, std::string backend, Options options);

  using Clock = std::chrono::steady_clock;
  // The wire. Each call blocks until done or `deadline`, then throws UnavailableError naming
  // what it waited for (the base class adds which collective).
  //
  // Every rank sends its descriptor and receives everyone's (peers[r] = rank r's; own slot set).
  virtual void exchange_descriptors(const Descriptor& mine, Descriptor* peers,
                                    Clock::time_point deadline) = 0;
  // Every rank's `bytes` bytes gathered, in rank order, into out (size() x bytes).
  virtual void all_gather_bytes(const void* in, void* out, size_t bytes,
                                Clock::time_point deadline) = 0;
  virtual void broadcast_bytes(void* data, size_t bytes, int root, Clock::time_point deadline) = 0;
  // A library's own all-reduce / reduce-scatter for sum, max or min; false where it has none
  // for this dtype (the base class then reduces locally after an all-gather).
  virtual bool native_all_reduce(const void*, void*, int64_t, DType, ReduceOp, Clock::time_point) {
    return false;
  }
  virtual bool native_reduce_scatter(const void*, void*, int64_t, DType, ReduceOp,
                                     Clock::time_point) {
    return false;
  }

 private:
  // The agreement step, waiting until `deadline`.
  void agree(Kind kind, int64_t count, DType dtype, ReduceOp op, int root,
             Clock::time_point deadline);
  // The checks, the agreement, then transfer(deadline) with a fresh deadline.
  template <class F>
  void guarded(Kind kind, int64_t count, DType dtype, ReduceOp op, int root, F transfer,
               std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Scratch memory for the transfer in progress, uninitialised and reused by the next call; if
  // the transfer fails it is kept alive (see above) and the next call gets new memory.
  char* scratch(size_t bytes);
  std::shared_ptr<char[]> scratch_;
  size_t scratch_bytes_ = 0;
  [[noreturn]] void fail(const std::string& what, bool aborted);

  int rank_, size_;
  std::string backend_;
  Options options_;
  uint64_t sequence_ = 0;
  mutable std::mutex mu_;  // one collective at a time per communicator, in program order
  std::string broken_;
};

// Between two polls of a transfer that started polling at `since`: yields the core (ranks often
// outnumber cores, and MPI progresses only while polled), and sleeps briefly between polls only
// once the wait has lasted milliseconds (a peer that is late, not a transfer in flight).
void pause_between_polls(std::chrono::steady_clock::time_point since);

// Keeps `buffer` alive until the process ends: what a failed collective was using, which the
// library may still write.
void retain_after_failure(std::shared_ptr<const void> buffer);

// Whether an MPI launcher (mpirun, srun with PMI) started this process.
bool started_by_mpi_launcher();

// Backends register a factory under their name at load time; `create` runs one. A backend that
// cannot start (its library missing, not launched by its launcher) throws UnavailableError.
using Factory = std::unique_ptr<Communicator> (*)(const Options& options);
bool register_backend(std::string_view name, Factory factory);
std::unique_ptr<Communicator> create(std::string_view backend, const Options& options);
bool has_backend(std::string_view name);

// n communicators over n threads of this process (the in-process backend): element r is rank
// r's, to be used by one thread each.
std::vector<std::unique_ptr<Communicator>> create_in_process_group(int n, const Options& options);

// Compiled code names a communicator by a number (the collective op's `group` attribute).
int64_t register_group(std::shared_ptr<Communicator> communicator);
void unregister_group(int64_t id);
// Null if no communicator has the id.
std::shared_ptr<Communicator> group(int64_t id);

// The element-wise reduction both the base class and tests use: acc[i] = op(acc[i], x[i]) for
// kSum/kMax/kMin (bool: or, or, and); kMean's final division is `divide`.
void combine(void* acc, const void* x, int64_t count, DType dtype, ReduceOp op);
void divide(void* data, int64_t count, DType dtype, int64_t n);

}  // namespace tf::rt::collectives
