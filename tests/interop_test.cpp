// Data exchange: raw memory, .npy files (against golden files written by NumPy, see
// tests/golden/make_npy.py) and DLPack.
#include <tfjit/dlpack.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/helpers.h"

namespace {
const std::string kGolden = TFJIT_GOLDEN_DIR;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string temp_path(const std::string& name) {
  return std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/tfjit_" + name;
}
}  // namespace

TEST_CASE("from_blob wraps memory without copying and releases it when the last tensor goes",
          "[interop]") {
  std::vector<float> data = {1, 2, 3, 4};
  bool released = false;
  {
    auto t = tf::from_blob(data.data(), {2, 2}, tf::float32, [&] { released = true; });
    CHECK(t.data() == data.data());
    auto u = t + 1.0f;
    CHECK(u.to_vector<float>() == std::vector<float>{2, 3, 4, 5});
    auto f = tf::function([](const tf::Tensor& x) { return x * 2.0f; });
    CHECK(f(t).to_vector<float>() == std::vector<float>{2, 4, 6, 8});
    CHECK_FALSE(released);
  }
  CHECK(released);
  auto copy = tf::from_buffer(data.data(), {4}, tf::float32);
  data[0] = 100;
  CHECK(copy.to_vector<float>()[0] == 1.0f);
  CHECK_THROWS_AS(tf::from_blob(nullptr, {2}, tf::float32), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::from_blob(data.data(), {-1}, tf::float32), tf::InvalidArgumentError);
}

TEST_CASE(".npy files written by NumPy load with their dtype, shape and values", "[interop][npy]") {
  auto f = tf::load_npy(kGolden + "/f32_2x3.npy");
  CHECK(f.dtype() == tf::float32);
  CHECK(f.shape() == tf::TensorShape{2, 3});
  CHECK(f.to_vector<float>() == std::vector<float>{1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, 7.0f});
  CHECK(tf::load_npy(kGolden + "/i64_4.npy").to_vector<int64_t>() ==
        std::vector<int64_t>{-1, 0, int64_t{1} << 40, 7});
  CHECK(tf::load_npy(kGolden + "/bool_3.npy").to_vector<bool>() ==
        std::vector<bool>{true, false, true});
  auto h = tf::load_npy(kGolden + "/f16_scalar.npy");
  CHECK(h.dtype() == tf::float16);
  CHECK(h.shape() == tf::TensorShape{});
  CHECK(tft::values_of(h) == std::vector<double>{0.5});
  auto fortran = tf::load_npy(kGolden + "/f64_fortran_2x3.npy");
  CHECK(fortran.shape() == tf::TensorShape{2, 3});
  CHECK(fortran.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5});
  auto c = tf::load_npy(kGolden + "/c64_2.npy").to_vector<std::complex<float>>();
  CHECK(c == std::vector<std::complex<float>>{{1, 2}, {0, -3.5f}});
}

TEST_CASE("save_npy writes exactly the bytes NumPy writes", "[interop][npy]") {
  for (const char* name :
       {"f32_2x3.npy", "i64_4.npy", "bool_3.npy", "f16_scalar.npy", "c64_2.npy"}) {
    INFO(name);
    auto t = tf::load_npy(kGolden + "/" + name);
    std::string out = temp_path(name);
    tf::save_npy(out, t);
    CHECK(read_bytes(out) == read_bytes(kGolden + "/" + name));
    std::remove(out.c_str());
  }
  CHECK_THROWS_AS(tf::save_npy(temp_path("x.npy"), tf::zeros({2}, tf::bfloat16)),
                  tf::UnimplementedError);
}

// `npy` with its shape replaced, the header's padding shortened to keep its length.
std::string with_shape(std::string npy, const std::string& shape) {
  const size_t at = npy.find("(2, 3)"), end = npy.find('\n');
  npy.replace(at, 6, shape);
  npy.erase(end, shape.size() - 6);  // the padding spaces the longer shape pushed up to '\n'
  return npy;
}

TEST_CASE("malformed .npy files raise InvalidArgumentError, never crash",
          "[interop][npy][errors]") {
  std::string good = read_bytes(kGolden + "/f32_2x3.npy");
  auto write = [](const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  };
  std::vector<std::string> bad = {"",
                                  "not a numpy file",
                                  good.substr(0, 9),
                                  good.substr(0, 40),
                                  good.substr(0, good.size() - 1),
                                  std::string(good).replace(good.find("<f4"), 3, ">f4"),
                                  std::string(good).replace(good.find("(2, 3)"), 6, "(9, 9)"),
                                  std::string(good).replace(good.find("(2, 3)"), 6, "(-1, 3)"),
                                  std::string(good).replace(good.find("'descr'"), 7, "'dexcr'")};
  for (size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i);
    CHECK_THROWS_AS(tf::load_npy(write(temp_path("bad.npy"), bad[i])), tf::InvalidArgumentError);
  }
  CHECK_THROWS_AS(tf::load_npy("/nonexistent/file.npy"), tf::InvalidArgumentError);
  // Sizes a small file cannot hold (4 GB; 2^64 bytes) are refused before anything is allocated.
  for (const char* shape : {"(1000000000,)", "(2147483648, 2147483648)"}) {
    INFO(shape);
    CHECK_THROWS_WITH(tf::load_npy(write(temp_path("big.npy"), with_shape(good, shape))),
                      Catch::Contains("the header declares shape"));
  }
}

TEST_CASE("DLPack round-trips without copying, and strided producers are gathered",
          "[interop][dlpack]") {
  auto cpu = tf::device_scope("/CPU:0");
  auto t = tf::constant({{1, 2, 3}, {4, 5, 6}});
  DLManagedTensor* m = tf::to_dlpack(t);
  CHECK(m->dl_tensor.ndim == 2);
  CHECK(m->dl_tensor.dtype.code == kDLInt);
  CHECK(m->dl_tensor.data == t.data());
  auto back = tf::from_dlpack(m);  // takes ownership of m
  CHECK(back.data() == t.data());
  CHECK(back.to_vector<int32_t>() == std::vector<int32_t>{1, 2, 3, 4, 5, 6});

  // A transposed (column-major) view from a producer: strides (1, 2) over a 2x3 buffer.
  static float column_major[6] = {1, 4, 2, 5, 3, 6};
  static int64_t shape[2] = {2, 3}, strides[2] = {1, 2};
  static bool deleted = false;
  DLManagedTensor producer{};
  producer.dl_tensor = {column_major, {kDLCPU, 0}, 2, {kDLFloat, 32, 1}, shape, strides, 0};
  producer.deleter = [](DLManagedTensor*) { deleted = true; };
  auto gathered = tf::from_dlpack(&producer);
  CHECK(deleted);
  CHECK(gathered.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});

  DLManagedTensor gpu{};
  gpu.dl_tensor = {column_major, {kDLCUDA, 0}, 2, {kDLFloat, 32, 1}, shape, nullptr, 0};
  CHECK_THROWS_AS(tf::from_dlpack(&gpu), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::from_dlpack(nullptr), tf::InvalidArgumentError);
}
