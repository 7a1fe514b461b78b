// tf::data's threaded transformations: parallel map (a pool of workers, results in input order
// unless told otherwise) and prefetch (a producer thread filling a bounded queue). An exception
// on a worker reaches the consumer at the element it concerns.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "frontend/src/data/nodes.h"
#include "tfjit/config.h"

namespace tf::data::detail {

namespace {

// One result slot: filled by a worker (value or exception), taken by the consumer.
struct Slot {
  bool ready = false;
  std::optional<Element> value;
  std::exception_ptr error;
};

class ParallelMapIterator : public IteratorNode {
 public:
  ParallelMapIterator(std::unique_ptr<IteratorNode> input,
                      std::function<Element(const Element&)> fn, int64_t threads,
                      bool deterministic)
      : input_(std::move(input)),
        fn_(std::move(fn)),
        deterministic_(deterministic),
        threads_(threads) {
    workers_.reserve(static_cast<size_t>(threads));
    try {
      for (int64_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    } catch (...) {
      stop_workers();  // the threads already started, before the vector of them goes
      throw;
    }
  }
  ~ParallelMapIterator() override { stop_workers(); }

  std::optional<Element> next() override {
    std::unique_lock lock(mutex_);
    ++wanted_;
    changed_.notify_all();
    // Deterministic: the oldest slot. Otherwise the first finished one, the input's end (a slot
    // without value) only once every other slot has finished.
    auto pick = [&] {
      if (deterministic_)
        return !slots_.empty() && slots_.front()->ready ? slots_.begin() : slots_.end();
      bool all_ready = true;
      for (auto it = slots_.begin(); it != slots_.end(); ++it) {
        if ((*it)->ready && ((*it)->value || (*it)->error)) return it;
        all_ready = all_ready && (*it)->ready;
      }
      return all_ready && !slots_.empty() ? slots_.begin() : slots_.end();
    };
    changed_.wait(lock, [&] { return pick() != slots_.end() || (input_done_ && slots_.empty()); });
    if (slots_.empty()) return std::nullopt;
    auto it = pick();
    std::shared_ptr<Slot> slot = *it;
    slots_.erase(it);
    --wanted_;
    if (slot->error) std::rethrow_exception(slot->error);
    if (!slot->value) {  // the input's end: no more elements will come
      slots_.clear();
      return std::nullopt;
    }
    return std::move(slot->value);
  }

 private:
  void stop_workers() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (auto& w : workers_) w.join();
  }
  // Each worker takes the next input element (in order, under the lock), then maps it unlocked.
  void work() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] {
        return stop_ || (!input_done_ && static_cast<int64_t>(slots_.size()) < wanted_ + threads_);
      });
      if (stop_) return;
      auto slot = std::make_shared<Slot>();
      slots_.push_back(slot);
      std::optional<Element> in;
      try {
        in = input_->next();
      } catch (...) {
        slot->error = std::current_exception();
      }
      // At the end, or after an error, no worker pulls from the input again.
      if (!in) input_done_ = true;
      lock.unlock();
      if (in) {
        try {
          slot->value = fn_(*in);
        } catch (...) {
          slot->error = std::current_exception();
        }
      }
      lock.lock();
      slot->ready = true;
      if (slot->error) input_done_ = true;
      changed_.notify_all();
    }
  }

  std::unique_ptr<IteratorNode> input_;
  std::function<Element(const Element&)> fn_;
  bool deterministic_;
  int64_t threads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Slot>> slots_;  // in input order
  int64_t wanted_ = 0;
  bool input_done_ = false, stop_ = false;
  std::vector<std::thread> workers_;
};

class PrefetchIterator : public IteratorNode {
 public:
  PrefetchIterator(std::unique_ptr<IteratorNode> input, int64_t buffer_size)
      : input_(std::move(input)), capacity_(static_cast<size_t>(buffer_size)) {
    producer_ = std::thread([this] { produce(); });
  }
  ~PrefetchIterator() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    producer_.join();
  }

  std::optional<Element> next() override {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !queue_.empty() || finished_; });
    if (queue_.empty()) {
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      return std::nullopt;
    }
    Element e = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return e;
  }

 private:
  void produce() {
    while (true) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
        if (stop_) return;
      }
      std::optional<Element> e;
      std::exception_ptr error;
      try {
        e = input_->next();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      if (!e) {
        error_ = error;
        finished_ = true;
        changed_.notify_all();
        return;
      }
      queue_.push_back(std::move(*e));
      changed_.notify_all();
    }
  }

  std::unique_ptr<IteratorNode> input_;
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Element> queue_;
  std::exception_ptr error_;
  bool finished_ = false, stop_ = false;
  std::thread producer_;
};

}  // namespace

std::shared_ptr<const DatasetNode> parallel_map_node(std::shared_ptr<const DatasetNode> input,
                                                     std::function<Element(const Element&)> fn,
                                                     int64_t threads, bool deterministic) {
  // AUTOTUNE: tf.config's inter-op threads when set (they are for running work side by side),
  // else the CPUs.
  if (threads == AUTOTUNE) {
    int inter = config::threading::get_inter_op_parallelism_threads();
    threads = inter > 0 ? inter : std::max(1u, std::thread::hardware_concurrency());
  }
  if (threads <= 0)
    throw InvalidArgumentError(
        "Dataset.map: num_parallel_calls must be positive or AUTOTUNE, got " +
        std::to_string(threads));
  int64_t c = input->cardinality();
  return node_of(
      [input, fn, threads, deterministic](uint64_t iteration) -> std::unique_ptr<IteratorNode> {
        return std::make_unique<ParallelMapIterator>(input->make_iterator(iteration), fn, threads,
                                                     deterministic);
      },
      c);
}

std::shared_ptr<const DatasetNode> prefetch_node(std::shared_ptr<const DatasetNode> input,
                                                 int64_t buffer_size) {
  int64_t c = input->cardinality();
  return node_of(
      [input, buffer_size](uint64_t iteration) -> std::unique_ptr<IteratorNode> {
        return std::make_unique<PrefetchIterator>(input->make_iterator(iteration), buffer_size);
      },
      c);
}

}  // namespace tf::data::detail
