// The library calls compiled CPU code makes for tfjit.all_reduce (runtime/library_abi.h). The
// start copies the operand into a staging buffer and queues the reduction on a worker thread of
// the communicator; the wait blocks until it is done and copies the result out. The compiled
// code runs on meanwhile (its backward pass overlaps the communication), and the worker never
// touches the compiled code's buffers, so a call that ends early leaves nothing writing into
// freed memory. Collectives run on the worker in the order they were started: the same on every
// rank, since every rank runs the same code.
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/collectives.h"
#include "runtime/library_abi.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

namespace coll = rt::collectives;

struct UnrankedMemRef {
  int64_t rank;
  void* descriptor;
};

// One started all-reduce: its data (reduced in place) and, once done, its failure if any.
struct Pending {
  std::shared_ptr<std::vector<char>> data = std::make_shared<std::vector<char>>();
  int64_t count = 0;
  DType dtype = float32;
  coll::ReduceOp op = coll::ReduceOp::kSum;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;

  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  void finish(std::exception_ptr failure) {
    {
      std::lock_guard lock(mu);
      error = std::move(failure);
      done = true;
    }
    cv.notify_all();
  }
};

// A communicator's worker thread, running its started all-reduces in order.
class Worker {
 public:
  explicit Worker(std::shared_ptr<coll::Communicator> communicator)
      : communicator_(std::move(communicator)), thread_([this] { run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void submit(std::shared_ptr<Pending> p) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(p));
    }
    cv_.notify_all();
  }

 private:
  void run() {
    for (;;) {
      std::shared_ptr<Pending> p;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        communicator_->all_reduce(p->data->data(), p->data->data(), p->count, p->dtype, p->op);
      } catch (const UnavailableError&) {
        coll::retain_after_failure(p->data);  // a late rank may still write it
        p->finish(std::current_exception());
        continue;
      } catch (...) {
        p->finish(std::current_exception());
        continue;
      }
      p->finish(nullptr);
    }
  }

  std::shared_ptr<coll::Communicator> communicator_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

// One worker per communicator, started by its first all-reduce; it keeps the communicator alive
// until the process ends.
Worker& worker(int64_t group) {
  static std::mutex mu;
  static std::map<int64_t, std::unique_ptr<Worker>> workers;
  std::lock_guard lock(mu);
  auto& w = workers[group];
  if (!w) {
    auto communicator = coll::group(group);
    if (!communicator)
      throw FailedPreconditionError("all_reduce: the communicator of this compiled function (" +
                                    std::to_string(group) +
                                    ") no longer exists; its strategy was destroyed");
    w = std::make_unique<Worker>(std::move(communicator));
  }
  return *w;
}

// The all-reduces this thread's compiled calls started, by result buffer.
thread_local std::unordered_map<const void*, std::shared_ptr<Pending>> started;

struct View {
  char* data;
  int64_t count;
};
View view(const UnrankedMemRef* m, DType dtype) {
  auto* d = static_cast<int64_t*>(m->descriptor);
  int64_t count = 1;
  for (int64_t k = 0; k < m->rank; ++k) count *= d[3 + k];
  return {reinterpret_cast<char*>(d[1]) + d[2] * static_cast<int64_t>(dtype_size(dtype)), count};
}

template <int D>
void all_reduce_start(UnrankedMemRef* x, UnrankedMemRef* out, int64_t reduce_op, int64_t group) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    const View in = view(x, dtype);
    // The slot is filled only once the reduction is queued: a wait never waits for one that a
    // failure here kept from starting (it raises instead).
    Worker& w = worker(group);
    auto p = std::make_shared<Pending>();
    p->count = in.count;
    p->dtype = dtype;
    p->op = static_cast<coll::ReduceOp>(reduce_op);
    p->data->assign(in.data, in.data + in.count * static_cast<int64_t>(dtype_size(dtype)));
    const void* key = view(out, dtype).data;
    if (auto left = started.find(key); left != started.end()) {  // a call that ended early
      left->second->wait();
      started.erase(left);
    }
    w.submit(p);
    started[key] = std::move(p);
  } catch (...) {
    rt::abi::record_failure();
  }
}

template <int D>
void all_reduce_wait(UnrankedMemRef* out) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    const View o = view(out, dtype);
    auto it = started.find(o.data);
    if (it == started.end())
      throw InternalError("all_reduce: waiting for an all-reduce that was not started");
    std::shared_ptr<Pending> p = std::move(it->second);
    started.erase(it);
    p->wait();
    if (p->error) std::rethrow_exception(p->error);
    if (!p->data->empty()) std::memcpy(o.data, p->data->data(), p->data->size());
  } catch (...) {
    rt::abi::record_failure();
  }
}

template <int... D>
std::vector<rt::abi::LibraryCall> calls(std::integer_sequence<int, D...>) {
  auto name = [](const char* prefix, int d) {
    return "_mlir_ciface_" + std::string(prefix) + std::string(dtype_name(static_cast<DType>(d)));
  };
  std::vector<rt::abi::LibraryCall> out;
  ((out.push_back(
        {name(rt::abi::kAllReduceStartPrefix, D), reinterpret_cast<void*>(&all_reduce_start<D>)}),
    out.push_back(
        {name(rt::abi::kAllReduceWaitPrefix, D), reinterpret_cast<void*>(&all_reduce_wait<D>)})),
   ...);
  return out;
}
const bool registered =
    rt::abi::register_library_calls(calls(std::make_integer_sequence<int, kNumDTypes>{}));

}  // namespace

}  // namespace tf::cpu
