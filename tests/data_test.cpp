// tf::data: element order, batching, seeds and reshuffles, threads (parallel map, prefetch with a
// slow producer), iterator restore, cardinality and errors. Expected values are hand-computed.
#include <chrono>
#include <thread>

#include "tests/helpers.h"

namespace {

using tf::data::Dataset;
using tf::data::Element;

// The first component of each element, as int64 values (a batch: its values in order).
std::vector<std::vector<int64_t>> collect(const Dataset& ds) {
  std::vector<std::vector<int64_t>> out;
  for (const Element& e : ds) out.push_back(tf::cast(e[0], tf::int64).to_vector<int64_t>());
  return out;
}
std::vector<int64_t> flat(const Dataset& ds) {
  std::vector<int64_t> out;
  for (auto& v : collect(ds)) out.insert(out.end(), v.begin(), v.end());
  return out;
}

}  // namespace

TEST_CASE("Dataset sources and sequential transformations give elements in order") {
  CHECK(flat(Dataset::range(5)) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(flat(Dataset::range(10, 0, -3)) == std::vector<int64_t>{10, 7, 4, 1});
  auto x = tf::constant({{1, 2}, {3, 4}, {5, 6}});
  auto y = tf::constant({10, 20, 30});
  std::vector<std::pair<std::vector<int64_t>, int64_t>> pairs;
  for (const Element& e : Dataset::from_tensor_slices({x, y}))
    pairs.emplace_back(tf::cast(e[0], tf::int64).to_vector<int64_t>(), e[1].item<int32_t>());
  CHECK(pairs == std::vector<std::pair<std::vector<int64_t>, int64_t>>{
                     {{1, 2}, 10}, {{3, 4}, 20}, {{5, 6}, 30}});
  auto named = Dataset::from_tensor_slices(std::map<std::string, tf::Tensor>{{"b", y}, {"a", x}});
  CHECK(named.component_names() == std::vector<std::string>{"a", "b"});
  auto ds = Dataset::range(10)
                .map([](const Element& e) { return Element{e[0] * int64_t{2}}; })
                .filter([](const Element& e) { return e[0].item<int64_t>() % 3 != 0; })
                .skip(1)
                .take(4);
  CHECK(flat(ds) == std::vector<int64_t>{4, 8, 10, 14});
  CHECK(collect(Dataset::range(7).batch(3)) ==
        std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6}});
  CHECK(collect(Dataset::range(7).batch(3, /*drop_remainder=*/true)) ==
        std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}});
  // Batches straight from slices are cut as row ranges: the same batches.
  auto rows = tf::reshape(tf::range(0, 14), {7, 2});
  CHECK(collect(Dataset::from_tensor_slices(rows).batch(3)) ==
        std::vector<std::vector<int64_t>>{{0, 1, 2, 3, 4, 5}, {6, 7, 8, 9, 10, 11}, {12, 13}});
  CHECK(collect(Dataset::from_tensor_slices(rows).batch(3, true)).size() == 2);
  CHECK(Dataset::from_tensor_slices(rows).batch(3, true).cardinality() == 2);
  CHECK(flat(Dataset::range(3).repeat(2)) == std::vector<int64_t>{0, 1, 2, 0, 1, 2});
  CHECK(flat(Dataset::range(2).repeat().take(5)) == std::vector<int64_t>{0, 1, 0, 1, 0});
  int calls = 0;
  auto gen = Dataset::from_generator([&calls] {
    ++calls;
    return [i = 0]() mutable -> std::optional<Element> {
      if (i == 3) return std::nullopt;
      return Element{tf::constant(int64_t{i++})};
    };
  });
  CHECK(flat(gen) == std::vector<int64_t>{0, 1, 2});
  CHECK(flat(gen) == std::vector<int64_t>{0, 1, 2});  // a new generator per pass
  CHECK(calls == 2);
}

TEST_CASE("batch stacks string elements too") {
  // Scalar strings, as TFRecordDataset yields them, batched before parsing.
  auto ds = Dataset::from_generator([] {
              return [i = 0]() mutable -> std::optional<Element> {
                if (i == 3) return std::nullopt;
                return Element{tf::constant(std::string(static_cast<size_t>(++i), 'a'))};
              };
            }).batch(2);
  std::vector<std::vector<std::string>> batches;
  for (const Element& e : ds) {
    CHECK(e[0].dtype() == tf::string);
    batches.push_back(e[0].to_vector<std::string>());
  }
  CHECK(batches == std::vector<std::vector<std::string>>{{"a", "aa"}, {"aaa"}});
}

