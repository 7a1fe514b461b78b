// The on-disk cache of compiled code: stored after a compile, loaded instead of compiling by a
// later process (simulated by clearing the in-memory cache), missed when a key field changes,
// and never trusted when an entry is truncated or corrupt.
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "tests/helpers.h"

namespace fs = std::filesystem;

namespace {

// A fresh, empty cache directory for this test, and nothing compiled in memory.
std::string fresh_cache_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tfjit_disk_cache_test_" + name);
  fs::remove_all(dir);
  tf::config::clear_compile_cache();
  tf::config::set_disk_cache_dir(dir.string());
  tf::config::enable_disk_cache(true);
  return dir.string();
}

std::vector<fs::path> files_in(const std::string& dir) {
  std::vector<fs::path> files;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  return files;
}

// A body whose graph no other test traces, and its float64 reference.
auto body = [](const tf::Tensor& x) { return tf::tanh(x) * 3.0f + 0.25f; };
std::vector<float> reference(const std::vector<float>& x) {
  std::vector<float> r;
  for (float v : x) r.push_back(static_cast<float>(std::tanh(double(v)) * 3.0 + 0.25));
  return r;
}

void check_result(const tf::Tensor& result, const std::vector<float>& x) {
  auto got = result.to_vector<float>();
  auto want = reference(x);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
}

}  // namespace

TEST_CASE("a compiled graph is stored on disk and a later process loads it instead of compiling",
          "[cache][disk]") {
  std::string dir = fresh_cache_dir("store_load");
  std::vector<float> xs = {-1.0f, 0.5f, 2.0f};
  auto x = tf::constant(xs);
  auto before = tf::config::compile_cache_info();
  check_result(tf::function(body)(x), xs);
  auto stored = tf::config::compile_cache_info();
  CHECK(stored.disk_misses - before.disk_misses == 1);
  CHECK(stored.disk_writes - before.disk_writes == 1);
  auto files = files_in(dir);
  REQUIRE(files.size() == 1);  // one entry, and no temporary file left behind
  CHECK(files[0].extension() == ".tfjit");

  tf::config::clear_compile_cache();  // as in a new process: nothing compiled in memory
  auto g = tf::function(body);
  check_result(g(x), xs);
  auto loaded = tf::config::compile_cache_info();
  CHECK(loaded.disk_hits - stored.disk_hits == 1);
  CHECK(loaded.disk_writes == stored.disk_writes);
  CHECK(g.trace_count() == 1);  // tracing still runs the body: only compilation is skipped
}

