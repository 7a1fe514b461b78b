#include "runtime/parallel.h"

#include <linux/futex.h>
#include <omp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tf::rt {

namespace {

// A positive integer from the environment, or 0.
int env_threads(const char* name) {
  const char* env = std::getenv(name);
  if (!env) return 0;
  char* end = nullptr;
  long n = std::strtol(env, &end, 10);
  // OMP_NUM_THREADS may be a list ("4,2"): its first entry is the outermost level's.
  return end != env && (*end == '\0' || *end == ',') && n > 0 && n <= 4096 ? static_cast<int>(n)
                                                                           : 0;
}

int default_threads() {
  if (int n = env_threads("TF_NUM_INTRAOP_THREADS")) return n;
  if (int n = env_threads("OMP_NUM_THREADS")) return n;
  cpu_set_t cpus;  // the CPUs this process may run on (taskset, cpusets)
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0) return std::max(1, CPU_COUNT(&cpus));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int> configured{0};  // 0: the default, resolved on first use

// How long an idle thread polls for work before it sleeps in the kernel: long enough to catch
// the next op of a step (a wake-up from sleep costs tens of microseconds), short enough that a
// thread finishing early never holds a core for long that a thread still working (or another
// process) needs. $TFJIT_SPIN_US overrides it.
std::chrono::nanoseconds spin_time() {
  static const std::chrono::nanoseconds t = [] {
    const char* env = std::getenv("TFJIT_SPIN_US");
    char* end = nullptr;
    long us = env ? std::strtol(env, &end, 10) : -1;
    if (!env || end == env || *end != '\0' || us < 0 || us > 1'000'000) us = 50;
    return std::chrono::nanoseconds(us * 1000);
  }();
  return t;
}

void futex_wait(std::atomic<uint32_t>& word, uint32_t expected) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}
void futex_wake_all(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

// Polls `ready` for spin_time(); true once it holds.
template <class Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + spin_time();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      __builtin_ia32_pause();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

// Set on pool threads, and on a caller while it runs a job: a parallel_for there runs inline.
thread_local bool inside_job = false;

// The pool: one job at a time, split into chunks that the caller and whichever workers are
// awake claim one by one. The caller never waits for a worker that has not claimed a chunk, so a
// worker descheduled by a busy machine (or never started, after fork) delays nothing; and a job
// ends as soon as its chunks are done, however few threads took part.
class Pool {
 public:
  using Body = std::function<void(int64_t, int64_t)>;

  // Runs the job; false (nothing run) when another thread's job holds the pool.
  bool run(int threads, int64_t n, int64_t chunks, const Body& body) {
    std::unique_lock owner(owner_, std::try_to_lock);
    if (!owner.owns_lock()) return false;
    grow(threads - 1);
    body_.store(&body, std::memory_order_relaxed);
    n_.store(n, std::memory_order_relaxed);
    per_.store((n + chunks - 1) / chunks, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    team_.store(threads - 1, std::memory_order_relaxed);
    epoch_ = (epoch_ + 1) & 0xffffffffu;
    claim_.store(epoch_ << 32 | static_cast<uint64_t>(chunks) << 16, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) futex_wake_all(generation_);

    inside_job = true;
    while (claim_and_run()) {
    }
    inside_job = false;
    const auto all = static_cast<uint32_t>(chunks);
    if (!spin_until([&] { return done_.load(std::memory_order_acquire) == all; })) {
      caller_waiting_.store(1, std::memory_order_seq_cst);
      for (uint32_t d; (d = done_.load(std::memory_order_seq_cst)) != all;) futex_wait(done_, d);
      caller_waiting_.store(0, std::memory_order_relaxed);
    }
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  // Claims the next chunk of the current job and runs it; false when none is left.
  bool claim_and_run() {
    uint64_t word = claim_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t chunks = word >> 16 & 0xffff, next = word & 0xffff;
      if (next >= chunks) return false;
      if (claim_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        // The job cannot end before this chunk is done, so its fields stay as published.
        const int64_t n = n_.load(std::memory_order_relaxed),
                      per = per_.load(std::memory_order_relaxed);
        const int64_t begin = static_cast<int64_t>(next) * per, end = std::min(n, begin + per);
        try {
          if (begin < end) (*body_.load(std::memory_order_relaxed))(begin, end);
        } catch (...) {
          std::lock_guard lock(error_mutex_);
          if (!error_) error_ = std::current_exception();
        }
        if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 == chunks &&
            caller_waiting_.load(std::memory_order_seq_cst))
          futex_wake_all(done_);
        return true;
      }
    }
  }

  void work(int index) {
    inside_job = true;
    omp_set_num_threads(1);  // oneDNN, called from a chunk, runs on this thread alone
    uint32_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      while (index < team_.load(std::memory_order_relaxed) && claim_and_run()) {
      }
      uint32_t now = seen;
      auto fresh = [&] { return (now = generation_.load(std::memory_order_acquire)) != seen; };
      // Threads left out of the team (a lowered thread count) sleep straight away.
      if (index >= team_.load(std::memory_order_relaxed) || !spin_until(fresh)) {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        while ((now = generation_.load(std::memory_order_seq_cst)) == seen)
          futex_wait(generation_, seen);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      seen = now;
    }
  }

  void grow(int workers) {
    while (!cannot_grow_ && static_cast<int>(workers_.size()) < workers) {
      const int index = static_cast<int>(workers_.size());
      try {
        workers_.emplace_back([this, index] { work(index); }).detach();
      } catch (const std::system_error&) {  // no more threads: the caller and the others do it
        cannot_grow_ = true;
      }
    }
  }

  std::mutex owner_;  // held by the caller of the running job
  // After fork the child keeps these entries but not the threads: its callers run every chunk.
  std::vector<std::thread> workers_;
  bool cannot_grow_ = false;
  uint64_t epoch_ = 0;
  // The current job: epoch (high 32 bits), chunk count (16) and next unclaimed chunk (16 low
  // bits), updated by compare-exchange so that one claim is one chunk of one job.
  std::atomic<uint64_t> claim_{0};
  std::atomic<const Body*> body_{nullptr};
  std::atomic<int64_t> n_{0}, per_{0};
  std::atomic<int> team_{0};  // workers 0 .. team_ - 1 take part
  std::atomic<uint32_t> done_{0}, caller_waiting_{0};
  std::atomic<uint32_t> generation_{0};  // bumped per job: what sleeping workers wait on
  std::atomic<int> sleepers_{0};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

Pool& pool() {
  // Leaked on purpose: its threads run until the process ends, and compiled code may call
  // parallel_for during static destruction.
  static Pool& p = *std::make_unique<Pool>().release();
  return p;
}

// Chunks per thread: a thread that falls behind (descheduled on a busy machine) leaves the
// others more than its own share to take; more chunks cost a claim each.
constexpr int64_t kChunksPerThread = 4;

}  // namespace

int parallel_threads() {
  int n = configured.load(std::memory_order_relaxed);
  if (n == 0) {
    static const int fallback = default_threads();
    n = fallback;
  }
  return n;
}

void set_parallel_threads(int threads) {
  configured.store(std::max(0, threads), std::memory_order_relaxed);
}

bool inside_parallel_for() { return inside_job; }

OneDnnThreads::OneDnnThreads(int threads) : saved_(omp_get_max_threads()), threads_(threads) {
  if (saved_ != threads_) omp_set_num_threads(threads_);
}
OneDnnThreads::~OneDnnThreads() {
  if (saved_ != threads_) omp_set_num_threads(saved_);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int threads = parallel_threads();
  const int64_t chunks = std::min<int64_t>(
      {n / std::max<int64_t>(grain, 1), threads * kChunksPerThread, int64_t{0xffff}});
  if (threads <= 1 || chunks <= 1 || inside_job) return fn(0, n);  // small work, or nested
  if (pool().run(threads, n, chunks, fn)) return;
  // The pool runs another thread's job: run here, and what this job starts as well.
  inside_job = true;
  try {
    fn(0, n);
  } catch (...) {
    inside_job = false;
    throw;
  }
  inside_job = false;
}

}  // namespace tf::rt