TEST_CASE("Dataset cardinality follows the transformations") {
  CHECK(Dataset::range(10).batch(3).cardinality() == 4);
  CHECK(Dataset::range(10).batch(3, true).cardinality() == 3);
  CHECK(Dataset::range(10).repeat().cardinality() == tf::data::INFINITE_CARDINALITY);
  CHECK(Dataset::range(10).repeat().take(7).cardinality() == 7);
  CHECK(Dataset::range(10).filter([](const Element&) { return true; }).cardinality() ==
        tf::data::UNKNOWN_CARDINALITY);
  CHECK(Dataset::range(10).skip(4).repeat(2).cardinality() == 12);
}

TEST_CASE("padded_batch pads each component to the batch's largest shape or the given one") {
  auto ds = Dataset::range(1, 4).map([](const Element& e) {
    int64_t n = e[0].item<int64_t>();
    return Element{tf::fill({n}, static_cast<double>(n), tf::int64)};
  });
  CHECK(collect(ds.padded_batch(3)) ==
        std::vector<std::vector<int64_t>>{{1, 0, 0, 2, 2, 0, 3, 3, 3}});
  auto fixed = ds.padded_batch(2, {tf::TensorShape({4})}, -1);
  CHECK(collect(fixed) ==
        std::vector<std::vector<int64_t>>{{1, -1, -1, -1, 2, 2, -1, -1}, {3, 3, 3, -1}});
  CHECK_THROWS_AS(flat(ds.batch(3)), tf::InvalidArgumentError);  // ragged without padding
  CHECK_THROWS_AS(flat(ds.padded_batch(3, {tf::TensorShape({2})})), tf::InvalidArgumentError);
}

TEST_CASE("shuffle is a permutation, reproducible by seed, and reshuffles per pass") {
  auto ds = Dataset::range(50).shuffle(10, /*seed=*/7);
  auto first = flat(ds), second = flat(ds);
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == flat(Dataset::range(50)));
  CHECK(first != flat(Dataset::range(50)));
  CHECK(first != second);                                   // a new order each pass
  CHECK(flat(Dataset::range(50).shuffle(10, 7)) == first);  // the same seed, the same passes
  auto fixed = Dataset::range(50).shuffle(10, 7, /*reshuffle_each_iteration=*/false);
  CHECK(flat(fixed) == flat(fixed));
  // A buffer of 10: element i cannot come out before position i - 9.
  for (size_t pos = 0; pos < first.size(); ++pos)
    CHECK(first[pos] <= static_cast<int64_t>(pos) + 9);
  tf::random::set_seed(3);
  auto a = flat(Dataset::range(20).shuffle(20));
  tf::random::set_seed(3);
  CHECK(flat(Dataset::range(20).shuffle(20)) == a);  // unseeded: reproducible after set_seed
  // Slices shuffle their row indices (then a batch is one gather): the same order as shuffling
  // the elements, pass after pass, batched or not.
  auto slices = Dataset::from_tensor_slices(tf::range(50, tf::int64));
  auto generic = Dataset::range(50);
  CHECK(flat(slices.shuffle(10, 7)) == flat(generic.shuffle(10, 7)));
  auto sliced = slices.shuffle(10, 7).batch(4), elementwise = generic.shuffle(10, 7).batch(4);
  auto a0 = collect(sliced), b0 = collect(elementwise), a1 = collect(sliced),
       b1 = collect(elementwise);
  CHECK(a0 == b0);
  CHECK(a1 == b1);
  CHECK(a0 != a1);  // the second pass reshuffles
  // Under repeat, each repetition reshuffles.
  auto rep = flat(Dataset::range(20).shuffle(20, 1).repeat(2));
  CHECK(std::vector<int64_t>(rep.begin(), rep.begin() + 20) !=
        std::vector<int64_t>(rep.begin() + 20, rep.end()));
}

