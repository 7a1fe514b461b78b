// What the fuzzers (tfjit-fuzz, tfjit-fuzz-files) share: the sandbox (one case runs in a forked
// child with its memory capped and a deadline, and what happened is classified), the options
// every fuzzer takes and the table of outcomes. Header-only: each fuzzer links it with what it
// fuzzes.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace tfjit_tools {

// ok and typed (a tf::Error) are correct behaviour; the rest are defects: std (another
// exception), signal (a crash), hang (past the deadline), mismatch (a wrong result).
enum Outcome { kOk, kTyped, kStd, kSignal, kHang, kMismatch, kNumOutcomes };
inline const char* const kOutcomeNames[] = {"ok", "typed", "std", "signal", "hang", "mismatch"};
inline bool is_defect(Outcome o) { return o != kOk && o != kTyped; }

struct Result {
  Outcome outcome;
  std::string detail;
};

// Runs `body` (returning a Result) in a child and reads its outcome through a pipe. The child's
// data segment is capped, so a legal but huge allocation fails instead of swapping (not under
// ASan, whose shadow memory the cap would count).
template <class Body>
Result isolated(Body body, double timeout_s, int64_t memory_limit_mb) {
  int fds[2];
  if (pipe(fds) != 0) return {kSignal, "pipe failed"};
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {kTyped, "fork failed: case skipped"};  // the machine's limit, not a defect
  }
  if (pid == 0) {
    close(fds[0]);
#ifndef __SANITIZE_ADDRESS__
    const rlim_t bytes = static_cast<rlim_t>(memory_limit_mb) << 20;
    const rlimit limit{bytes, bytes};
    setrlimit(RLIMIT_DATA, &limit);
#else
    (void)memory_limit_mb;
#endif
    Result r = body();
    std::string msg = std::to_string(r.outcome) + " " + r.detail.substr(0, 300);
    (void)!write(fds[1], msg.data(), msg.size());
    _exit(0);
  }
  close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  bool hung = false;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      hung = true;
      break;
    }
    usleep(2000);
  }
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  if (hung) return {kHang, "killed after " + std::to_string(timeout_s) + " s"};
  if (WIFSIGNALED(status)) return {kSignal, std::string("signal ") + strsignal(WTERMSIG(status))};
  if (msg.empty()) return {kSignal, "child exited without a result"};
  return {static_cast<Outcome>(msg[0] - '0'), msg.size() > 2 ? msg.substr(2) : ""};
}

// The options every fuzzer takes.
struct FuzzOptions {
  uint64_t seed = 1;
  int64_t cases = 200, only_case = -1, memory_limit_mb = 4096;
  double time_limit = 0, case_timeout = 60;
  bool verbose = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  // Case n is to run: the one asked for, and none once the time is up.
  bool runs(int64_t n) const {
    if (only_case >= 0 && n != only_case) return false;
    return time_limit <= 0 ||
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <=
               time_limit;
  }
};
inline constexpr char kCommonOptionsHelp[] =
    "  --seed N           first case's seed (default 1)\n"
    "  --cases N          number of cases (default 200)\n"
    "  --case N           run only case N (to reproduce one)\n"
    "  --time SECONDS     stop starting new cases after this long (default: no limit)\n"
    "  --case-timeout S   a case running longer is a hang (default 60)\n"
    "  --memory-limit MB  each case's data limit (default 4096; not under ASan)\n"
    "  --verbose          print every case, not only defects\n"
    "  --help             this text\n";

// Parses argv into `o`; `extra(flag, value)` takes the fuzzer's own flags (false: unknown;
// `value()` reads the flag's argument). Returns the exit code to end with (0 after --help, 2 on
// a usage error), or -1 to go on.
inline int parse_options(
    int argc, char** argv, const std::string& tool, FuzzOptions& o, void (*usage)(std::ostream&),
    const std::function<bool(const std::string& flag, const std::function<std::string()>& value)>&
        extra) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::function<std::string()> value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--help" || a == "-h") {
        usage(std::cout);
        return 0;
      } else if (a == "--seed") {
        o.seed = std::stoull(value());
      } else if (a == "--cases") {
        o.cases = std::stoll(value());
      } else if (a == "--case") {
        o.only_case = std::stoll(value());
      } else if (a == "--time") {
        o.time_limit = std::stod(value());
      } else if (a == "--case-timeout") {
        o.case_timeout = std::stod(value());
      } else if (a == "--memory-limit") {
        o.memory_limit_mb = std::stoll(value());
      } else if (a == "--verbose") {
        o.verbose = true;
      } else if (!extra(a, value)) {
        std::cerr << tool << ": unknown option " << a << "\n";
        usage(std::cerr);
        return 2;
      }
    } catch (const std::invalid_argument& e) {
      std::cerr << tool << ": " << e.what() << "\n";
      return 2;
    } catch (const std::exception&) {
      std::cerr << tool << ": bad value for " << a << "\n";
      return 2;
    }
  }
  // --case N reproduces case N of the run it came from, whatever --cases that run had.
  if (o.only_case >= 0) o.cases = std::max(o.cases, o.only_case + 1);
  return -1;
}

// The outcome counts, a row per mode or kind; returns the exit code (1 when a defect was found).
inline int print_outcomes(const std::string& title, const char* row_header,
                          const std::vector<std::string>& rows,
                          const std::vector<std::vector<int64_t>>& counts) {
  std::cout << "\n" << title << "\n";
  int width = 18;  // the row names' column, wide enough for the longest
  for (const std::string& r : rows) width = std::max(width, static_cast<int>(r.size()) + 2);
  std::printf("%-*s", width, row_header);
  for (const char* o : kOutcomeNames) std::printf("%10s", o);
  std::printf("\n");
  int64_t defects = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::printf("%-*s", width, rows[r].c_str());
    for (int o = 0; o < kNumOutcomes; ++o) {
      std::printf("%10lld", static_cast<long long>(counts[r][static_cast<size_t>(o)]));
      if (is_defect(static_cast<Outcome>(o))) defects += counts[r][static_cast<size_t>(o)];
    }
    std::printf("\n");
  }
  std::cout << (defects ? "DEFECTS FOUND: " + std::to_string(defects) + "\n" : "no defects\n");
  return defects ? 1 : 0;
}

}  // namespace tfjit_tools
