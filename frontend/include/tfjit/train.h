// tf::train: object-based checkpoints in TensorFlow's format (the V2 tensor bundle with a
// TrackableObjectGraph), as tf.train.Checkpoint and tf.train.CheckpointManager.
//
//   tf::train::Checkpoint ckpt({{"model", model}, {"optimizer", opt}});
//   ckpt.write("ckpt/step-100");            // ckpt/step-100.index, .data-00000-of-00001
//   ckpt.read("ckpt/step-100").assert_consumed();
//
// Each object's variables are stored at its path of tracked names: model/dense/kernel,
// optimizer/iterations, ... (keys "model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", as TensorFlow
// names them). Files are written atomically (a crash mid-write keeps the previous checkpoint
// under the same prefix readable); a corrupt or truncated file is an InvalidArgumentError.
// Restoring assigns every variable whose path is in the file; variables created later (an
// optimizer's slots before its first step) are not waited for: build them first
// (optimizer.build(model.trainable_variables())).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tfjit/data.h"
#include "tfjit/export.h"
#include "tfjit/module.h"
#include "tfjit/variable.h"

TFJIT_API_BEGIN
namespace tf::train {

// What a checkpoint can hold: a module (its variables and sub-modules), a variable, or a
// tf::data iterator (its pass and position; held by address: it must outlive the checkpoint and
// stay where it is).
class Trackable {
 public:
  Trackable(const Module& module) : value_(module) {}
  Trackable(const Variable& variable) : value_(variable) {}
  Trackable(data::Iterator& iterator) : value_(&iterator) {}
  const std::variant<Module, Variable, data::Iterator*>& value() const { return value_; }

 private:
  std::variant<Module, Variable, data::Iterator*> value_;
};

// What read() restored: paths in the file no object matched, and objects' variables the file
// lacked.
struct LoadStatus {
  std::vector<std::string> unused_keys;
  std::vector<std::string> missing;
  // FailedPreconditionError naming them unless both lists are empty (TensorFlow's
  // assert_consumed).
  void assert_consumed() const;
};

class Checkpoint {
 public:
  explicit Checkpoint(std::vector<std::pair<std::string, Trackable>> objects);
  // Writes the objects at `prefix` and returns it.
  std::string write(const std::string& prefix) const;
  // write() at "<prefix>-<n>" after incrementing save_counter (saved with it), and records it
  // as the latest in the directory's "checkpoint" file, as tf.train.Checkpoint.save.
  std::string save(const std::string& prefix);
  // Restores what matches (all of it checked first: an error leaves every object unchanged).
  // require_match: InvalidArgumentError, restoring nothing, unless the file and the objects
  // match exactly.
  LoadStatus read(const std::string& prefix, bool require_match = false) const;
  LoadStatus restore(const std::string& prefix) const { return read(prefix); }
  const Variable& save_counter() const { return save_counter_; }

 private:
  std::vector<std::pair<std::string, Trackable>> objects_;
  Variable save_counter_;
};

// Keeps the newest max_to_keep checkpoints of `checkpoint` in `directory`
// (<directory>/<name>-<n>), deleting older ones, with TensorFlow's "checkpoint" state file.
class CheckpointManager {
 public:
  // Keeps a copy of `checkpoint` (copies share its objects and save counter).
  CheckpointManager(Checkpoint checkpoint, std::string directory, int64_t max_to_keep = 5,
                    std::string checkpoint_name = "ckpt");
  // Saves (numbered by the checkpoint's save_counter, or `checkpoint_number` if given).
  std::string save(std::optional<int64_t> checkpoint_number = std::nullopt);
  std::optional<std::string> latest_checkpoint() const;
  const std::vector<std::string>& checkpoints() const { return kept_; }

 private:
  Checkpoint checkpoint_;
  std::string directory_, name_;
  int64_t max_to_keep_;
  std::vector<std::string> kept_;
};

// The latest checkpoint recorded in `directory`'s "checkpoint" file, if any.
std::optional<std::string> latest_checkpoint(const std::string& directory);

}  // namespace tf::train
TFJIT_API_END
