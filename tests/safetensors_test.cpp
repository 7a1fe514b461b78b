// safetensors: Hugging Face's library's file (tests/golden/safetensors) loads with every dtype,
// tfjit's files round-trip and are read back by the Python library (when the peers venv has it),
// and malformed files raise InvalidArgumentError, never crash.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/helpers.h"

namespace {

const std::string kGolden = std::string(TFJIT_GOLDEN_DIR) + "/safetensors/golden.safetensors";
const std::string kPython = std::string(TFJIT_GOLDEN_DIR) + "/../../.venv-peers/bin/python";

std::string temp_path(const std::string& name) {
  return std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/tfjit_st_" + name;
}
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
const std::string& write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}
// A file of `header` (padded to nothing) and `data`.
std::string file_of(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::map<std::string, tf::Tensor> by_name(
    const std::vector<std::pair<std::string, tf::Tensor>>& v) {
  return {v.begin(), v.end()};
}

// Loads `bytes`; true if it loaded, false on InvalidArgumentError (anything else fails the test).
bool loads(const std::string& bytes) {
  try {
    tf::load_safetensors(write_file(temp_path("fuzz.safetensors"), bytes));
    return true;
  } catch (const tf::InvalidArgumentError&) {
    return false;
  }
}

}  // namespace

TEST_CASE("safetensors written by Hugging Face's library load with every dtype",
          "[interop][safetensors]") {
  auto t = by_name(tf::load_safetensors(kGolden));
  REQUIRE(t.size() == 11);
  const std::vector<double> base = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5};
  for (auto [name, dtype] :
       {std::pair{"f16", tf::float16}, {"bf16", tf::bfloat16}, {"f32", tf::float32}}) {
    INFO(name);
    CHECK(t[name].dtype() == dtype);
    CHECK(t[name].shape() == tf::TensorShape({2, 3}));
    CHECK(tft::values_of(t[name]) == base);
  }
  CHECK(t["f64_scalar"].dtype() == tf::float64);
  CHECK(t["f64_scalar"].shape().rank() == 0);
  CHECK(t["f64_scalar"].item<double>() == 3.25);
  CHECK(t["i8"].to_vector<int8_t>() == std::vector<int8_t>{-128, -1, 0, 127});
  CHECK(t["i16"].to_vector<int16_t>() == std::vector<int16_t>{-32768, 7, 32767});
  CHECK(t["i32"].shape() == tf::TensorShape({2, 3, 4}));
  CHECK(t["i32"].to_vector<int32_t>()[23] == 11);
  CHECK(t["i64"].to_vector<int64_t>() ==
        std::vector<int64_t>{-(int64_t{1} << 40), (int64_t{1} << 40) + 1});
  CHECK(t["u8"].to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 255});
  CHECK(t["bool"].dtype() == tf::bool_);
  CHECK(t["bool"].to_vector<bool>() == std::vector<bool>{true, false, true, true});
  CHECK(t["empty"].shape() == tf::TensorShape({0, 3}));
  auto meta = tf::load_safetensors_metadata(kGolden);
  CHECK(meta["format"] == "pt");
  CHECK(meta["source"] == "make_safetensors_golden.py");
}

