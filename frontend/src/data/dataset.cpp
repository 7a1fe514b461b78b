// tf::data: sources and the sequential transformations.
#include <algorithm>
#include <mutex>
#include <random>

#include "frontend/src/data/nodes.h"
#include "tfjit/creation.h"
#include "tfjit/interop.h"
#include "tfjit/ops.h"

namespace tf::data {

using detail::DatasetNode;
using detail::IteratorNode;
using detail::node_of;

namespace {

// Iterates a lambda-made state: `Next` is called until it returns nullopt.
template <class Next>
struct LambdaIterator : IteratorNode {
  explicit LambdaIterator(Next next) : next_(std::move(next)) {}
  std::optional<Element> next() override { return next_(); }
  Next next_;
};
template <class Next>
std::unique_ptr<IteratorNode> iterator_of(Next next) {
  return std::make_unique<LambdaIterator<Next>>(std::move(next));
}

// The shuffle buffer (TensorFlow's algorithm): filled from the input up to buffer_size, each
// output drawn uniformly from it and its place taken by the buffer's last. One implementation
// for elements and for row indices, so both orders are the same for the same seed.
template <class T>
struct ShuffleBuffer {
  ShuffleBuffer(int64_t size, uint64_t seed) : size(size), rng(seed) {}
  template <class Next>
  std::optional<T> next(Next&& input) {
    while (!exhausted && static_cast<int64_t>(buffer.size()) < size) {
      std::optional<T> e = input();
      if (!e) {
        exhausted = true;
        break;
      }
      buffer.push_back(std::move(*e));
    }
    if (buffer.empty()) return std::nullopt;
    std::uniform_int_distribution<size_t> pick(0, buffer.size() - 1);
    size_t i = pick(rng);
    T out = std::move(buffer[i]);
    buffer[i] = std::move(buffer.back());
    buffer.pop_back();
    return out;
  }
  int64_t size;
  std::mt19937_64 rng;
  std::vector<T> buffer;
  bool exhausted = false;
};

struct ShuffleSpec {
  int64_t buffer_size;
  uint64_t base;
  bool reshuffle;
  uint64_t seed(uint64_t iteration) const { return detail::mix(base, reshuffle ? iteration : 0); }
};

// from_tensor_slices (optionally shuffled): element i is each tensor's row i. Batched directly
// (batch() right after it), a batch is one slice of rows [b, e) per component, or one gather of
// the shuffled rows, not batch_size single rows stacked.
struct SlicesNode : DatasetNode {
  SlicesNode(std::vector<Tensor> tensors, int64_t n, std::optional<ShuffleSpec> shuffle = {})
      : tensors(std::move(tensors)), n(n), shuffle(shuffle) {}
  std::unique_ptr<IteratorNode> make_iterator(uint64_t iteration) const override {
    return rows(iteration, 1, false);
  }
  int64_t cardinality() const override { return n; }
  // Elements of `size` rows each (size 1: the rows themselves, without the batch dim).
  std::unique_ptr<IteratorNode> rows(uint64_t iteration, int64_t size, bool drop_remainder) const {
    std::optional<ShuffleBuffer<int64_t>> order;
    if (shuffle) order.emplace(shuffle->buffer_size, shuffle->seed(iteration));
    return iterator_of([tensors = tensors, n = n, size, drop_remainder, order,
                        next_row = int64_t{0}]() mutable -> std::optional<Element> {
      if (!order) {  // in order: a slice
        const int64_t begin = next_row, end = size > n - begin ? n : begin + size;
        if (begin >= n || (drop_remainder && end - begin < size)) return std::nullopt;
        next_row = end;
        Element e;
        for (const Tensor& t : tensors) e.push_back(size == 1 ? t(begin) : t(slice(begin, end)));
        return e;
      }
      std::vector<int64_t> picked;
      auto input = [&]() -> std::optional<int64_t> {
        if (next_row >= n) return std::nullopt;
        return next_row++;
      };
      while (static_cast<int64_t>(picked.size()) < size)
        if (auto r = order->next(input))
          picked.push_back(*r);
        else
          break;
      if (picked.empty() || (drop_remainder && static_cast<int64_t>(picked.size()) < size))
        return std::nullopt;
      Element e;
      if (size == 1) {
        for (const Tensor& t : tensors) e.push_back(t(picked[0]));
      } else {
        Tensor indices = constant(picked, {static_cast<int64_t>(picked.size())});
        for (const Tensor& t : tensors) e.push_back(gather(t, indices));
      }
      return e;
    });
  }
  std::vector<Tensor> tensors;
  int64_t n;
  std::optional<ShuffleSpec> shuffle;
};

void check_positive(int64_t v, const char* op, const char* what) {
  if (v <= 0)
    throw InvalidArgumentError(std::string("Dataset.") + op + ": " + what +
                               " must be positive, got " + std::to_string(v));
}

// Strings stacked on the host (the stack op takes numbers only): batches of TFRecords and
// other bytes, parsed after batching.
Tensor stack_strings(const std::vector<Tensor>& parts) {
  std::vector<std::string> values;
  for (const Tensor& p : parts) {
    auto v = p.to_vector<std::string>();
    values.insert(values.end(), std::make_move_iterator(v.begin()),
                  std::make_move_iterator(v.end()));
  }
  std::vector<int64_t> dims{static_cast<int64_t>(parts.size())};
  for (int64_t d : parts[0].shape()) dims.push_back(d);
  return tf::detail::make_tensor(values.data(), string, values.size(), TensorShape(dims), string);
}

// Stacks each component of `elements` (a batch), padding to `shapes` first when given.
Element stack_batch(const std::vector<Element>& elements, const std::vector<TensorShape>* shapes,
                    double padding_value) {
  const size_t components = elements[0].size();
  Element out;
  for (size_t c = 0; c < components; ++c) {
    std::vector<Tensor> parts;
    for (const Element& e : elements) {
      if (e.size() != components)
        throw InvalidArgumentError("Dataset.batch: elements with different numbers of components");
      parts.push_back(e[c]);
    }
    if (shapes) {
      const int64_t rank = parts[0].shape().rank();
      std::vector<int64_t> target(static_cast<size_t>(rank), 0);
      for (const Tensor& p : parts) {
        if (p.shape().rank() != rank)
          throw InvalidArgumentError("Dataset.padded_batch: component " + std::to_string(c) +
                                     " has ranks " + std::to_string(rank) + " and " +
                                     std::to_string(p.shape().rank()));
        for (int64_t d = 0; d < rank; ++d) target[d] = std::max(target[d], p.shape()[d]);
      }
      if (c < shapes->size()) {
        const TensorShape& want = (*shapes)[c];
        if (want.rank() != rank)
          throw InvalidArgumentError("Dataset.padded_batch: padded shape " + want.to_string() +
                                     " for component " + std::to_string(c) + " of rank " +
                                     std::to_string(rank));
        for (int64_t d = 0; d < rank; ++d)
          if (want[d] >= 0) {
            if (want[d] < target[d])
              throw InvalidArgumentError("Dataset.padded_batch: an element of shape larger than " +
                                         want.to_string() + " in component " + std::to_string(c));
            target[d] = want[d];
          }
      }
      for (Tensor& p : parts) {
        std::vector<std::pair<int64_t, int64_t>> pads;
        for (int64_t d = 0; d < rank; ++d) pads.emplace_back(0, target[d] - p.shape()[d]);
        p = pad(p, pads, padding_value);
      }
    } else {
      for (const Tensor& p : parts)
        if (p.shape() != parts[0].shape() || p.dtype() != parts[0].dtype())
          throw InvalidArgumentError("Dataset.batch: component " + std::to_string(c) +
                                     " has shapes " + parts[0].shape().to_string() + " and " +
                                     p.shape().to_string() +
                                     " in one batch (padded_batch pads them)");
    }
    out.push_back(parts[0].dtype() == string ? stack_strings(parts) : stack(parts, 0));
  }
  return out;
}

}  // namespace

Dataset Dataset::from_tensor_slices(const std::vector<Tensor>& tensors) {
  if (tensors.empty()) throw InvalidArgumentError("Dataset.from_tensor_slices: no tensors");
  int64_t n = -1;
  for (const Tensor& t : tensors) {
    if (!t.defined() || t.shape().rank() < 1)
      throw InvalidArgumentError("Dataset.from_tensor_slices: each tensor needs a first dim");
    if (n >= 0 && t.shape()[0] != n)
      throw InvalidArgumentError("Dataset.from_tensor_slices: first dims differ: " +
                                 std::to_string(n) + " and " + std::to_string(t.shape()[0]));
    n = t.shape()[0];
  }
  return Dataset(std::make_shared<SlicesNode>(tensors, n));
}

Dataset Dataset::from_tensor_slices(const std::map<std::string, Tensor>& tensors) {
  std::vector<Tensor> values;
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors) {
    names.push_back(name);
    values.push_back(t);
  }
  Dataset d = from_tensor_slices(values);
  d.names_ = std::move(names);
  return d;
}

