// tf::debugging's error call sites: an error raised deep in tfjit names the user code that called
// it (this file is built with -g, see CMakeLists.txt), and says nothing extra while off.
#include <string>

#include "tests/helpers.h"

namespace {

// A "model" a few calls above the failing op, each on its own line.
tf::Tensor bad_layer(const tf::Tensor& x) {
  return tf::matmul(x, x);  // (2, 3) x (2, 3): the inner dims differ
}
tf::Tensor model(const tf::Tensor& x) { return bad_layer(x) + 1.0f; }

struct CallSites {  // on for one test, off again even if it fails
  CallSites() { tf::debugging::enable_error_call_sites(); }
  ~CallSites() { tf::debugging::disable_error_call_sites(); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const tf::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("with error call sites on, an op's error names the user code that called it",
          "[errors][debugging]") {
  tf::Tensor x = tf::ones({2, 3});
  tf::debugging::disable_error_call_sites();  // whatever TFJIT_ERROR_CALL_SITES says
  const std::string off = error_of([&] { model(x); });
  CHECK_THAT(off, Catch::StartsWith("matmul: "));
  CHECK_THAT(off, !Catch::Contains("error_call_sites_test.cpp"));
  CHECK_FALSE(tf::debugging::error_call_sites_enabled());
  CallSites on;
  CHECK(tf::debugging::error_call_sites_enabled());
  const std::string where = error_of([&] { model(x); });
  INFO(where);
  CHECK_THAT(where, Catch::StartsWith(off + "\n  at "));
  CHECK_THAT(where, Catch::Contains("error_call_sites_test.cpp:11 in bad_layer"));
  CHECK_THAT(where,
             Catch::Contains("\n  from ") && Catch::Contains("error_call_sites_test.cpp:13 in"));
  // Compiled too: the trace runs the body, so the failing line is the body's.
  auto f = tf::function([](const tf::Tensor& v) { return model(v); });
  CHECK_THAT(error_of([&] { f(x); }), Catch::Contains("error_call_sites_test.cpp:11 in bad_layer"));
  // An error re-raised with another's message keeps one call site.
  const std::string again = error_of([&] {
    try {
      model(x);
    } catch (const tf::Error& e) {
      throw tf::InvalidArgumentError(std::string("outer: ") + e.what());
    }
  });
  CHECK(again.find("\n  at ") == again.rfind("\n  at "));
}