TEST_CASE("save_safetensors round-trips, aligned to 64 bytes and to each item size",
          "[interop][safetensors]") {
  std::vector<std::pair<std::string, tf::Tensor>> tensors = {
      {"u8", tf::constant(std::vector<uint8_t>{1, 2, 3}, {3})},
      {"w", tf::random::normal({4, 5})},
      {"h", tf::cast(tf::constant({1.0f, -2.0f, 0.5f}), tf::float16)},
      {"b", tf::cast(tf::constant({1.0f, 2.0f}), tf::bfloat16)},
      {"d", tf::constant(std::vector<double>{1, 2, 3, 4}, {2, 2})},
      {"flag", tf::constant(std::vector<bool>{true, false})},
      {"c", tf::cast(tf::constant({1.0f, -2.0f}), tf::complex64)},
      {"s", tf::constant(7)},
      {"empty", tf::zeros({0}, tf::int64)},
      {"ünïcode name", tf::constant({1, 2})},
  };
  const std::string path = temp_path("roundtrip.safetensors");
  tf::save_safetensors(path, tensors, {{"format", "tf"}, {"note", "héllo"}});
  std::string bytes = read_file(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK((8 + n) % 64 == 0);
  CHECK(bytes[8] == '{');
  auto loaded = tf::load_safetensors(path);
  REQUIRE(loaded.size() == tensors.size());
  // File order: larger items first, so each starts at a multiple of its item size.
  for (size_t i = 1; i < loaded.size(); ++i)
    CHECK(tf::dtype_size(loaded[i - 1].second.dtype()) >= tf::dtype_size(loaded[i].second.dtype()));
  auto got = by_name(loaded);
  for (const auto& [name, t] : tensors) {
    INFO(name);
    REQUIRE(got.count(name) == 1);
    CHECK(got[name].dtype() == t.dtype());
    CHECK(got[name].shape() == t.shape());
    if (t.dtype() == tf::complex64)
      CHECK(got[name].to_vector<std::complex<float>>() == t.to_vector<std::complex<float>>());
    else
      CHECK(tft::values_of(got[name]) == tft::values_of(t));
  }
  auto meta = tf::load_safetensors_metadata(path);
  CHECK(meta == std::map<std::string, std::string>{{"format", "tf"}, {"note", "héllo"}});

  // Bad tensors to save.
  CHECK_THROWS_AS(tf::save_safetensors(path, {{"a", tf::zeros({1})}, {"a", tf::zeros({1})}}),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::save_safetensors(path, {{"__metadata__", tf::zeros({1})}}),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::save_safetensors(path, {{"s", tf::constant(std::string("x"))}}),
                  tf::UnimplementedError);
  CHECK_THROWS_AS(tf::save_safetensors(path, {{"bad\xff", tf::zeros({1})}}),
                  tf::InvalidArgumentError);
  CHECK(tf::load_safetensors(path).size() == tensors.size());  // a failed save left it intact
}

TEST_CASE("malformed safetensors files raise InvalidArgumentError naming the defect",
          "[interop][safetensors]") {
  const std::string f4(16, '\0');  // four float32 zeros
  auto header = [](const std::string& body) { return "{" + body + "}"; };
  auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}";
  };
  auto check = [&](const std::string& bytes, const std::string& message) {
    INFO(message);
    const std::string path = write_file(temp_path("bad.safetensors"), bytes);
    CHECK_THROWS_WITH(tf::load_safetensors(path),
                      Catch::Contains(message) && Catch::Contains(path));
  };
  // The good file these vary.
  REQUIRE(loads(file_of(
      header(entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[8,16]")), f4)));
  check("1234", "has no 8-byte header length");
  check(file_of("{}", "").substr(0, 8), "runs past the end");
  check(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds 100 MB");
  check(file_of("[1]", ""), "does not start with '{'");
  check(file_of("{\"a\":", ""), "not valid JSON");
  check(file_of(header(entry("a", "F33", "[4]", "[0,16]")), f4), "unsupported dtype 'F33'");
  check(file_of(header(entry("a", "F32", "[5]", "[0,16]")), f4), "needs 5 x 4 bytes");
  check(file_of(header(entry("a", "F32", "[-4]", "[0,16]")), f4), "not a size");
  check(file_of(header(entry("a", "F32", "[4294967296,4294967296,4294967296]", "[0,16]")), f4),
        "shape [4294967296,4294967296,4294967296]");
  check(file_of(header(entry("a", "F64", "[2305843009213693952]", "[0,16]")), f4), "needs");
  check(file_of(header(entry("a", "F32", "[4]", "[16,0]")), f4), "is not a byte range");
  check(file_of(header(entry("a", "F32", "[4]", "[0]")), f4), "is not [begin, end]");
  check(
      file_of(header(entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[4,12]")),
              f4),
      "overlapping");
  check(
      file_of(header(entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[1]", "[12,16]")),
              f4),
      "a hole");
  check(file_of(header(entry("a", "F32", "[2]", "[0,8]")), f4), "cover 8 bytes of data");
  check(file_of(header(entry("a", "F32", "[4]", "[0,16]")), f4.substr(0, 12)), "cover 16 bytes");
  check(
      file_of(header(entry("a", "F32", "[2]", "[0,8]") + "," + entry("a", "F32", "[2]", "[8,16]")),
              f4),
      "'a' appears twice");
  check(file_of(header("\"__metadata__\":{\"k\":1}"), ""), "__metadata__['k'] is not a string");
  check(file_of(header("\"a\":{\"dtype\":\"F32\"}"), ""), "lacks dtype, shape or data_offsets");
  check(file_of(header("\"a\":3"), ""), "is not a JSON object");
}

TEST_CASE("safetensors fuzz: every truncation and header byte flip is an error or a file",
          "[interop][safetensors]") {
  const std::string good = read_file(kGolden);
  REQUIRE(loads(good));
  for (size_t len = 0; len < good.size(); ++len) {
    INFO("truncated to " << len);
    CHECK_FALSE(loads(good.substr(0, len)));
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(good[i]);
  for (size_t pos = 0; pos < 8 + n; ++pos)
    for (char c : {'\0', '"', '9', '}', ',', '[', '\xff'}) {
      std::string bytes = good;
      bytes[pos] = c;
      INFO("byte " << pos << " set to " << int(c));
      loads(bytes);  // either outcome; only a crash or another exception fails
    }
}

TEST_CASE("Python's safetensors reads what tfjit writes (when the peers venv has it)",
          "[interop][safetensors]") {
  if (std::system((kPython + " -c 'import safetensors, torch' > /dev/null 2>&1").c_str()) != 0) {
    WARN("skipped: " << kPython << " cannot import safetensors and torch");
    return;
  }
  const std::string path = temp_path("for_python.safetensors");
  tf::save_safetensors(path,
                       {{"f32", tf::constant({{1.5f, -2.0f}, {3.0f, 4.25f}})},
                        {"bf16", tf::cast(tf::constant({0.5f, -8.0f}), tf::bfloat16)},
                        {"f16", tf::cast(tf::constant({0.25f}), tf::float16)},
                        {"i64", tf::constant(std::vector<int64_t>{-5, 1LL << 40}, {2})},
                        {"u8", tf::constant(std::vector<uint8_t>{9}, {1})},
                        {"flag", tf::constant(std::vector<bool>{false, true})}},
                       {{"who", "tfjit"}});
  const std::string script = temp_path("check.py");
  write_file(script, R"(import sys, torch
from safetensors import safe_open
with safe_open(sys.argv[1], framework="pt") as f:
    assert f.metadata() == {"who": "tfjit"}, f.metadata()
    t = {k: f.get_tensor(k) for k in f.keys()}
assert t["f32"].tolist() == [[1.5, -2.0], [3.0, 4.25]], t["f32"]
assert t["bf16"].dtype == torch.bfloat16 and t["bf16"].tolist() == [0.5, -8.0]
assert t["f16"].dtype == torch.float16 and t["f16"].tolist() == [0.25]
assert t["i64"].tolist() == [-5, 1 << 40]
assert t["u8"].dtype == torch.uint8 and t["u8"].tolist() == [9]
assert t["flag"].dtype == torch.bool and t["flag"].tolist() == [False, True]
)");
  CHECK(std::system((kPython + " " + script + " " + path).c_str()) == 0);
}
