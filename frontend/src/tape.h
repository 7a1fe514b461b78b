// The tape's hook for op functions: after computing a result, a primitive calls record() with its
// inputs and a backward function, guarded by should_record() (one thread-local load when no
// tape is active).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tfjit/tensor.h"

namespace tf::detail {

// A variable's dtype and shape never change (assign checks them); its value is replaced whole,
// under a mutex, so threads sharing a variable (an eager assign racing a compiled call's
// write-back) see one value or the other, never a torn shared pointer. A compiled call that
// writes the new value over the old one's buffer (compiler::Alias) holds readers of other threads
// off while it runs (begin_update .. end_update).
class VariableImpl {
 public:
  VariableImpl(Tensor initial, std::string name, bool trainable)
      : name(std::move(name)),
        trainable(trainable),
        dtype(initial.dtype()),
        shape(initial.shape()),
        value_(std::move(initial)) {}
  const std::string name;
  const bool trainable;
  const DType dtype;
  const TensorShape shape;

  Tensor value() const {
    std::unique_lock lock(mutex_);
    updated_.wait(lock, [&] { return !updating_ || updater_ == std::this_thread::get_id(); });
    return value_;
  }
  void set_value(Tensor value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
  }
  // For a compiled call that writes the new value in place: the tensor to write, which is the
  // value itself when nothing else holds it or its buffer (else a copy, on the CPU), and readers
  // of other threads wait until end_update. Another update of this variable waits first. With
  // `copy_if_shared` false, a shared value gives a null tensor and no update begins.
  Tensor begin_update(bool copy_if_shared = true);
  // Installs `value` (the tensor begin_update gave, now written) or, without one (the call
  // failed), keeps the value; then lets readers in.
  void end_update(const Tensor* value);
  // For an int64 scalar (a random generator's draw counter): the value, and `n` added to it in
  // the same critical section, so concurrent draws never share a counter (variable.cpp).
  int64_t fetch_add(int64_t n);
  // A random generator's key and counter share this mutex (random.cpp), held while a draw or a
  // compiled call reads the pair and while set_seed replaces it. Null for other variables.
  std::shared_ptr<std::mutex> generator_mutex;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable updated_;
  bool updating_ = false;
  std::thread::id updater_;
  Tensor value_;
};

// Gradient of each input (a null Tensor where none flows) from the gradient of the result.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad)>;

struct TapeEntry {
  std::vector<Tensor> inputs;
  Tensor output;
  BackwardFn backward;
};

struct TapeImpl {
  bool persistent = false, watch_accessed_variables = true, recording = true, used = false;
  std::unordered_set<const TensorImpl*> connected;  // watched tensors and recorded results
  std::vector<Tensor> kept;                         // keeps watched tensors' identities alive
  std::unordered_set<const VariableImpl*> watched_variables;
  std::unordered_map<const VariableImpl*, std::vector<Tensor>> variable_reads;
  std::vector<TapeEntry> entries;
};

extern thread_local std::vector<TapeImpl*> active_tapes;

// Whether `tape` watches reads of `variable`.
inline bool watches(const TapeImpl& tape, const VariableImpl& variable) {
  return tape.watched_variables.count(&variable) ||
         (tape.watch_accessed_variables && variable.trainable);
}
// The tapes set aside while a traced tf::cond branch or tf::while_loop body is built (null when
// none): a variable they would watch must not be first read there (see read_variable).
extern thread_local const std::vector<TapeImpl*>* paused_tapes;

// Sets the active tapes aside for a scope (none records), and back after it. While a traced
// region is built they stay visible as paused_tapes (`in_region`), for read_variable's check.
class TapesAside {
 public:
  explicit TapesAside(bool in_region) : previous_(paused_tapes) {
    saved_.swap(active_tapes);
    paused_tapes = in_region && !saved_.empty() ? &saved_ : nullptr;
  }
  ~TapesAside() {
    saved_.swap(active_tapes);
    paused_tapes = previous_;
  }
  TapesAside(const TapesAside&) = delete;
  TapesAside& operator=(const TapesAside&) = delete;

 private:
  std::vector<TapeImpl*> saved_;
  const std::vector<TapeImpl*>* previous_;
};
inline bool tape_active() { return !active_tapes.empty(); }
inline bool tape_recording() {
  for (const TapeImpl* t : active_tapes)
    if (t->recording) return true;
  return false;
}
bool watched_by_any_tape(std::initializer_list<const Tensor*> inputs);
bool watched_by_any_tape(const std::vector<Tensor>& inputs);
// Whether an op on these inputs must be recorded: a recording tape watches one of them. Call
// sites check it first, so unwatched ops build neither the input list nor the closure.
inline bool should_record(std::initializer_list<const Tensor*> inputs) {
  return !active_tapes.empty() && watched_by_any_tape(inputs);
}
inline bool should_record(const std::vector<Tensor>& inputs) {
  return !active_tapes.empty() && watched_by_any_tape(inputs);
}
// Inside a backward function: whether the tape needs the gradient of input `index`. A rule may
// skip the others (a null Tensor), as TensorFlow's do: matmul's rule then runs one GEMM, not two.
bool gradient_needed(size_t index);
// Records an op on every recording tape that watches one of its inputs.
void record(const std::vector<Tensor>& inputs, const Tensor& output, BackwardFn backward);

// Sums `grad` down to `shape`, undoing NumPy broadcasting.
Tensor unbroadcast(const Tensor& grad, const TensorShape& shape);

// The value to hand out for a read of `variable` whose value is `value` (the variable's tensor,
// or its symbolic capture while tracing): a fresh handle that active tapes can watch.
Tensor read_variable(VariableImpl& variable, const Tensor& value);

}  // namespace tf::detail
