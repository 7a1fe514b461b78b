// TensorFlow's on-disk formats, low level (frontend/src/train): the tensor bundle (checkpoint V2)
// and its LevelDB table, the TrackableObjectGraph, TFRecord files. Golden files written by
// TensorFlow 2.21 and Keras 3 (tests/golden/checkpoint/make_checkpoint_golden.py) are read and
// compared value by value; every corrupted or truncated file must raise a typed error.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "frontend/src/train/crc32c.h"
#include "frontend/src/train/object_graph.h"
#include "frontend/src/train/sstable.h"
#include "frontend/src/train/tensor_bundle.h"
#include "frontend/src/train/tfrecord.h"
#include "tests/helpers.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tf::detail::BundleReader;

namespace {
const std::string kGolden = std::string(TFJIT_GOLDEN_DIR) + "/checkpoint";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}
json read_json(const std::string& path) { return json::parse(read_bytes(path)); }

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    const char* tmp = std::getenv("TMPDIR");
    path = fs::path(tmp ? tmp : "/tmp") /
           ("tfjit_ckpt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// A tensor's values as JSON, in the manifest's terms (floats as doubles, ints as int64).
json values_of(const tf::Tensor& t) {
  json out = json::array();
  switch (t.dtype()) {
    case tf::float16:
      for (auto v : t.to_vector<tf::float16_t>()) out.push_back(double(float(v)));
      break;
    case tf::bfloat16:
      for (auto v : t.to_vector<tf::bfloat16_t>()) out.push_back(double(float(v)));
      break;
    case tf::float32:
      for (auto v : t.to_vector<float>()) out.push_back(double(v));
      break;
    case tf::float64:
      for (auto v : t.to_vector<double>()) out.push_back(v);
      break;
    case tf::int8:
      for (auto v : t.to_vector<int8_t>()) out.push_back(int64_t(v));
      break;
    case tf::int16:
      for (auto v : t.to_vector<int16_t>()) out.push_back(int64_t(v));
      break;
    case tf::int32:
      for (auto v : t.to_vector<int32_t>()) out.push_back(int64_t(v));
      break;
    case tf::int64:
      for (auto v : t.to_vector<int64_t>()) out.push_back(v);
      break;
    case tf::uint8:
      for (auto v : t.to_vector<uint8_t>()) out.push_back(int64_t(v));
      break;
    case tf::bool_:
      for (bool v : t.to_vector<bool>()) out.push_back(v);
      break;
    case tf::string:
      for (auto& v : t.to_vector<std::string>()) out.push_back(v);
      break;
    default:
      FAIL("unexpected dtype " << t.dtype());
  }
  return out;
}

std::vector<int64_t> dims_of(const tf::TensorShape& s) { return {s.begin(), s.end()}; }

// Every key of the checkpoint at `prefix` matches the manifest's dtype, shape and values.
void check_against_manifest(const std::string& prefix, const std::string& manifest) {
  BundleReader reader(prefix);
  json expected = read_json(manifest);
  std::vector<std::string> keys;
  for (auto& [key, _] : expected.items()) keys.push_back(key);
  CHECK(reader.keys() == keys);
  for (auto& [key, want] : expected.items()) {
    INFO("key " << key);
    tf::Tensor t = reader.get(key);
    CHECK(std::string(tf::dtype_name(t.dtype())) == want["dtype"].get<std::string>());
    CHECK(dims_of(t.shape()) == want["shape"].get<std::vector<int64_t>>());
    if (key == tf::detail::kObjectGraphKey)
      CHECK(t.item<std::string>().size() == want["bytes"].get<size_t>());
    else
      CHECK(values_of(t) == want["values"]);
  }
}

// Reads everything in the checkpoint (index and every tensor).
void read_everything(const std::string& prefix) {
  BundleReader reader(prefix);
  for (const auto& key : reader.keys()) reader.get(key);
}

// One tensor of every dtype, including a scalar, an empty shape and strings.
std::vector<std::pair<std::string, tf::Tensor>> dtype_zoo() {
  return {
      {"f32", tf::constant({{1.5f, -2.0f}, {0.0f, 3.25f}})},
      {"f64", tf::constant(3.141592653589793, tf::float64)},
      {"f16", tf::constant({0.5f, -1.0f, 65504.0f}, tf::float16)},
      {"bf16", tf::constant({1.0f, -2.5f}, tf::bfloat16)},
      {"i8", tf::constant(std::vector<int8_t>{-128, 0, 127})},
      {"i16", tf::constant(std::vector<int16_t>{-32768, 32767})},
      {"i32", tf::constant({1, -2, 2147483647})},
      {"i64", tf::constant(std::vector<int64_t>{1, -9223372036854775807LL}, {2, 1})},
      {"u8", tf::constant(std::vector<uint8_t>{0, 200, 255})},
      {"flags", tf::constant(std::vector<bool>{true, false, true})},
      {"empty", tf::zeros({0, 3})},
      {"a/nested.key", tf::constant(7)},
      {"text", tf::constant({"ab", "", "a longer string, caf\xc3\xa9"})},
      {"scalar_text", tf::constant(std::string(300, 'x'))},
  };
}

}  // namespace