TEST_CASE("a truncated or corrupt disk cache entry is detected, removed and recompiled",
          "[cache][disk]") {
  std::string dir = fresh_cache_dir("corrupt");
  std::vector<float> xs = {0.0f, 1.5f};
  auto x = tf::constant(xs);
  tf::function(body)(x);
  auto files = files_in(dir);
  REQUIRE(files.size() == 1);
  const fs::path entry = files[0];
  std::string original;
  {
    std::ifstream in(entry, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string flipped = original;
  flipped[flipped.size() - 100] ^= 0x5a;  // inside the machine code
  // Another graph's entry, its key line edited to this entry's name: only a checksum that
  // covers the key tells them apart.
  tf::function([](const tf::Tensor& t) { return tf::exp(t) - 0.5f; })(x);
  std::string other;
  for (const auto& f : files_in(dir))
    if (f != entry) {
      std::ifstream in(f, std::ios::binary);
      other.assign(std::istreambuf_iterator<char>(in), {});
    }
  REQUIRE(!other.empty());
  const std::string name = entry.stem().string(), other_name = [&] {
    auto at = other.find("key ") + 4;
    return other.substr(at, other.find('\n', at) - at);
  }();
  REQUIRE(other_name.size() == name.size());
  std::string relabelled = other;
  relabelled.replace(relabelled.find(other_name), name.size(), name);
  auto write = [&](const std::string& content) {
    return [&, content] {
      std::ofstream out(entry, std::ios::binary | std::ios::trunc);
      out << content;
    };
  };
  const std::vector<std::pair<std::string, std::function<void()>>> damages = {
      {"truncated", write(original.substr(0, original.size() / 2))},
      {"a flipped byte", write(flipped)},
      {"empty", write("")},
      {"not an entry", write("hello")},
      {"another graph's entry relabelled", write(relabelled)},
      // A FIFO would block the reading process forever; a huge (sparse) file would be read
      // whole into memory.
      {"a FIFO",
       [&] {
         fs::remove(entry);
         REQUIRE(mkfifo(entry.c_str(), 0600) == 0);
       }},
      {"larger than the cache", [&] { fs::resize_file(entry, int64_t{8} << 30); }}};
  for (const auto& [what, damage] : damages) {
    SECTION(what) {
      damage();
      tf::config::clear_compile_cache();
      auto before = tf::config::compile_cache_info();
      check_result(tf::function(body)(x), xs);
      auto after = tf::config::compile_cache_info();
      CHECK(after.disk_corrupt - before.disk_corrupt == 1);
      CHECK(after.disk_writes - before.disk_writes == 1);  // recompiled and stored again
      tf::config::clear_compile_cache();
      check_result(tf::function(body)(x), xs);
      CHECK(tf::config::compile_cache_info().disk_hits - after.disk_hits == 1);
    }
  }
}

TEST_CASE("a change of compile options misses the disk cache", "[cache][disk]") {
  std::string dir = fresh_cache_dir("options");
  auto a = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  auto mm = [](const tf::Tensor& m) { return tf::matmul(m, m); };
  tf::FunctionOptions generated;
  generated.matmul_library_call = false;
  auto x = tf::function(mm)(a), y = tf::function(mm, generated)(a);
  const std::vector<float> want = {7, 10, 15, 22};
  CHECK(x.to_vector<float>() == want);
  CHECK(y.to_vector<float>() == want);
  CHECK(files_in(dir).size() == 2);
}

TEST_CASE("with the disk cache switched off nothing is read or written", "[cache][disk]") {
  std::string dir = fresh_cache_dir("off");
  tf::config::enable_disk_cache(false);
  auto before = tf::config::compile_cache_info();
  std::vector<float> xs = {3.0f};
  check_result(tf::function(body)(tf::constant(xs)), xs);
  auto after = tf::config::compile_cache_info();
  CHECK(after.disk_writes == before.disk_writes);
  CHECK(after.disk_misses == before.disk_misses);
  CHECK(files_in(dir).empty());
  tf::config::enable_disk_cache(true);
}

TEST_CASE("an unwritable disk cache directory switches the cache off and compiling goes on",
          "[cache][disk]") {
  fresh_cache_dir("unwritable");
  tf::config::set_disk_cache_dir("/proc/tfjit_cannot_be_created");
  std::vector<float> xs = {-0.5f};
  check_result(tf::function(body)(tf::constant(xs)), xs);
  CHECK_FALSE(tf::config::disk_cache_enabled());
  fresh_cache_dir("unwritable_after");
}

// Run by the next test in child processes (hidden from the normal run).
TEST_CASE("a tf::function with tf::print, compiled or loaded from disk", "[.disk-child]") {
  auto f = tf::function([](const tf::Tensor& x) {
    tf::print("first", x, "then");
    tf::print("second");
    return x + 1.0f;
  });
  CHECK(f(tf::constant({1.5f})).item<float>() == 2.5f);
  std::cout << "disk hits: " << tf::config::compile_cache_info().disk_hits << "\n";
}

TEST_CASE("code loaded from the disk cache by another process is self-contained", "[cache][disk]") {
  std::string dir = fresh_cache_dir("child_processes");
  std::string log = dir + ".log";
  std::string command = "TFJIT_CACHE_DIR='" + dir + "' '" +
                        fs::read_symlink("/proc/self/exe").string() + "' '[disk-child]' > '" + log +
                        "' 2>&1";
  for (int run = 0; run < 2; ++run) {
    INFO("run " << run);
    REQUIRE(std::system(command.c_str()) == 0);
    std::ifstream in(log);
    std::string output((std::istreambuf_iterator<char>(in)), {});
    INFO(output);
    CHECK(output.find("first [1.5] then\nsecond\n") != std::string::npos);
    CHECK(output.find("disk hits: " + std::to_string(run)) != std::string::npos);
  }
}
