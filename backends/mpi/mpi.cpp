// The MPI backend: collectives between the processes `mpirun` started, on Open MPI loaded at run
// time. Every transfer is non-blocking and polled against the deadline (runtime/collectives.h),
// so a dead or stuck rank is an error, not a hang; descriptors travel point to point, so a
// timeout names the ranks that did not answer.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/mpi/openmpi_abi.h"
#include "runtime/collectives.h"
#include "tfjit/errors.h"

namespace tf::mpi {

namespace {

using rt::collectives::Communicator;
using rt::collectives::Descriptor;
using rt::collectives::Options;
using rt::collectives::ReduceOp;
using Clock = std::chrono::steady_clock;

struct Library {
  using Comm = abi::Comm;
  using Datatype = abi::Datatype;
  using Op = abi::Op;
  using Request = abi::Request;
  using Errhandler = abi::Errhandler;
  using Status = abi::Status;
#define TFJIT_X(name, R, params) R(*name) params = nullptr;
  TFJIT_MPI_FUNCTIONS(TFJIT_X)
#undef TFJIT_X
#define TFJIT_X(ours, symbol) void* ours = nullptr;
  TFJIT_MPI_OBJECTS(TFJIT_X)
#undef TFJIT_X
  abi::Comm world() const { return static_cast<abi::Comm>(comm_world); }
  abi::Datatype type(void* object) const { return static_cast<abi::Datatype>(object); }
  abi::Op op(void* object) const { return static_cast<abi::Op>(object); }

  std::string error(int code) const {
    char text[abi::kMaxErrorString] = {};
    int length = 0;
    if (Error_string(code, text, &length) != abi::kSuccess)
      return "MPI error " + std::to_string(code);
    return std::string(text, static_cast<size_t>(length));
  }
};

// The library, MPI initialised once per process (by us, or already by the program), and
// finalised once nothing uses it, if we initialised it and no communicator broke (finalising
// waits for every rank, which a dead one never reaches). Communicators hold it: one that
// outlives the static (a global model's strategy) still frees its MPI communicator first.
class Runtime {
 public:
  static std::shared_ptr<Runtime> get() {
    static auto runtime = std::make_shared<Runtime>();
    return runtime;
  }
  const Library& lib() {
    std::call_once(loaded_, [this] { load(); });
    if (!failure_.empty()) throw UnavailableError(failure_);
    return lib_;
  }
  std::mutex& mutex() { return mu_; }
  void mark_broken() { broken_ = true; }
  ~Runtime() {
    int finalized = 1;
    if (we_initialised_ && !broken_ && lib_.Finalized(&finalized) == abi::kSuccess && !finalized)
      lib_.Finalize();
  }