TEST_CASE("checkpoint format: crc32c matches the standard check values and TensorFlow's mask",
          "[checkpoint]") {
  namespace crc = tf::detail::crc32c;
  CHECK(crc::value(std::string_view("123456789")) == 0xe3069283u);
  CHECK(crc::value(std::string(32, '\0')) == 0x8a9136aau);  // RFC 3720, B.4
  CHECK(crc::value(std::string(32, '\xff')) == 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  CHECK(crc::value(ascending) == 0x46dd794eu);
  // Extending in pieces equals one pass, for every split (exercises the 8-byte loop's edges).
  std::string text = "The quick brown fox jumps over the lazy dog, again and again";
  for (size_t split = 0; split <= text.size(); ++split)
    CHECK(crc::extend(crc::value(text.data(), split), text.data() + split, text.size() - split) ==
          crc::value(text));
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu}) CHECK(crc::unmask(crc::mask(v)) == v);
  CHECK(crc::mask(0) == 0xa282ead8u);
}

TEST_CASE("checkpoint format: reads TensorFlow's checkpoint of variables of every dtype",
          "[checkpoint]") {
  check_against_manifest(kGolden + "/plain/ckpt", kGolden + "/plain.json");
  BundleReader reader(kGolden + "/plain/ckpt");
  CHECK(reader.entry("empty/.ATTRIBUTES/VARIABLE_VALUE").shape == tf::TensorShape({0, 3}));
  CHECK(reader.entry("f64/.ATTRIBUTES/VARIABLE_VALUE").shape.rank() == 0);
  CHECK(reader.contains("odd..name.Swith slash/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK_FALSE(reader.contains("missing"));
  CHECK_THROWS_AS(reader.get("missing"), tf::InvalidArgumentError);
}

TEST_CASE("checkpoint format: reads a Keras 3 Sequential model with its Adam optimizer",
          "[checkpoint]") {
  check_against_manifest(kGolden + "/keras/ckpt-1", kGolden + "/keras.json");
  check_against_manifest(kGolden + "/keras_model_only/ckpt", kGolden + "/keras_model_only.json");
  BundleReader reader(kGolden + "/keras/ckpt-1");
  CHECK(reader.get("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE").item<int64_t>() == 1);
  CHECK(reader.get("save_counter/.ATTRIBUTES/VARIABLE_VALUE").item<int64_t>() == 1);
}

TEST_CASE(
    "checkpoint format: the object graph parses and TensorFlow's checkpoint keys follow "
    "from it",
    "[checkpoint]") {
  for (std::string prefix : {"/plain/ckpt", "/keras/ckpt-1", "/keras_model_only/ckpt"}) {
    INFO(prefix);
    BundleReader reader(kGolden + prefix);
    const std::string bytes = reader.get(tf::detail::kObjectGraphKey).item<std::string>();
    tf::detail::ObjectGraph graph = tf::detail::parse_object_graph(bytes, prefix);
    // Serialising again gives TensorFlow's bytes.
    CHECK(tf::detail::serialize_object_graph(graph) == bytes);
    // Keys and has_checkpoint_values computed from the structure alone equal TensorFlow's.
    tf::detail::ObjectGraph recomputed = graph;
    for (auto& node : recomputed.nodes) {
      node.has_checkpoint_values.reset();
      for (auto& a : node.attributes) a.checkpoint_key.clear();
    }
    tf::detail::assign_checkpoint_keys(recomputed);
    CHECK(tf::detail::serialize_object_graph(recomputed) == bytes);
    // Every attribute names a key of the bundle.
    for (const auto& node : graph.nodes)
      for (const auto& a : node.attributes) CHECK(reader.contains(a.checkpoint_key));
  }
  BundleReader keras(kGolden + "/keras/ckpt-1");
  auto graph = tf::detail::parse_object_graph(
      keras.get(tf::detail::kObjectGraphKey).item<std::string>(), "keras");
  auto model = graph.child(0, "model");
  auto optimizer = graph.child(0, "optimizer");
  REQUIRE(model);
  REQUIRE(optimizer);
  CHECK(graph.child(*optimizer, "_iterations"));
  CHECK(graph.child(*model, "_functional"));
  CHECK(tf::detail::object_graph_text(graph).find("local_name: \"_momentums\"") !=
        std::string::npos);
}

TEST_CASE("checkpoint format: escaping and keys follow trackable_utils.py", "[checkpoint]") {
  using namespace tf::detail;
  CHECK(escape_local_name("odd.name/with slash") == "odd..name.Swith slash");
  CHECK(object_path_to_string({"model", "layer.1", "a/b"}) == "model/layer..1/a.Sb");
  CHECK(checkpoint_key("model/dense", "VARIABLE_VALUE") ==
        "model/dense/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(checkpoint_key("table", ".TENSORS") == "table/.ATTRIBUTES/");
  CHECK(slot_variable_key("model/dense/kernel", "optimizer", "m") ==
        "model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m");
  // A Keras-2-style optimizer with slot variables: the slot nodes are named through the slots.
  ObjectGraph g;
  int root = g.add_node(), model = g.add_node(), kernel = g.add_node(), opt = g.add_node(),
      m = g.add_node(), it = g.add_node();
  g.nodes[root].children = {{model, "model"}, {opt, "optimizer"}};
  g.nodes[model].children = {{kernel, "kernel"}};
  g.nodes[opt].children = {{it, "iter"}};
  for (int v : {kernel, m, it}) g.nodes[v].attributes.push_back({"VARIABLE_VALUE", "", "", false});
  g.nodes[opt].slot_variables.push_back({kernel, "m", m});
  auto paths = assign_checkpoint_keys(g);
  CHECK(paths[kernel] == "model/kernel");
  CHECK(g.nodes[m].attributes[0].checkpoint_key ==
        "model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(g.nodes[it].attributes[0].checkpoint_key == "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(g.nodes[opt].has_checkpoint_values == true);
  auto parsed = parse_object_graph(serialize_object_graph(g), "round trip");
  CHECK(serialize_object_graph(parsed) == serialize_object_graph(g));
  // Out-of-range ids and unreachable attributes are errors.
  g.nodes[root].children.push_back({99, "bad"});
  CHECK_THROWS_AS(parse_object_graph(serialize_object_graph(g), "bad"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(assign_checkpoint_keys(g), tf::InvalidArgumentError);
  CHECK_THROWS_AS(parse_object_graph("\xff\xff\xff", "garbage"), tf::InvalidArgumentError);
}

TEST_CASE("checkpoint format: every dtype round-trips through write_bundle", "[checkpoint]") {
  TempDir dir;
  const std::string prefix = dir / "sub/dir/ckpt";  // parent directories are created
  auto zoo = dtype_zoo();
  tf::detail::write_bundle(prefix, zoo);
  BundleReader reader(prefix);
  std::vector<std::string> keys;
  for (auto& [k, _] : zoo) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  CHECK(reader.keys() == keys);
  for (auto& [key, t] : zoo) {
    INFO(key);
    tf::Tensor back = reader.get(key);
    CHECK(back.dtype() == t.dtype());
    CHECK(back.shape() == t.shape());
    CHECK(values_of(back) == values_of(t));
  }
  // Only the two files are left behind (no temporary files).
  CHECK(std::distance(fs::directory_iterator(dir.path / "sub/dir"), fs::directory_iterator()) == 2);
  CHECK_THROWS_AS(
      tf::detail::write_bundle(prefix, {{"a", tf::constant(1)}, {"a", tf::constant(2)}}),
      tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::detail::write_bundle(prefix, {{"", tf::constant(1)}}),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::detail::write_bundle(prefix, {{"c", tf::Tensor()}}), tf::Error);
  // A failed write leaves the previous checkpoint in place.
  CHECK(BundleReader(prefix).keys() == keys);
  CHECK_THROWS_AS(BundleReader(dir / "nothing_here"), tf::InvalidArgumentError);
}

TEST_CASE("checkpoint format: rewriting TensorFlow's tensors reproduces its index byte for byte",
          "[checkpoint]") {
  TempDir dir;
  for (std::string name : {"/plain/ckpt", "/keras/ckpt-1"}) {
    INFO(name);
    BundleReader tf_reader(kGolden + name);
    std::vector<std::pair<std::string, tf::Tensor>> tensors;
    for (const auto& key : tf_reader.keys()) tensors.emplace_back(key, tf_reader.get(key));
    // TensorFlow writes the data in the order it was given: the same order, the same bytes.
    std::sort(tensors.begin(), tensors.end(), [&](auto& a, auto& b) {
      return tf_reader.entry(a.first).offset < tf_reader.entry(b.first).offset;
    });
    tf::detail::write_bundle(dir / "copy", tensors);
    CHECK(read_bytes(dir / "copy.index") == read_bytes(kGolden + name + ".index"));
    CHECK(read_bytes(dir / "copy.data-00000-of-00001") ==
          read_bytes(kGolden + name + ".data-00000-of-00001"));
  }
}

TEST_CASE("checkpoint format: tables with many blocks, restarts and shared prefixes round-trip",
          "[checkpoint]") {
  namespace sstable = tf::detail::sstable;
  sstable::Entries entries;
  for (int i = 0; i < 2000; ++i)
    entries.emplace_back("model/layer_" + std::to_string(100000 + i) + "/kernel",
                         std::string(static_cast<size_t>(i % 50), char('a' + i % 26)));
  for (size_t block_size : {64u, 1024u, 262144u})
    for (int restarts : {1, 3, 16})
      CHECK(sstable::parse(sstable::build(entries, block_size, restarts), "t") == entries);
  CHECK(sstable::parse(sstable::build({}), "empty").empty());
  CHECK_THROWS_AS(sstable::build({{"b", ""}, {"a", ""}}), tf::InvalidArgumentError);
}

TEST_CASE("checkpoint format: every bit flip in the index or the data is a typed error",
          "[checkpoint]") {
  TempDir dir;
  const std::string prefix = dir / "ckpt";
  for (std::string suffix : {".index", ".data-00000-of-00001"})
    fs::copy_file(kGolden + "/plain/ckpt" + suffix, prefix + suffix);
  for (std::string suffix : {".index", ".data-00000-of-00001"}) {
    const std::string path = prefix + suffix;
    const std::string good = read_bytes(path);
    int failures = 0;
    for (size_t i = 0; i < good.size(); ++i) {
      for (unsigned char bit : {0x01, 0x80}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ bit);
        write_bytes(path, bad);
        try {
          read_everything(prefix);
          FAIL_CHECK("flipping bit " << int(bit) << " of byte " << i << " of " << suffix
                                     << " went unnoticed");
        } catch (const tf::InvalidArgumentError& e) {
          ++failures;
          // The message names the file.
          if (std::string(e.what()).find(suffix) == std::string::npos)
            FAIL_CHECK("no file name in: " << e.what());
        }
      }
    }
    CHECK(failures == 2 * static_cast<int>(good.size()));
    write_bytes(path, good);
  }
  read_everything(prefix);
}

TEST_CASE("checkpoint format: truncated, missing or foreign files are typed errors",
          "[checkpoint]") {
  TempDir dir;
  const std::string prefix = dir / "ckpt";
  for (std::string suffix : {".index", ".data-00000-of-00001"})
    fs::copy_file(kGolden + "/keras/ckpt-1" + suffix, prefix + suffix);
  for (std::string suffix : {".index", ".data-00000-of-00001"}) {
    const std::string path = prefix + suffix;
    const std::string good = read_bytes(path);
    for (size_t len = 0; len < good.size(); ++len) {
      write_bytes(path, good.substr(0, len));
      INFO(suffix << " truncated to " << len << " bytes");
      CHECK_THROWS_AS(read_everything(prefix), tf::InvalidArgumentError);
    }
    // Garbage of every small size, and a file of zeros, are not tables.
    for (size_t len : {1u, 47u, 48u, 100u, 4096u}) {
      write_bytes(path, std::string(len, '\0'));
      CHECK_THROWS_AS(read_everything(prefix), tf::InvalidArgumentError);
    }
    write_bytes(path, good);
  }
  read_everything(prefix);
  fs::remove(prefix + ".data-00000-of-00001");
  CHECK_THROWS_AS(read_everything(prefix), tf::InvalidArgumentError);
}

TEST_CASE("checkpoint format: a writer killed mid-write leaves the previous checkpoint readable",
          "[checkpoint]") {
  TempDir dir;
  const std::string prefix = dir / "ckpt";
  auto zoo = dtype_zoo();
  tf::detail::write_bundle(prefix, zoo);
  // 256 MiB: long enough to write that the kill lands while the temporary files are written.
  tf::Tensor big = tf::ones({64 << 20});
  big.data();
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      tf::detail::write_bundle(prefix, {{"big", big}});
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  // Wait until a temporary file holds some data, then kill the writer.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    for (const auto& f : fs::directory_iterator(dir.path)) {
      std::error_code ec;
      if (f.path().string().find(".tempstate") != std::string::npos &&
          fs::file_size(f.path(), ec) > (1u << 20) && !ec)
        seen = true;
    }
    if (!seen) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(seen);
  REQUIRE(WIFSIGNALED(status));
  BundleReader reader(prefix);
  CHECK_FALSE(reader.contains("big"));
  for (auto& [key, t] : zoo) CHECK(values_of(reader.get(key)) == values_of(t));
}

TEST_CASE("checkpoint format: reads TensorFlow's TFRecord file and writes the same bytes",
          "[checkpoint]") {
  const std::string golden = kGolden + "/records.tfrecord";
  std::vector<std::string> expected;
  for (auto& hex : read_json(kGolden + "/records.json")) {
    std::string bytes, h = hex.get<std::string>();
    for (size_t i = 0; i < h.size(); i += 2)
      bytes.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    expected.push_back(bytes);
  }
  CHECK(tf::detail::read_tfrecords(golden) == expected);
  TempDir dir;
  {
    tf::detail::TFRecordWriter writer(dir / "out.tfrecord");
    for (auto& r : expected) writer.write(r);
    writer.close();
  }
  CHECK(read_bytes(dir / "out.tfrecord") == read_bytes(golden));
  {
    tf::detail::TFRecordWriter writer(dir / "out.tfrecord", /*append=*/true);
    writer.write("more");
  }  // the destructor flushes
  auto all = tf::detail::read_tfrecords(dir / "out.tfrecord");
  REQUIRE(all.size() == expected.size() + 1);
  CHECK(all.back() == "more");
}

TEST_CASE("checkpoint format: corrupted or truncated TFRecord files are typed errors",
          "[checkpoint]") {
  TempDir dir;
  const std::string path = dir / "r.tfrecord";
  const std::string good = read_bytes(kGolden + "/records.tfrecord");
  const auto records = tf::detail::read_tfrecords(kGolden + "/records.tfrecord");
  std::vector<size_t> boundaries{0};
  for (auto& r : records) boundaries.push_back(boundaries.back() + 16 + r.size());
  REQUIRE(boundaries.back() == good.size());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    write_bytes(path, bad);
    INFO("byte " << i);
    CHECK_THROWS_AS(tf::detail::read_tfrecords(path), tf::InvalidArgumentError);
  }
  for (size_t len = 0; len < good.size(); ++len) {
    write_bytes(path, good.substr(0, len));
    INFO("truncated to " << len);
    auto at = std::find(boundaries.begin(), boundaries.end(), len);
    if (at != boundaries.end())  // a cut between records leaves a shorter, valid file
      CHECK(tf::detail::read_tfrecords(path).size() == size_t(at - boundaries.begin()));
    else
      CHECK_THROWS_AS(tf::detail::read_tfrecords(path), tf::InvalidArgumentError);
  }
  // A length field claiming 2^60 bytes is refused before anything is allocated.
  std::string huge = tf::detail::encode_tfrecord("x");
  huge[7] = 0x10;
  write_bytes(path, huge);
  CHECK_THROWS_AS(tf::detail::read_tfrecords(path), tf::InvalidArgumentError);
}

TEST_CASE("checkpoint format: TensorFlow reads what write_bundle writes (needs .venv-peers)",
          "[checkpoint]") {
  const std::string python = std::string(TFJIT_GOLDEN_DIR) + "/../../.venv-peers/bin/python";
  if (!fs::exists(python)) {
    WARN("not checked: no " << python);
    return;
  }
  TempDir dir;
  auto zoo = dtype_zoo();
  // A bundle of every dtype, checked with tf.train.load_checkpoint.
  tf::detail::write_bundle(dir / "zoo", zoo);
  json expected;
  for (auto& [key, t] : zoo)
    expected[key] = {{"dtype", std::string(tf::dtype_name(t.dtype()))},
                     {"shape", dims_of(t.shape())},
                     {"values", values_of(t)}};
  write_bytes(dir / "zoo.json", expected.dump());
  // An object-based checkpoint that tf.train.Checkpoint restores into a tf.Module.
  tf::detail::ObjectGraph graph;
  int root = graph.add_node(), dense = graph.add_node(), kernel = graph.add_node(),
      bias = graph.add_node();
  graph.nodes[root].children = {{dense, "dense"}};
  graph.nodes[dense].children = {{kernel, "kernel"}, {bias, "bias"}};
  graph.nodes[kernel].attributes = {{"VARIABLE_VALUE", "kernel", "", false}};
  graph.nodes[bias].attributes = {{"VARIABLE_VALUE", "bias", "", false}};
  tf::detail::assign_checkpoint_keys(graph);
  tf::detail::write_bundle(
      dir / "module",
      {{graph.nodes[kernel].attributes[0].checkpoint_key,
        tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}})},
       {graph.nodes[bias].attributes[0].checkpoint_key, tf::constant({0.5f, -0.5f, 0.0f})},
       {tf::detail::kObjectGraphKey, tf::constant(tf::detail::serialize_object_graph(graph))}});
  const std::string script = R"PY(
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
d = sys.argv[1]
reader = tf.train.load_checkpoint(d + "/zoo")
expected = json.load(open(d + "/zoo.json"))
assert sorted(reader.get_variable_to_shape_map()) == sorted(expected), reader.get_variable_to_shape_map()
for key, want in expected.items():
    v = reader.get_tensor(key)
    got = np.asarray(v)
    assert reader.get_variable_to_dtype_map()[key].name == want["dtype"], key
    assert list(got.shape) == want["shape"], key
    flat = got.reshape(-1)
    if want["dtype"] == "string":
        assert [x.decode("utf-8") for x in flat] == want["values"], (key, flat)
    else:
        assert [x.item() if hasattr(x, "item") else x for x in flat.astype(object)] == want["values"] or \
            np.array_equal(flat.astype(np.float64), np.array(want["values"], np.float64)), (key, flat)
m = tf.Module()
m.kernel = tf.Variable(tf.zeros((2, 3)))
m.bias = tf.Variable(tf.zeros(3))
tf.train.Checkpoint(dense=m).read(d + "/module").assert_consumed()
assert np.array_equal(m.kernel.numpy(), [[1, 2, 3], [4, 5, 6]]), m.kernel
assert np.array_equal(m.bias.numpy(), [0.5, -0.5, 0]), m.bias
print("tensorflow read tfjit's checkpoints")
)PY";
  write_bytes(dir / "check.py", script);
  const std::string command = python + " " + (dir / "check.py") + " " + dir.path.string() + " > " +
                              (dir / "log.txt") + " 2>&1";
  int rc = std::system(command.c_str());
  INFO(read_bytes(dir / "log.txt"));
  CHECK(rc == 0);
}