TEST_CASE("parallel map keeps the input order and propagates a worker's error") {
  auto slow_square = [](const Element& e) {
    int64_t v = e[0].item<int64_t>();
    std::this_thread::sleep_for(std::chrono::microseconds((v * 37) % 5 * 200));
    return Element{tf::constant(v * v)};
  };
  std::vector<int64_t> want;
  for (int64_t i = 0; i < 40; ++i) want.push_back(i * i);
  for (int threads : {2, 4, static_cast<int>(tf::data::AUTOTUNE)})
    CHECK(flat(Dataset::range(40).map(slow_square, threads)) == want);
  auto any_order = flat(Dataset::range(40).map(slow_square, 4, /*deterministic=*/false));
  std::sort(any_order.begin(), any_order.end());
  CHECK(any_order == want);
  auto failing = Dataset::range(10).map(
      [](const Element& e) {
        if (e[0].item<int64_t>() == 6) throw tf::InvalidArgumentError("bad element 6");
        return e;
      },
      3);
  std::vector<int64_t> seen;
  auto it = failing.make_iterator();
  CHECK_THROWS_AS(
      [&] {
        while (auto e = it.get_next()) seen.push_back(e->at(0).item<int64_t>());
      }(),
      tf::InvalidArgumentError);
  CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("prefetch overlaps a slow producer with the consumer and ends cleanly") {
  using clock = std::chrono::steady_clock;
  auto slow = Dataset::range(6).map([](const Element& e) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return e;
  });
  auto consume = [](const Dataset& ds) {
    auto start = clock::now();
    std::vector<int64_t> out;
    for (const Element& e : ds) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the "training step"
      out.push_back(e[0].item<int64_t>());
    }
    return std::pair{out, std::chrono::duration<double>(clock::now() - start).count()};
  };
  auto [serial, serial_s] = consume(slow);
  auto [prefetched, prefetched_s] = consume(slow.prefetch(2));
  CHECK(prefetched == serial);
  // Serial: 6 x (20 + 20) ms; overlapped: about 6 x 20 ms. A generous margin for a loaded box.
  CHECK(prefetched_s < serial_s * 0.85);
  // Abandoning a prefetching iterator mid-way joins its thread.
  {
    auto it = Dataset::range(1000).prefetch(4).make_iterator();
    it.get_next();
  }
  auto failing =
      Dataset::range(3)
          .map([](const Element&) -> Element { throw tf::InvalidArgumentError("producer failed"); })
          .prefetch(2);
  CHECK_THROWS_AS(flat(failing), tf::InvalidArgumentError);
}

TEST_CASE("an iterator restored to a saved position gives the same next batch") {
  auto ds = Dataset::range(100).shuffle(30, 5).batch(8).prefetch(2);
  auto it = ds.make_iterator();
  for (int i = 0; i < 3; ++i) it.get_next();
  int64_t position = it.position();
  uint64_t pass = it.iteration();
  auto expected = tf::cast(it.get_next()->at(0), tf::int64).to_vector<int64_t>();
  auto other = ds.make_iterator();  // another pass, another order
  other.restore(pass, position);
  CHECK(tf::cast(other.get_next()->at(0), tf::int64).to_vector<int64_t>() == expected);
  CHECK_THROWS_AS(other.restore(pass, 1000), tf::OutOfRangeError);
}

TEST_CASE("cache replays the first complete pass") {
  int produced = 0;
  auto ds = Dataset::range(4)
                .map([&produced](const Element& e) {
                  ++produced;
                  return e;
                })
                .cache();
  CHECK(flat(ds) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(flat(ds) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(produced == 4);
}

TEST_CASE("Dataset rejects bad arguments with typed errors") {
  CHECK_THROWS_AS(Dataset::from_tensor_slices({tf::ones({3}), tf::ones({4})}),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::from_tensor_slices(tf::constant(1.0f)), tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::range(0, 5, 0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::range(5).batch(0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::range(5).shuffle(0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::range(5).map(nullptr), tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::range(5).map([](const Element& e) { return e; }, -5),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(Dataset::range(5).repeat(-2), tf::InvalidArgumentError);
  CHECK(flat(Dataset::range(0).repeat()).empty());  // an empty dataset repeated ends
}
