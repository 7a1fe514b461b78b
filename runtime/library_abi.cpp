#include "runtime/library_abi.h"

#include <exception>
#include <mutex>
#include <utility>

namespace tf::rt::abi {

namespace {
std::mutex& calls_mutex() {
  static std::mutex m;
  return m;
}
std::vector<LibraryCall>& registered() {
  static std::vector<LibraryCall> calls;
  return calls;
}
thread_local std::exception_ptr failure;
thread_local CompiledCall* current = nullptr;
}  // namespace

CompiledCall* current_call() { return current; }
CompiledCall* set_current_call(CompiledCall* call) { return std::exchange(current, call); }

bool register_library_calls(std::vector<LibraryCall> calls) {
  std::lock_guard lock(calls_mutex());
  for (auto& c : calls) registered().push_back(std::move(c));
  return true;
}

std::vector<LibraryCall> library_calls() {
  std::lock_guard lock(calls_mutex());
  return registered();
}

void record_failure() {
  if (!failure) failure = std::current_exception();
}

void raise_recorded_failure() {
  if (failure) std::rethrow_exception(std::exchange(failure, nullptr));
}

}  // namespace tf::rt::abi
