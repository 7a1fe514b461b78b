// tf::summary: TensorBoard event files, compared record by record with the file TensorFlow 2.21
// and TensorBoard write for the same calls (tests/golden/checkpoint/make_checkpoint_golden.py).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "frontend/src/train/tfrecord.h"
#include "tests/helpers.h"

namespace fs = std::filesystem;

namespace {
const std::string kGolden = std::string(TFJIT_GOLDEN_DIR) + "/checkpoint";

struct LogDir {
  fs::path path;
  LogDir() {
    static int counter = 0;
    const char* tmp = std::getenv("TMPDIR");
    path = fs::path(tmp ? tmp : "/tmp") /
           ("tfjit_summary_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
  }
  ~LogDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The event's bytes with its wall_time (field 1, a double, serialized first) zeroed.
std::string without_wall_time(std::string event) {
  if (event.size() >= 9 && event[0] == '\x09') std::fill(event.begin() + 1, event.begin() + 9, 0);
  return event;
}

std::vector<std::string> events_in(const std::string& path) {
  std::vector<std::string> out;
  for (auto& r : tf::detail::read_tfrecords(path)) out.push_back(without_wall_time(r));
  return out;
}
}  // namespace

TEST_CASE("summary: scalars, histograms and text are written as TensorFlow 2 writes them",
          "[summary]") {
  LogDir dir;
  auto writer = tf::summary::create_file_writer(dir.path.string());
  {
    auto scope = writer.as_default();
    CHECK(tf::summary::scalar("loss", 0.25, 1));
    CHECK(tf::summary::scalar("loss", tf::constant(0.125), 2));
    CHECK(tf::summary::histogram("weights", tf::constant({1.0f, 2.0f, 2.0f, 3.0f, 10.0f}), 1,
                                 /*buckets=*/4));
    CHECK(tf::summary::text("note", "hello tensorboard", 3));
  }
  writer.close();
  const std::string name = fs::path(writer.path()).filename().string();
  CHECK(std::regex_match(name, std::regex(R"(events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+\.v2)")));
  auto ours = events_in(writer.path());
  auto theirs = events_in(kGolden + "/events/events.out.tfevents.golden.v2");
  REQUIRE(ours.size() == theirs.size());
  // The first event names the format (TensorFlow adds its writer's name in a newer field).
  CHECK(ours[0].find("brain.Event:2") != std::string::npos);
  for (size_t i = 1; i < ours.size(); ++i) {
    INFO("event " << i);
    CHECK(ours[i] == theirs[i]);
  }
}

TEST_CASE("summary: default writers, steps and errors follow tf.summary", "[summary]") {
  LogDir dir;
  CHECK_FALSE(tf::summary::scalar("x", 1.0, 0));  // no default writer: nothing written
  auto a = tf::summary::create_file_writer((dir.path / "a").string());
  auto b = tf::summary::create_file_writer((dir.path / "b").string(), /*max_queue=*/1);
  {
    auto in_a = a.as_default();
    CHECK_THROWS_AS(tf::summary::scalar("x", 1.0), tf::InvalidArgumentError);  // no step
    tf::summary::experimental::set_step(7);
    CHECK(tf::summary::scalar("x", 1.0));
    {
      auto in_b = b.as_default();
      CHECK(tf::summary::scalar("y", 2.0));
      CHECK_THROWS_AS(tf::summary::scalar("bad", tf::constant({1.0f, 2.0f}), 1),
                      tf::InvalidArgumentError);
    }
    CHECK(tf::summary::histogram("same", tf::constant({5.0, 5.0, 5.0}), 1, 3));
    CHECK(tf::summary::histogram("none", tf::zeros({0}), 1));
    CHECK(tf::summary::write("raw", tf::constant({1, 2, 3}), 2, "custom"));
    tf::summary::flush();
  }
  tf::summary::experimental::set_step(std::nullopt);
  CHECK_FALSE(tf::summary::scalar("x", 1.0, 0));
  CHECK(tf::detail::read_tfrecords(b.path()).size() == 2);  // max_queue=1 flushed already
  a.close();
  auto events = tf::detail::read_tfrecords(a.path());
  REQUIRE(events.size() == 5);
  CHECK(events[1].find("scalars") != std::string::npos);
  CHECK(events[2].find("histograms") != std::string::npos);
  // A single value: every bucket is [5, 5] and the last holds all three.
  std::vector<double> same = {5, 5, 0, 5, 5, 0, 5, 5, 3};
  CHECK(events[2].find(std::string(reinterpret_cast<const char*>(same.data()), 72)) !=
        std::string::npos);
  // No data: 30 empty buckets.
  CHECK(events[3].find(std::string(30 * 3 * 8, '\0')) != std::string::npos);
  {
    auto in_a = a.as_default();
    CHECK_THROWS_AS(tf::summary::scalar("late", 1.0, 1), tf::FailedPreconditionError);
  }
  auto noop = tf::summary::create_noop_writer();
  {
    auto scope = noop.as_default();
    CHECK_FALSE(tf::summary::scalar("x", 1.0, 0));
  }
  b.close();
}
