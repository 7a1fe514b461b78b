// tf::debugging's error call sites: the frames of user code above the raise, from libbacktrace
// (GCC's, reading DWARF), appended to every tf::Error's message while enabled.
#include <cxxabi.h>
#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tfjit/errors.h"

#if TFJIT_HAVE_LIBBACKTRACE
#include <backtrace.h>
#endif

namespace tf {

namespace {

std::atomic<int> g_enabled{-1};  // -1: not decided yet (the environment decides)

bool enabled() {
  int e = g_enabled.load(std::memory_order_relaxed);
  if (e < 0) {
    const char* env = std::getenv("TFJIT_ERROR_CALL_SITES");
    e = env && std::string_view(env) == "1";
    g_enabled.store(e, std::memory_order_relaxed);
  }
  return e != 0;
}

#if TFJIT_HAVE_LIBBACKTRACE
constexpr int kFrames = 3;  // user frames reported: the call and two callers

// A frame of tfjit itself (this library, its sources, its headers) or of the C++ library.
bool internal(uintptr_t pc, std::string_view file) {
  Dl_info self{}, here{};
  if (dladdr(reinterpret_cast<void*>(&enabled), &self) && self.dli_fname &&
      std::string_view(self.dli_fname).find(".so") != std::string_view::npos &&
      dladdr(reinterpret_cast<void*>(pc), &here) && self.dli_fbase == here.dli_fbase)
    return true;  // in libtfjit.so (tests and tools link its objects into the executable)
  constexpr std::string_view kSource = TFJIT_SOURCE_DIR "/";
  if (file.starts_with(kSource)) {
    std::string_view rest = file.substr(kSource.size());
    for (std::string_view layer :
         {"core/", "ops/", "ir/", "compiler/", "runtime/", "backends/", "frontend/", "build"})
      if (rest.starts_with(layer)) return true;
  }
  return file.find("/include/tfjit/") != std::string_view::npos ||
         file.starts_with("/usr/include/") || file.starts_with("../");  // libc's own paths
}

struct Collected {
  std::vector<std::string> sites;
};

std::string demangled(const char* name) {
  if (!name) return "?";
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && d ? d.get() : name;
}

int on_frame(void* data, uintptr_t pc, const char* file, int line, const char* function) {
  auto& c = *static_cast<Collected*>(data);
  if (!file || internal(pc, file)) return 0;
  c.sites.push_back(std::string(file) + ":" + std::to_string(line) + " in " + demangled(function));
  return static_cast<int>(c.sites.size()) >= kFrames;  // non-zero stops the walk
}

backtrace_state* state() {
  static backtrace_state* s = backtrace_create_state(nullptr, /*threaded=*/1, nullptr, nullptr);
  return s;
}
#endif

}  // namespace

namespace debugging {
void enable_error_call_sites() { g_enabled.store(1, std::memory_order_relaxed); }
void disable_error_call_sites() { g_enabled.store(0, std::memory_order_relaxed); }
bool error_call_sites_enabled() { return enabled(); }
}  // namespace debugging

std::string detail::with_call_site(const std::string& message) {
  // An error re-raised with another's message keeps the first call site.
  if (!enabled() || message.find("\n  at ") != std::string::npos) return message;
#if TFJIT_HAVE_LIBBACKTRACE
  Collected c;
  if (backtrace_state* s = state())
    backtrace_full(
        s, /*skip=*/1, on_frame, [](void*, const char*, int) {}, &c);
  if (c.sites.empty()) return message + "\n  (call site unknown: build the calling code with -g)";
  std::string out = message + "\n  at " + c.sites[0];
  for (size_t i = 1; i < c.sites.size(); ++i) out += "\n  from " + c.sites[i];
  return out;
#else
  return message + "\n  (call sites unavailable: tfjit was built without libbacktrace)";
#endif
}

}  // namespace tf