 private:
  void load() {
    std::vector<std::string> names;
    if (const char* path = std::getenv("TFJIT_MPI_LIBRARY")) names.push_back(path);
    names.insert(names.end(), {"libmpi.so.40", "libmpi.so"});
    void* handle = nullptr;
    std::string tried;
    for (const auto& name : names) {
      // Global: Open MPI's components are plugins that resolve libmpi's symbols.
      if ((handle = dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL))) break;
      tried += std::string(tried.empty() ? "" : "; ") + dlerror();
    }
    if (!handle) {
      failure_ = "MPI backend: cannot load Open MPI (" + tried +
                 "); install libopenmpi-dev or set TFJIT_MPI_LIBRARY";
      return;
    }
    bool ok = true;
#define TFJIT_X(name, R, params) \
  ok = ok && (lib_.name = reinterpret_cast<decltype(lib_.name)>(dlsym(handle, "MPI_" #name)));
    TFJIT_MPI_FUNCTIONS(TFJIT_X)
#undef TFJIT_X
    // The program's copy first: an executable linking libmpi itself has the predefined objects
    // copied into it (copy relocations), and Open MPI uses those, not the library's.
#define TFJIT_X(ours, symbol) \
  ok = ok && ((lib_.ours = dlsym(RTLD_DEFAULT, #symbol)) || (lib_.ours = dlsym(handle, #symbol)));
    TFJIT_MPI_OBJECTS(TFJIT_X)
#undef TFJIT_X
    if (!ok) {
      failure_ =
          "MPI backend: the loaded MPI library is not Open MPI 4 or later (a symbol is missing)";
      return;
    }
    int initialised = 0;
    lib_.Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      const int rc = lib_.Init_thread(nullptr, nullptr, abi::kThreadMultiple, &provided);
      if (rc != abi::kSuccess) {
        failure_ = "MPI backend: MPI_Init_thread failed";
        return;
      }
      we_initialised_ = true;
    }
  }

  std::once_flag loaded_;
  Library lib_;
  std::string failure_;
  std::mutex mu_;  // every MPI call of this backend, whatever the thread level provided
  bool we_initialised_ = false;
  bool broken_ = false;
};

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(std::shared_ptr<Runtime> runtime, abi::Comm comm, int rank, int size,
                  const Options& options)
      : Communicator(rank, size, "MPI", options),
        runtime_(std::move(runtime)),
        lib_(runtime_->lib()),
        comm_(comm),
        mailbox_(std::make_shared<Mailbox>(static_cast<size_t>(size))) {}
  ~MpiCommunicator() override {
    if (broken().empty()) {
      std::lock_guard lock(runtime_->mutex());
      lib_.Comm_free(&comm_);
    } else {
      // Its requests were never completed: MPI may still write the descriptors' buffers.
      runtime_->mark_broken();
      rt::collectives::retain_after_failure(mailbox_);
    }
  }

 protected:
  void exchange_descriptors(const Descriptor& mine, Descriptor* peers,
                            Clock::time_point deadline) override {
    std::lock_guard lock(runtime_->mutex());
    // The buffers outlive a timeout (the communicator's own, retained if it breaks), so a late
    // message cannot land in freed memory.
    Descriptor& outbox = mailbox_->outbox;
    std::vector<Descriptor>& inbox = mailbox_->inbox;
    outbox = mine;
    const int n = size();
    std::vector<abi::Request> sends, receives(static_cast<size_t>(n), nullptr);
    for (int r = 0; r < n; ++r) {
      if (r == rank()) continue;
      abi::Request send = nullptr;
      check(lib_.Isend(&outbox, sizeof outbox, byte(), r, kDescriptorTag, comm_, &send));
      sends.push_back(send);
      check(lib_.Irecv(&inbox[static_cast<size_t>(r)], sizeof(Descriptor), byte(), r,
                       kDescriptorTag, comm_, &receives[static_cast<size_t>(r)]));
    }
    std::vector<bool> done(static_cast<size_t>(n), false);
    done[static_cast<size_t>(rank())] = true;
    poll(
        deadline,
        [&] {
          bool all = true;
          for (int r = 0; r < n; ++r) {
            if (done[static_cast<size_t>(r)]) continue;
            int flag = 0;
            check(lib_.Test(&receives[static_cast<size_t>(r)], &flag, abi::kStatusIgnore));
            done[static_cast<size_t>(r)] = flag != 0;
            all = all && flag;
          }
          return all;
        },
        [&] {
          std::string missing;
          for (int r = 0; r < n; ++r)
            if (!done[static_cast<size_t>(r)])
              missing += (missing.empty() ? "" : ", ") + std::to_string(r);
          return "no answer from rank(s) " + missing;
        });
    for (auto& send : sends) wait(send, deadline, "sending this rank's descriptor");
    for (int r = 0; r < n; ++r) peers[r] = r == rank() ? mine : inbox[static_cast<size_t>(r)];
  }

  void all_gather_bytes(const void* in, void* out, size_t bytes,
                        Clock::time_point deadline) override {
    std::lock_guard lock(runtime_->mutex());
    abi::Request request = nullptr;
    check(lib_.Iallgather(in, count_of(bytes), byte(), out, count_of(bytes), byte(), comm_,
                          &request));
    wait(request, deadline, "all-gather");
  }

  void broadcast_bytes(void* data, size_t bytes, int root, Clock::time_point deadline) override {
    std::lock_guard lock(runtime_->mutex());
    for (size_t at = 0; at < bytes; at += kChunk) {
      abi::Request request = nullptr;
      check(lib_.Ibcast(static_cast<char*>(data) + at,
                        static_cast<int>(std::min(kChunk, bytes - at)), byte(), root, comm_,
                        &request));
      wait(request, deadline, "broadcast");
    }
  }

  bool native_all_reduce(const void* in, void* out, int64_t count, DType dtype, ReduceOp op,
                         Clock::time_point deadline) override {
    abi::Datatype type = datatype(dtype);
    if (!type) return false;
    std::lock_guard lock(runtime_->mutex());
    const size_t item = dtype_size(dtype);
    const int64_t chunk = static_cast<int64_t>(kChunk / item);
    for (int64_t at = 0; at < count; at += chunk) {
      abi::Request request = nullptr;
      const void* from = in == out ? reinterpret_cast<const void*>(1)  // MPI_IN_PLACE
                                   : static_cast<const char*>(in) + static_cast<size_t>(at) * item;
      check(lib_.Iallreduce(from, static_cast<char*>(out) + static_cast<size_t>(at) * item,
                            static_cast<int>(std::min(chunk, count - at)), type, mpi_op(op), comm_,
                            &request));
      wait(request, deadline, "all-reduce");
    }
    return true;
  }

  bool native_reduce_scatter(const void* in, void* out, int64_t count, DType dtype, ReduceOp op,
                             Clock::time_point deadline) override {
    abi::Datatype type = datatype(dtype);
    if (!type || count * size() > std::numeric_limits<int>::max()) return false;
    std::lock_guard lock(runtime_->mutex());
    abi::Request request = nullptr;
    check(lib_.Ireduce_scatter_block(in, out, static_cast<int>(count), type, mpi_op(op), comm_,
                                     &request));
    wait(request, deadline, "reduce-scatter");
    return true;
  }

 private:
  static constexpr int kDescriptorTag = 7301;
  static constexpr size_t kChunk = size_t{1} << 30;  // MPI counts are int

  abi::Datatype byte() const { return lib_.type(lib_.byte); }
  abi::Datatype datatype(DType d) const {
    switch (d) {
      case float32:
        return lib_.type(lib_.float32);
      case float64:
        return lib_.type(lib_.float64);
      case int8:
        return lib_.type(lib_.int8);
      case int16:
        return lib_.type(lib_.int16);
      case int32:
        return lib_.type(lib_.int32);
      case int64:
        return lib_.type(lib_.int64);
      case uint8:
        return lib_.type(lib_.uint8);
      default:
        return nullptr;  // half floats, bool, complex: reduced locally
    }
  }
  abi::Op mpi_op(ReduceOp op) const {
    return lib_.op(op == ReduceOp::kMax   ? lib_.op_max
                   : op == ReduceOp::kMin ? lib_.op_min
                                          : lib_.op_sum);
  }
  int count_of(size_t bytes) const {
    if (bytes > static_cast<size_t>(std::numeric_limits<int>::max()))
      throw UnimplementedError("MPI backend: an all-gather of more than 2 GiB per rank");
    return static_cast<int>(bytes);
  }
  void check(int rc) const {
    if (rc != abi::kSuccess) throw UnavailableError("MPI: " + lib_.error(rc));
  }

  // Calls `finished` until it returns true, yielding the core between tries (ranks often
  // outnumber cores); past the deadline throws UnavailableError(what()).
  template <class Finished, class What>
  void poll(Clock::time_point deadline, Finished finished, What what) const {
    for (const auto started = Clock::now();;) {
      if (finished()) return;
      if (Clock::now() > deadline) throw UnavailableError(what());
      rt::collectives::pause_between_polls(started);
    }
  }
  void wait(abi::Request& request, Clock::time_point deadline, const char* what) const {
    poll(
        deadline,
        [&] {
          int flag = 0;
          check(lib_.Test(&request, &flag, abi::kStatusIgnore));
          return flag != 0;
        },
        [&] { return std::string(what) + " did not complete: a rank stopped answering"; });
  }

  struct Mailbox {
    explicit Mailbox(size_t ranks) : inbox(ranks) {}
    Descriptor outbox;
    std::vector<Descriptor> inbox;
  };
  std::shared_ptr<Runtime> runtime_;
  const Library& lib_;
  abi::Comm comm_;
  std::shared_ptr<Mailbox> mailbox_;
};

std::unique_ptr<Communicator> create_mpi(const Options& options) {
  if (!rt::collectives::started_by_mpi_launcher())
    throw UnavailableError("MPI backend: this process was not started by mpirun");
  auto runtime = Runtime::get();
  const Library& lib = runtime->lib();
  std::lock_guard lock(runtime->mutex());
  abi::Comm comm = nullptr;
  // A communicator of our own: our messages never match the program's own MPI traffic.
  if (lib.Comm_dup(lib.world(), &comm) != abi::kSuccess)
    throw UnavailableError("MPI backend: MPI_Comm_dup failed");
  lib.Comm_set_errhandler(comm, static_cast<abi::Errhandler>(lib.errors_return));
  int rank = 0, size = 1;
  lib.Comm_rank(comm, &rank);
  lib.Comm_size(comm, &size);
  return std::make_unique<MpiCommunicator>(std::move(runtime), comm, rank, size, options);
}

const bool registered = rt::collectives::register_backend("mpi", create_mpi);

}  // namespace

}  // namespace tf::mpi
