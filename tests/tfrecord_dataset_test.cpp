// tf::data::TFRecordDataset, tf::io::TFRecordWriter and tf::io::parse_single_example against
// TensorFlow's own files (tests/golden/tfrecord, written by tf.io.TFRecordWriter).
#include <fstream>
#include <sstream>

#include "tests/helpers.h"

namespace {

const std::string kDir = std::string(TFJIT_GOLDEN_DIR) + "/tfrecord/";

std::string temp_path(const std::string& name) {
  return std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/tfjit_tfr_" + name;
}
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// prefix + i (appending, which dodges GCC 12's -Wrestrict false positive on "lit" + string).
std::string cat(std::string prefix, int64_t i) {
  prefix += std::to_string(i);
  return prefix;
}

std::vector<std::string> records(const tf::data::Dataset& ds) {
  std::vector<std::string> out;
  for (const auto& e : ds) {
    REQUIRE(e.size() == 1);
    REQUIRE(e[0].dtype() == tf::string);
    REQUIRE(e[0].shape().rank() == 0);
    out.push_back(e[0].item<std::string>());
  }
  return out;
}

const std::map<std::string, tf::io::FixedLenFeature> kFeatures = {
    {"image", {{2, 2}, tf::float32}},
    {"label", {{}, tf::int64}},
    {"name", {{}, tf::string}},
    {"tags", {{2}, tf::string}},
    {"weight", {{1}, tf::float32, tf::constant(7.0f)}},
};

}  // namespace

TEST_CASE("TFRecordDataset reads TensorFlow's TFRecord files in order, file after file") {
  const std::vector<std::string> strings = {"first", "", std::string("third \0 record", 14)};
  auto ds = tf::data::TFRecordDataset({kDir + "strings.tfrecord", kDir + "strings.tfrecord"});
  CHECK(ds.cardinality() == tf::data::UNKNOWN_CARDINALITY);
  auto got = records(ds);
  REQUIRE(got.size() == 6);
  for (size_t i = 0; i < 6; ++i) CHECK(got[i] == strings[i % 3]);
  CHECK(records(ds) == got);  // each iteration reads afresh
  // An iterator restored to a position gives the next record.
  auto it = ds.make_iterator();
  it.restore(4);
  CHECK(it.get_next()->at(0).item<std::string>() == strings[1]);
}

TEST_CASE("parse_single_example reads TensorFlow's tf.train.Examples with defaults") {
  auto ds =
      tf::data::TFRecordDataset({kDir + "examples.tfrecord"}).map([](const tf::data::Element& e) {
        auto f = tf::io::parse_single_example(e[0], kFeatures);
        return tf::data::Element{f["image"], f["label"], f["name"], f["tags"], f["weight"]};
      });
  int64_t i = 0;
  for (const auto& e : ds) {
    INFO("example " << i);
    const float fi = static_cast<float>(i);
    CHECK(e[0].shape() == tf::TensorShape({2, 2}));
    CHECK(e[0].to_vector<float>() == std::vector<float>{fi + 0.5f, -fi, 2 * fi, 0.25f});
    CHECK(e[1].dtype() == tf::int64);
    CHECK(e[1].item<int64_t>() == i * 1000000007);
    CHECK(e[2].item<std::string>() == cat("example-", i));
    CHECK(e[3].to_vector<std::string>() ==
          std::vector<std::string>{cat("a", i), std::string("\0b\xff", 3)});
    CHECK(e[4].shape() == tf::TensorShape({1}));
    CHECK(e[4].to_vector<float>()[0] == (i == 2 ? 7.0f : 0.5f * fi));  // the third lacks it
    ++i;
  }
  CHECK(i == 3);
  // Batching parsed examples stacks them (the numeric features: string batches are pending).
  auto numeric = ds.map([](const tf::data::Element& e) { return tf::data::Element{e[0], e[1]}; });
  auto batch = *numeric.batch(3).make_iterator().get_next();
  CHECK(batch[0].shape() == tf::TensorShape({3, 2, 2}));
  CHECK(batch[1].to_vector<int64_t>() == std::vector<int64_t>{0, 1000000007, 2000000014});
}

TEST_CASE("parse_single_example and TFRecordDataset raise InvalidArgumentError on bad input") {
  const auto serialized = records(tf::data::TFRecordDataset({kDir + "examples.tfrecord"}));
  const tf::Tensor third = tf::constant(serialized[2]);
  auto throws = [](auto&& fn, const std::string& message) {
    INFO(message);
    CHECK_THROWS_WITH(fn(), Catch::Contains(message));
  };
  using F = tf::io::FixedLenFeature;
  throws(
      [&] {
        tf::io::parse_single_example(third, {{"weight", F{{1}, tf::float32}}});
      },
      "feature 'weight' (dtype float32) is required but the example lacks it");
  throws(
      [&] {
        tf::io::parse_single_example(third, {{"label", F{{}, tf::float32}}});
      },
      "feature 'label' holds a int64_list, dtype float32 needs a float_list");
  throws(
      [&] {
        tf::io::parse_single_example(third, {{"image", F{{3}, tf::float32}}});
      },
      "feature 'image' has 4 values, shape (3,) needs 3");
  throws(
      [&] {
        tf::io::parse_single_example(third, {{"image", F{{4}, tf::float64}}});
      },
      "a FixedLenFeature is float32, int64 or string");
  throws(
      [&] {
        tf::io::parse_single_example(third, {{"image", F{{-1}, tf::float32}}});
      },
      "fully known");
  throws([&] { tf::io::parse_single_example(tf::constant(std::string("\xff\xff\xff")), {}); },
         "not a serialized tf.train.Example");
  throws(
      [&] {
        tf::io::parse_single_example(tf::constant({"a", "b"}), {});
      },
      "expected a scalar string tensor");
  throws([&] { tf::io::parse_single_example(tf::constant(1.0f), {}); },
         "expected a scalar string tensor");
  throws([&] { records(tf::data::TFRecordDataset({temp_path("missing.tfrecord")})); },
         "missing.tfrecord");
  // A corrupted byte in the second record's data.
  std::string bytes = read_file(kDir + "strings.tfrecord");
  bytes[16 + 5 + 12 + 2] ^= 0x20;  // record 0: 12 + 5 + 4 bytes; record 1 is empty
  const std::string corrupt = temp_path("corrupt.tfrecord");
  std::ofstream(corrupt, std::ios::binary) << bytes;
  throws([&] { records(tf::data::TFRecordDataset({corrupt})); }, "corrupt.tfrecord: record at");
}

TEST_CASE("tf::io::TFRecordWriter writes the bytes TensorFlow writes") {
  const std::string path = temp_path("written.tfrecord");
  {
    tf::io::TFRecordWriter writer(path);
    writer.write("first");
    writer.write(tf::constant(std::string()));
    writer.write(std::string("third \0 record", 14));
    writer.close();
  }
  CHECK(read_file(path) == read_file(kDir + "strings.tfrecord"));
  tf::io::TFRecordWriter writer(temp_path("other.tfrecord"));
  CHECK_THROWS_AS(writer.write(tf::constant({"a", "b"})), tf::InvalidArgumentError);
}
