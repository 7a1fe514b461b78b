// The NCCL backend: collectives between the processes `mpirun` started, one GPU each, on NCCL
// loaded at run time. MPI does what NCCL cannot: it hands every rank rank 0's ncclUniqueId and
// carries the agreement step's descriptors (host memory); NCCL moves the data on the GPU's
// stream. Every transfer is enqueued, then polled against the deadline (runtime/collectives.h):
// on a timeout or an asynchronous NCCL error the NCCL communicator is aborted, so a dead or stuck
// rank is an UnavailableError, not a hang.
//
// Buffers may be device memory of this rank's GPU, used in place, or host memory, staged
// through device memory: the callers today (tf::distribute, compiled CPU code) pass host memory,
// and the base class's own steps (MEAN's division, the copy of a one-rank group, the local
// reduction of dtypes NCCL lacks and of deterministic mode) read host memory.
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/nccl/nccl_abi.h"
#include "runtime/collectives.h"
#include "runtime/gpu.h"
#include "tfjit/errors.h"

namespace tf::nccl {

namespace {

using rt::collectives::Communicator;
using rt::collectives::Descriptor;
using rt::collectives::Options;
using rt::collectives::ReduceOp;
using Clock = std::chrono::steady_clock;

struct Library {
  using Result = abi::Result;
  using DataType = abi::DataType;
  using RedOp = abi::RedOp;
  using UniqueId = abi::UniqueId;
  using Comm = abi::Comm;
  using Stream = abi::Stream;
#define TFJIT_X(name, R, params) R(*name) params = nullptr;
  TFJIT_NCCL_FUNCTIONS(TFJIT_X)
#undef TFJIT_X
  int version = 0;

  std::string error(abi::Result code) const {
    const char* text = GetErrorString(code);
    return text ? text : "NCCL error " + std::to_string(static_cast<int>(code));
  }
};

std::string version_name(int code) {
  // NCCL_VERSION: major * 1000 + minor * 100 + patch up to 2.8, major * 10000 + ... from 2.9.
  const int major = code >= 10000 ? code / 10000 : code / 1000;
  const int minor = code >= 10000 ? code / 100 % 100 : code / 100 % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(code % 100);
}

// Loaded once per process and never closed: communicators may outlive any one user.
class Loader {
 public:
  static const Library& get() {
    static Loader loader;
    if (!loader.failure_.empty()) throw UnavailableError(loader.failure_);
    return loader.lib_;
  }

