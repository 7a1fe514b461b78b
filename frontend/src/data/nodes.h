// tf::data's machinery: a dataset is a chain of nodes, each making iterators that pull from
// their input's iterators. `iteration` numbers a pass over the dataset (a new one at each
// make_iterator), so reshuffles differ per pass and a restored iterator replays its own pass.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "tfjit/data.h"

namespace tf::data::detail {

struct IteratorNode {
  virtual ~IteratorNode() = default;
  virtual std::optional<Element> next() = 0;
};

struct DatasetNode {
  virtual ~DatasetNode() = default;
  virtual std::unique_ptr<IteratorNode> make_iterator(uint64_t iteration) const = 0;
  virtual int64_t cardinality() const = 0;
  // The number of passes begun over this dataset (numbers the next one).
  mutable std::atomic<uint64_t> iterations{0};
};

// A well-mixed 64-bit value of (a, b): sub-iteration numbers and per-pass seeds.
inline uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A node from a function making iterators and a cardinality.
template <class Make>
struct LambdaNode : DatasetNode {
  LambdaNode(Make make, int64_t cardinality) : make_(std::move(make)), cardinality_(cardinality) {}
  std::unique_ptr<IteratorNode> make_iterator(uint64_t iteration) const override {
    return make_(iteration);
  }
  int64_t cardinality() const override { return cardinality_; }
  Make make_;
  int64_t cardinality_;
};
template <class Make>
std::shared_ptr<const DatasetNode> node_of(Make make, int64_t cardinality) {
  return std::make_shared<LambdaNode<Make>>(std::move(make), cardinality);
}

// Threaded transformations (frontend/src/data/threaded.cpp).
std::shared_ptr<const DatasetNode> parallel_map_node(std::shared_ptr<const DatasetNode> input,
                                                     std::function<Element(const Element&)> fn,
                                                     int64_t threads, bool deterministic);
std::shared_ptr<const DatasetNode> prefetch_node(std::shared_ptr<const DatasetNode> input,
                                                 int64_t buffer_size);

}  // namespace tf::data::detail
