// The fuzzers' sandbox (tfjit-fuzz, tfjit-fuzz-files): one case runs in a forked child with its
// memory capped and a deadline, and what happened is classified. Header-only: each fuzzer
// links it with what it fuzzes.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>

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

}  // namespace tfjit_tools