Dataset Dataset::from_tensors(const std::vector<Tensor>& tensors) {
  if (tensors.empty()) throw InvalidArgumentError("Dataset.from_tensors: no tensors");
  return Dataset(node_of(
      [tensors](uint64_t) {
        return iterator_of([tensors, done = false]() mutable -> std::optional<Element> {
          if (done) return std::nullopt;
          done = true;
          return tensors;
        });
      },
      1));
}

Dataset Dataset::range(int64_t start, int64_t stop, int64_t step) {
  if (step == 0) throw InvalidArgumentError("Dataset.range: step must not be 0");
  // In unsigned arithmetic: stop - start may exceed int64's range.
  auto span = [](int64_t hi, int64_t lo) {
    return static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  };
  uint64_t n =
      step > 0
          ? (stop > start ? (span(stop, start) - 1) / static_cast<uint64_t>(step) + 1 : 0)
          : (start > stop ? (span(start, stop) - 1) / (0 - static_cast<uint64_t>(step)) + 1 : 0);
  int64_t count = static_cast<int64_t>(n);
  return Dataset(node_of(
      [start, step, count](uint64_t) {
        return iterator_of(
            [start, step, count, i = int64_t{0}]() mutable -> std::optional<Element> {
              if (i >= count) return std::nullopt;
              return Element{constant(start + step * i++)};
            });
      },
      count));
}