 private:
  Loader() {
    std::vector<std::string> names;
    if (const char* path = std::getenv("TFJIT_NCCL_LIBRARY"); path && *path) names.push_back(path);
    names.insert(names.end(), {"/usr/local/cuda/lib64/libnccl.so.2", "libnccl.so.2"});
    void* handle = nullptr;
    std::string tried;
    for (const auto& name : names) {
      if ((handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
      const char* error = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (error ? error : name);
    }
    if (!handle) {
      failure_ = "NCCL backend: cannot load NCCL (" + tried +
                 "); install libnccl2 or set TFJIT_NCCL_LIBRARY";
      return;
    }
    bool ok = true;
#define TFJIT_X(name, R, params) \
  ok = ok && (lib_.name = reinterpret_cast<decltype(lib_.name)>(dlsym(handle, "nccl" #name)));
    TFJIT_NCCL_FUNCTIONS(TFJIT_X)
#undef TFJIT_X
    if (!ok || lib_.GetVersion(&lib_.version) != abi::kSuccess) {
      failure_ = "NCCL backend: the loaded library is not NCCL 2 (a symbol is missing)";
      return;
    }
    if (lib_.version < abi::kMinVersion)
      failure_ = "NCCL backend: NCCL " + version_name(lib_.version) +
                 " is older than 2.10, the oldest this backend supports";
  }

  Library lib_;
  std::string failure_;
};

// Open MPI's rank and rank count on this node, when it says (else the group's: one node).
int env_int(const char* name, int otherwise) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : otherwise;
}

// How NCCL reduces a tfjit dtype: its type, and the element count scaled for complex64 (two
// float32s: the base class allows only its sum). bool is uint8 0/1, where max is or and min is
// and (the base class's sum of bools is or). int16 has no NCCL type.
struct Wire {
  abi::DataType type;
  int64_t scale = 1;
  bool ok = true;
};
Wire wire(DType dtype) {
  switch (dtype) {
    case float16:
      return {abi::kFloat16};
    case bfloat16:
      return {abi::kBfloat16};
    case float32:
      return {abi::kFloat32};
    case float64:
      return {abi::kFloat64};
    case int8:
      return {abi::kInt8};
    case int32:
      return {abi::kInt32};
    case int64:
      return {abi::kInt64};
    case uint8:
    case bool_:
      return {abi::kUint8};
    case complex64:
      return {abi::kFloat32, 2};
    default:
      return {abi::kUint8, 1, false};
  }
}
abi::RedOp wire_op(DType dtype, ReduceOp op) {
  if (op == ReduceOp::kMin) return abi::kMin;
  return op == ReduceOp::kMax || dtype == bool_ ? abi::kMax : abi::kSum;
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(const Library& lib, std::unique_ptr<Communicator> mpi, abi::Comm comm,
                   int ordinal, const Options& options)
      : Communicator(mpi->rank(), mpi->size(), "NCCL", options),
        lib_(lib),
        mpi_(std::move(mpi)),
        comm_(comm),
        ordinal_(ordinal) {}
  ~NcclCommunicator() override {
    if (!comm_) return;
    try {
      rt::gpu::stream(ordinal_);  // NCCL's CUDA calls need this GPU's context current
    } catch (const Error&) {
    }
    // Destroying waits for the communicator's work; a broken one may have work that never ends.
    if (broken().empty())
      lib_.CommDestroy(comm_);
    else
      lib_.CommAbort(comm_);
  }

 protected:
  // The descriptors are host memory, small and latency-bound: MPI carries them. The MPI
  // communicator's agreement step checks these exchanges too; they can only agree, as each of
  // ours is exactly one all-gather of one descriptor there. (Its own deadline starts with the
  // exchange, a little after ours.)
  void exchange_descriptors(const Descriptor& mine, Descriptor* peers, Clock::time_point) override {
    mpi_->all_gather(&mine, peers, sizeof(Descriptor), uint8);
  }

  void all_gather_bytes(const void* in, void* out, size_t bytes,
                        Clock::time_point deadline) override {
    const size_t block = bytes * static_cast<size_t>(rank());
    // Staged in place: this rank's block at its offset in the gathered buffer.
    run(in, bytes, block, out, bytes * static_cast<size_t>(size()), 0, deadline, "all-gather",
        [&](const void* from, void* to, abi::Stream s) {
          return lib_.AllGather(from, to, bytes, abi::kUint8, comm_, s);
        });
  }

  void broadcast_bytes(void* data, size_t bytes, int root, Clock::time_point deadline) override {
    // Only the root's bytes matter going in.
    run(data, rank() == root ? bytes : 0, 0, data, bytes, 0, deadline, "broadcast",
        [&](const void* from, void* to, abi::Stream s) {
          return lib_.Broadcast(from, to, bytes, abi::kUint8, root, comm_, s);
        });
  }

  bool native_all_reduce(const void* in, void* out, int64_t count, DType dtype, ReduceOp op,
                         Clock::time_point deadline) override {
    const Wire w = wire(dtype);
    if (!w.ok) return false;
    const size_t bytes = static_cast<size_t>(count) * dtype_size(dtype);
    run(in, bytes, 0, out, bytes, 0, deadline, "all-reduce",
        [&](const void* from, void* to, abi::Stream s) {
          return lib_.AllReduce(from, to, static_cast<size_t>(count * w.scale), w.type,
                                wire_op(dtype, op), comm_, s);
        });
    return true;
  }

  bool native_reduce_scatter(const void* in, void* out, int64_t count, DType dtype, ReduceOp op,
                             Clock::time_point deadline) override {
    const Wire w = wire(dtype);
    if (!w.ok) return false;
    const size_t bytes = static_cast<size_t>(count) * dtype_size(dtype);
    // Staged in place: the result is this rank's block of the input.
    run(in, bytes * static_cast<size_t>(size()), 0, out, bytes, bytes * static_cast<size_t>(rank()),
        deadline, "reduce-scatter", [&](const void* from, void* to, abi::Stream s) {
          return lib_.ReduceScatter(from, to, static_cast<size_t>(count * w.scale), w.type,
                                    wire_op(dtype, op), comm_, s);
        });
    return true;
  }

 private:
  // Runs `enqueue(from, to, stream)` and waits for it. With device memory on both sides, from
  // and to are `in` and `out`; otherwise a device buffer as large as the bigger side is filled
  // with `in` (in_bytes) at in_at, the collective runs in place there, and `out` (out_bytes)
  // is read from out_at.
  template <class Enqueue>
  void run(const void* in, size_t in_bytes, size_t in_at, void* out, size_t out_bytes,
           size_t out_at, Clock::time_point deadline, const char* what, Enqueue enqueue) {
    auto stream = static_cast<abi::Stream>(rt::gpu::stream(ordinal_));
    const bool in_device = !in_bytes || rt::gpu::is_device_memory(in);
    if (in_device && rt::gpu::is_device_memory(out)) {
      check(enqueue(in, out, stream), what);
      wait(deadline, what);
      return;
    }
    const size_t scratch_bytes = std::max(in_at + in_bytes, out_at + out_bytes);
    // Returned to the allocator at once even after a timeout: its blocks are reused in the
    // stream's order, after the aborted collective.
    std::unique_ptr<char, Release> scratch(
        static_cast<char*>(rt::gpu::allocate(ordinal_, scratch_bytes)), Release{ordinal_});
    char* at = scratch.get();
    if (in_bytes) {
      if (in_device)
        rt::gpu::copy_on_device(ordinal_, at + in_at, in, in_bytes);
      else
        rt::gpu::copy_to_device(ordinal_, at + in_at, in, in_bytes);
    }
    check(enqueue(at + in_at, at + out_at, stream), what);
    wait(deadline, what);
    if (rt::gpu::is_device_memory(out))
      rt::gpu::copy_on_device(ordinal_, out, at + out_at, out_bytes);
    else
      rt::gpu::copy_to_host(ordinal_, out, at + out_at, out_bytes);
  }

  struct Release {
    int ordinal;
    void operator()(char* p) const { rt::gpu::deallocate(ordinal, p); }
  };

  // Until the stream has finished the collective (and whatever was enqueued before it),
  // yielding the core between tries; an NCCL error reported meanwhile, a failed CUDA kernel or
  // the deadline abort the NCCL communicator (its kernels then return) and raise
  // UnavailableError, which makes this communicator unusable (runtime/collectives.h).
  void wait(Clock::time_point deadline, const char* what) {
    for (const auto started = Clock::now();;) {
      bool done = false;
      try {
        done = rt::gpu::stream_done(ordinal_);
      } catch (const Error& e) {
        fail(std::string(what) + " failed on GPU:" + std::to_string(ordinal_) + ": " + e.what());
      }
      abi::Result async = abi::kSuccess;
      const abi::Result queried = lib_.CommGetAsyncError(comm_, &async);
      if (queried != abi::kSuccess) async = queried;
      if (async != abi::kSuccess && async != abi::kInProgress)
        fail(std::string(what) + " failed: NCCL: " + lib_.error(async));
      if (done) return;
      if (Clock::now() > deadline)
        fail(std::string(what) + " did not complete: a rank stopped answering");
      rt::collectives::pause_between_polls(started);
    }
  }

  [[noreturn]] void fail(const std::string& why) {
    lib_.CommAbort(comm_);
    comm_ = nullptr;
    throw UnavailableError(why);
  }

  void check(abi::Result rc, const char* what) {
    if (rc != abi::kSuccess && rc != abi::kInProgress)
      fail(std::string("NCCL ") + what + ": " + lib_.error(rc));
  }

  const Library& lib_;
  std::unique_ptr<Communicator> mpi_;
  abi::Comm comm_;
  int ordinal_;
};

std::unique_ptr<Communicator> create_nccl(const Options& options) {
  const int gpus = rt::gpu::device_count();
  if (gpus == 0)
    throw UnavailableError("NCCL backend: no GPU (" + rt::gpu::unavailable_reason() + ")");
  const Library& lib = Loader::get();
  if (!rt::collectives::started_by_mpi_launcher())
    throw UnavailableError(
        "NCCL backend: this process was not started by mpirun (NCCL's ranks find each other "
        "through MPI: start one process per GPU with mpirun)");
  auto mpi = rt::collectives::create("mpi", options);
  // One rank per GPU: NCCL refuses two ranks of a communicator on one GPU.
  const int local_rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", mpi->rank());
  const int local_size = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", mpi->size());
  if (local_size > gpus)
    throw UnavailableError("NCCL backend: " + std::to_string(local_size) +
                           " ranks on this node but " + std::to_string(gpus) +
                           " GPU(s): NCCL needs one GPU per rank");
  const int ordinal = local_rank % gpus;

  abi::UniqueId id{};
  if (mpi->rank() == 0) {
    if (abi::Result rc = lib.GetUniqueId(&id); rc != abi::kSuccess) {
      const std::string why = "NCCL backend: ncclGetUniqueId failed: " + lib.error(rc);
      mpi->abort(why);  // the other ranks learn of it now, not at their timeout
      throw UnavailableError(why);
    }
  }
  mpi->broadcast(id.internal, abi::kUniqueIdBytes, uint8, 0);
  // ncclCommInitRank takes the GPU whose context is current on this thread.
  rt::gpu::stream(ordinal);
  abi::Comm comm = nullptr;
  if (abi::Result rc = lib.CommInitRank(&comm, mpi->size(), id, mpi->rank()); rc != abi::kSuccess)
    throw UnavailableError("NCCL backend: ncclCommInitRank on GPU:" + std::to_string(ordinal) +
                           " failed: " + lib.error(rc));
  return std::make_unique<NcclCommunicator>(lib, std::move(mpi), comm, ordinal, options);
}

const bool registered = rt::collectives::register_backend("nccl", create_nccl);

}  // namespace

}  // namespace tf::nccl
