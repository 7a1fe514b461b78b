#include "runtime/parallel.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tf::rt {

namespace {

// One job at a time: chunks are claimed with an atomic-free counter under the pool's mutex
// (chunks are large, so contention is negligible).
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  void run(int64_t chunks, const std::function<void(int64_t)>& chunk) {
    std::unique_lock job_lock(job_mutex_);  // one parallel_for at a time; others wait
    {
      std::lock_guard lock(mutex_);
      job_ = &chunk;
      next_ = 0;
      total_ = chunks;
      pending_ = chunks;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    drain();
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Runs chunks of the current job until none are left.
  void drain() {
    for (;;) {
      int64_t index;
      const std::function<void(int64_t)>* job;
      {
        std::lock_guard lock(mutex_);
        if (!job_ || next_ >= total_) return;
        index = next_++;
        job = job_;
      }
      try {
        (*job)(index);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      if (--pending_ == 0) done_.notify_all();
    }
  }
  void work() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      drain();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex job_mutex_, mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t next_ = 0, total_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads during static destruction can deadlock.
  static Pool& p =
      *std::make_unique<Pool>(std::max(1u, std::thread::hardware_concurrency()) - 1).release();
  return p;
}

thread_local bool inside_parallel = false;

}  // namespace

int parallel_threads() { return pool().size(); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  int threads = parallel_threads();
  int64_t chunks = std::min<int64_t>(threads, n / std::max<int64_t>(grain, 1));
  if (chunks <= 1 || inside_parallel) {  // small work, or nested: run here
    if (n > 0) fn(0, n);
    return;
  }
  int64_t per = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int64_t c) {
    inside_parallel = true;
    int64_t begin = c * per, end = std::min(n, begin + per);
    if (begin < end) fn(begin, end);
    inside_parallel = false;
  });
}

}  // namespace tf::rt