Dataset Dataset::from_generator(
    std::function<std::function<std::optional<Element>()>()> make_generator) {
  if (!make_generator) throw InvalidArgumentError("Dataset.from_generator: null generator");
  return Dataset(node_of(
      [make_generator](uint64_t) {
        auto gen = make_generator();
        if (!gen) throw InvalidArgumentError("Dataset.from_generator: null generator");
        return iterator_of([gen] { return gen(); });
      },
      UNKNOWN_CARDINALITY));
}

Dataset Dataset::from_npy_files(const std::vector<std::string>& paths) {
  std::vector<Tensor> tensors;
  for (const auto& p : paths) tensors.push_back(load_npy(p));
  return from_tensor_slices(tensors);
}

Dataset Dataset::map(std::function<Element(const Element&)> fn, int64_t num_parallel_calls,
                     bool deterministic) const {
  if (!fn) throw InvalidArgumentError("Dataset.map: null function");
  if (num_parallel_calls != 1)
    return Dataset(
        detail::parallel_map_node(node_, std::move(fn), num_parallel_calls, deterministic), names_);
  return Dataset(
      node_of(
          [input = node_, fn](uint64_t iteration) {
            return iterator_of([it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                                fn]() -> std::optional<Element> {
              auto e = it->next();
              if (!e) return std::nullopt;
              return fn(*e);
            });
          },
          node_->cardinality()),
      names_);
}

Dataset Dataset::filter(std::function<bool(const Element&)> predicate) const {
  if (!predicate) throw InvalidArgumentError("Dataset.filter: null predicate");
  int64_t c =
      node_->cardinality() == INFINITE_CARDINALITY ? INFINITE_CARDINALITY : UNKNOWN_CARDINALITY;
  return Dataset(
      node_of(
          [input = node_, predicate](uint64_t iteration) {
            return iterator_of([it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                                predicate]() -> std::optional<Element> {
              while (auto e = it->next())
                if (predicate(*e)) return e;
              return std::nullopt;
            });
          },
          c),
      names_);
}

Dataset Dataset::shuffle(int64_t buffer_size, std::optional<uint64_t> seed,
                         bool reshuffle_each_iteration) const {
  check_positive(buffer_size, "shuffle", "buffer_size");
  // Unseeded: a seed drawn now from the global generator (reproducible after set_seed).
  uint64_t base =
      seed ? *seed
           : static_cast<uint64_t>(random::uniform({}, 0, 2147483647.0, int64).item<int64_t>());
  const ShuffleSpec spec{buffer_size, base, reshuffle_each_iteration};
  // Slices shuffle their row indices (the same order), so a batch after is one gather.
  if (auto slices = std::dynamic_pointer_cast<const SlicesNode>(node_); slices && !slices->shuffle)
    return Dataset(std::make_shared<SlicesNode>(slices->tensors, slices->n, spec), names_);
  return Dataset(
      node_of(
          [input = node_, spec](uint64_t iteration) {
            return iterator_of(
                [it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                 buffer = ShuffleBuffer<Element>(spec.buffer_size, spec.seed(iteration))]() mutable
                -> std::optional<Element> { return buffer.next([&] { return it->next(); }); });
          },
          node_->cardinality()),
      names_);
}

