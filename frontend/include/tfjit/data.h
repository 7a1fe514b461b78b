// tf::data: input pipelines, as TensorFlow's tf.data.Dataset.
//
//   auto ds = tf::data::Dataset::from_tensor_slices({x, y})
//                 .shuffle(10000, /*seed=*/1).batch(32).prefetch(2);
//   for (const tf::data::Element& batch : ds) step(batch[0], batch[1]);
//
// A dataset is an immutable description; each iteration (range-for, make_iterator) runs it
// afresh, pulling elements through the chain of transformations. An element is a tuple of
// tensors (one per component: from_tensor_slices({x, y}) gives (x[i], y[i])). Random
// transformations are reproducible given a seed (and tf::random::set_seed otherwise);
// reshuffle_each_iteration draws a new order at each iteration, reproducibly too.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf::distribute {
class Strategy;
}

namespace tf::data {

// One element: its components, in order.
using Element = std::vector<Tensor>;

inline constexpr int64_t INFINITE_CARDINALITY = -1;
inline constexpr int64_t UNKNOWN_CARDINALITY = -2;
inline constexpr int64_t AUTOTUNE = -1;  // for num_parallel_calls and prefetch buffers

namespace detail {
struct DatasetNode;
struct IteratorNode;
}  // namespace detail

class Iterator;

class Dataset {
 public:
  // --- Sources ---
  // Slices of each tensor along its first dim (all of the same length): element i is
  // (t[0][i], t[1][i], ...).
  static Dataset from_tensor_slices(const std::vector<Tensor>& tensors);
  static Dataset from_tensor_slices(std::initializer_list<Tensor> tensors) {
    return from_tensor_slices(std::vector<Tensor>(tensors));
  }
  static Dataset from_tensor_slices(const Tensor& tensor) {
    return from_tensor_slices(std::vector<Tensor>{tensor});
  }
  // A dict of tensors: the components in key order (component_names() gives them).
  static Dataset from_tensor_slices(const std::map<std::string, Tensor>& tensors);
  // One element made of these tensors.
  static Dataset from_tensors(const std::vector<Tensor>& tensors);
  // int64 scalars start, start + step, ... up to (not including) stop.
  static Dataset range(int64_t stop) { return range(0, stop); }
  static Dataset range(int64_t start, int64_t stop, int64_t step = 1);
  // Each iteration calls make_generator() for a new generator, then calls it until it returns
  // nullopt (a C++ stand-in for a Python generator).
  static Dataset from_generator(
      std::function<std::function<std::optional<Element>()>()> make_generator);
  // Slices of the arrays in these .npy files (tf::load_npy each, then from_tensor_slices).
  static Dataset from_npy_files(const std::vector<std::string>& paths);

  // --- Transformations (each returns a new dataset) ---
  // fn on each element. num_parallel_calls > 1 (or AUTOTUNE: tf::config's inter-op threads if
  // set, else the CPU count) runs fn on that many threads; the order stays the input's unless
  // deterministic is false.
  Dataset map(std::function<Element(const Element&)> fn, int64_t num_parallel_calls = 1,
              bool deterministic = true) const;
  // Keeps the elements for which `predicate` is true.
  Dataset filter(std::function<bool(const Element&)> predicate) const;
  // A buffer of buffer_size elements, each output drawn uniformly from it and replaced by the
  // next input (TensorFlow's algorithm). seed unset: drawn from tf::random's global generator.
  Dataset shuffle(int64_t buffer_size, std::optional<uint64_t> seed = std::nullopt,
                  bool reshuffle_each_iteration = true) const;
  // batch_size consecutive elements stacked (a new leading dim per component); the last,
  // smaller batch is dropped if drop_remainder.
  Dataset batch(int64_t batch_size, bool drop_remainder = false) const;
  // As batch, each component padded with padding_value at the end of each dim to the largest
  // shape in its batch, or to padded_shapes[c] (tf::unknown dims: the largest) when given.
  Dataset padded_batch(int64_t batch_size, std::vector<TensorShape> padded_shapes = {},
                       double padding_value = 0, bool drop_remainder = false) const;
  // count times over (-1: forever).
  Dataset repeat(int64_t count = -1) const;
  Dataset take(int64_t count) const;
  Dataset skip(int64_t count) const;
  // Produces up to buffer_size elements ahead on a background thread (AUTOTUNE: 2).
  Dataset prefetch(int64_t buffer_size = AUTOTUNE) const;
  // The first complete iteration's elements kept in memory and replayed afterwards.
  Dataset cache() const;

  // Elements per iteration: a count, INFINITE_CARDINALITY or UNKNOWN_CARDINALITY (filter).
  int64_t cardinality() const;
  const std::vector<std::string>& component_names() const { return names_; }
  // Whether each element is one replica's share of a global batch (made by
  // tf::distribute::Strategy::experimental_distribute_dataset): Keras' fit under a strategy
  // takes such elements as they are, instead of sharding them.
  bool per_replica() const { return per_replica_; }

  Iterator make_iterator() const;
  Iterator begin() const;
  std::default_sentinel_t end() const { return {}; }

 private:
  Dataset padded_batch_impl(int64_t batch_size, std::shared_ptr<std::vector<TensorShape>> shapes,
                            double padding_value, bool drop_remainder) const;
  explicit Dataset(std::shared_ptr<const detail::DatasetNode> node,
                   std::vector<std::string> names = {})
      : node_(std::move(node)), names_(std::move(names)) {}
  friend class distribute::Strategy;
  std::shared_ptr<const detail::DatasetNode> node_;
  std::vector<std::string> names_;
  bool per_replica_ = false;
};

// One pass over a dataset. Its position (elements produced so far) can be saved and restored:
// restoring a deterministic pipeline (seeded shuffles) gives the same next element.
class Iterator {
 public:
  using value_type = Element;
  using difference_type = std::ptrdiff_t;
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  // The next element, or nullopt at the end.
  std::optional<Element> get_next();
  int64_t position() const { return position_; }
  // Which pass over the dataset this is (it numbers the pass's reshuffles).
  uint64_t iteration() const { return iteration_; }
  // Re-runs this pass up to `position` (what a checkpoint stores), replaying the elements
  // before it: OutOfRangeError if the pass ends before. restore(iteration, position) resumes a
  // pass saved by another iterator (another process).
  void restore(int64_t position) { restore(iteration_, position); }
  void restore(uint64_t iteration, int64_t position);

  // Input-iterator interface, for range-for.
  const Element& operator*() const { return current_; }
  Iterator& operator++();
  bool operator==(std::default_sentinel_t) const { return done_; }

 private:
  friend class Dataset;
  explicit Iterator(std::shared_ptr<const detail::DatasetNode> node);
  std::shared_ptr<const detail::DatasetNode> node_;
  std::unique_ptr<detail::IteratorNode> it_;
  Element current_;
  bool done_ = false;
  int64_t position_ = 0;
  uint64_t iteration_ = 0;
};

// tf.data.TFRecordDataset: the records of these TFRecord files (uncompressed), in order, each a
// scalar string tensor (one component; tf::io::parse_single_example parses tf.train.Examples).
// Records are read as the iteration pulls them; a missing or corrupt file raises
// InvalidArgumentError naming the file and the record's offset. Cardinality unknown.
Dataset TFRecordDataset(std::vector<std::string> filenames);

}  // namespace tf::data
TFJIT_API_END