namespace {
int64_t batched_cardinality(int64_t c, int64_t batch_size, bool drop_remainder) {
  if (c < 0) return c;
  return drop_remainder ? c / batch_size : (c + batch_size - 1) / batch_size;
}
}  // namespace

Dataset Dataset::batch(int64_t batch_size, bool drop_remainder) const {
  check_positive(batch_size, "batch", "batch_size");
  if (auto slices = std::dynamic_pointer_cast<const SlicesNode>(node_); slices && batch_size > 1)
    return Dataset(node_of(
                       [slices, batch_size, drop_remainder](uint64_t iteration) {
                         return slices->rows(iteration, batch_size, drop_remainder);
                       },
                       batched_cardinality(slices->n, batch_size, drop_remainder)),
                   names_);
  return padded_batch_impl(batch_size, nullptr, 0, drop_remainder);
}

Dataset Dataset::padded_batch(int64_t batch_size, std::vector<TensorShape> padded_shapes,
                              double padding_value, bool drop_remainder) const {
  check_positive(batch_size, "padded_batch", "batch_size");
  return padded_batch_impl(batch_size,
                           std::make_shared<std::vector<TensorShape>>(std::move(padded_shapes)),
                           padding_value, drop_remainder);
}

Dataset Dataset::padded_batch_impl(int64_t batch_size,
                                   std::shared_ptr<std::vector<TensorShape>> shapes,
                                   double padding_value, bool drop_remainder) const {
  return Dataset(
      node_of(
          [input = node_, batch_size, shapes, padding_value, drop_remainder](uint64_t iteration) {
            return iterator_of([it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                                batch_size, shapes, padding_value,
                                drop_remainder]() -> std::optional<Element> {
              std::vector<Element> elements;
              while (static_cast<int64_t>(elements.size()) < batch_size) {
                auto e = it->next();
                if (!e) break;
                elements.push_back(std::move(*e));
              }
              if (elements.empty() ||
                  (drop_remainder && static_cast<int64_t>(elements.size()) < batch_size))
                return std::nullopt;
              return stack_batch(elements, shapes.get(), padding_value);
            });
          },
          batched_cardinality(node_->cardinality(), batch_size, drop_remainder)),
      names_);
}

Dataset Dataset::repeat(int64_t count) const {
  if (count < -1) throw InvalidArgumentError("Dataset.repeat: count must be >= -1");
  int64_t c = node_->cardinality();
  int64_t out = 0;
  if (count == 0 || c == 0)
    out = 0;
  else if (count < 0 || c == INFINITE_CARDINALITY)
    out = INFINITE_CARDINALITY;
  else if (c < 0)
    out = c;
  else if (__builtin_mul_overflow(c, count, &out))
    out = UNKNOWN_CARDINALITY;  // more elements than an int64 counts
  return Dataset(
      node_of(
          [input = node_, count](uint64_t iteration) {
            return iterator_of([input, count, iteration, round = int64_t{0},
                                it = std::shared_ptr<IteratorNode>(),
                                produced = false]() mutable -> std::optional<Element> {
              while (count < 0 || round < count) {
                if (!it) {
                  it = input->make_iterator(detail::mix(iteration, static_cast<uint64_t>(round)));
                  produced = false;
                }
                if (auto e = it->next()) {
                  produced = true;
                  return e;
                }
                it.reset();
                ++round;
                if (!produced) return std::nullopt;  // an empty input repeats forever empty
              }
              return std::nullopt;
            });
          },
          out),
      names_);
}

Dataset Dataset::take(int64_t count) const {
  if (count < -1) throw InvalidArgumentError("Dataset.take: count must be >= -1");
  int64_t c = node_->cardinality();
  int64_t out = count < 0 ? c : c == INFINITE_CARDINALITY ? count : c < 0 ? c : std::min(c, count);
  return Dataset(
      node_of(
          [input = node_, count](uint64_t iteration) {
            return iterator_of([it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                                count, i = int64_t{0}]() mutable -> std::optional<Element> {
              if (count >= 0 && i >= count) return std::nullopt;
              ++i;
              return it->next();
            });
          },
          out),
      names_);
}

Dataset Dataset::skip(int64_t count) const {
  if (count < -1) throw InvalidArgumentError("Dataset.skip: count must be >= -1");
  int64_t c = node_->cardinality();
  if (count < 0 && c == INFINITE_CARDINALITY)
    throw InvalidArgumentError("Dataset.skip(-1) of an infinite dataset never ends");
  int64_t out = c < 0 ? c : count < 0 ? 0 : std::max<int64_t>(0, c - count);
  return Dataset(
      node_of(
          [input = node_, count](uint64_t iteration) {
            return iterator_of([it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                                count, skipped = false]() mutable -> std::optional<Element> {
              if (!skipped) {
                skipped = true;
                for (int64_t i = 0; count < 0 || i < count; ++i)
                  if (!it->next()) return std::nullopt;
              }
              return it->next();
            });
          },
          out),
      names_);
}

Dataset Dataset::prefetch(int64_t buffer_size) const {
  if (buffer_size == AUTOTUNE) buffer_size = 2;
  check_positive(buffer_size, "prefetch", "buffer_size");
  return Dataset(detail::prefetch_node(node_, buffer_size), names_);
}

Dataset Dataset::cache() const {
  struct Cache {
    std::mutex mutex;
    std::optional<std::vector<Element>> elements;  // set once a pass completed
  };
  auto cache = std::make_shared<Cache>();
  return Dataset(
      node_of(
          [input = node_, cache](uint64_t iteration) -> std::unique_ptr<IteratorNode> {
            {
              std::lock_guard lock(cache->mutex);
              if (cache->elements)
                return iterator_of([elements = *cache->elements,
                                    i = size_t{0}]() mutable -> std::optional<Element> {
                  if (i >= elements.size()) return std::nullopt;
                  return elements[i++];
                });
            }
            return iterator_of([it = std::shared_ptr<IteratorNode>(input->make_iterator(iteration)),
                                cache,
                                seen = std::vector<Element>()]() mutable -> std::optional<Element> {
              auto e = it->next();
              if (e) {
                seen.push_back(*e);
                return e;
              }
              std::lock_guard lock(cache->mutex);
              if (!cache->elements) cache->elements = std::move(seen);
              return std::nullopt;
            });
          },
          node_->cardinality()),
      names_);
}

int64_t Dataset::cardinality() const { return node_->cardinality(); }

Iterator Dataset::make_iterator() const { return Iterator(node_); }

Iterator Dataset::begin() const {
  Iterator it(node_);
  ++it;
  return it;
}

Iterator::Iterator(std::shared_ptr<const DatasetNode> node) : node_(std::move(node)) {
  iteration_ = node_->iterations++;
  it_ = node_->make_iterator(iteration_);
}
Iterator::Iterator(Iterator&&) noexcept = default;
Iterator& Iterator::operator=(Iterator&&) noexcept = default;
Iterator::~Iterator() = default;

std::optional<Element> Iterator::get_next() {
  if (!it_) throw FailedPreconditionError("Iterator.get_next: a moved-from iterator");
  if (done_) return std::nullopt;
  auto e = it_->next();
  if (!e) {
    done_ = true;
    return std::nullopt;
  }
  ++position_;
  return e;
}

Iterator& Iterator::operator++() {
  auto e = get_next();
  if (e) current_ = std::move(*e);
  return *this;
}

void Iterator::restore(uint64_t iteration, int64_t position) {
  if (position < 0) throw InvalidArgumentError("Iterator.restore: negative position");
  if (!node_) throw FailedPreconditionError("Iterator.restore: a moved-from iterator");
  iteration_ = iteration;
  // Later passes must not reuse this pass's number (and so its shuffle order).
  for (uint64_t seen = node_->iterations; seen <= iteration;)
    node_->iterations.compare_exchange_weak(seen, iteration + 1);
  it_ = node_->make_iterator(iteration_);
  done_ = false;
  position_ = 0;
  for (int64_t i = 0; i < position; ++i)
    if (!get_next())
      throw OutOfRangeError("Iterator.restore: the dataset ends after " + std::to_string(i) +
                            " elements, before position " + std::to_string(position));
}

}  // namespace tf::data
