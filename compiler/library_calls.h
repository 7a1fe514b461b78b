#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tf::compiler {
// tfjit.fail_if's call: (memref<i1> failed, memref<?xi8> NUL-terminated message).
inline constexpr char kFailIfCall[] = "tfjit_fail_if";

struct LibraryCall {
  const char* symbol;
  void* address;
};
// The symbols compiled code may call, with their addresses.
std::vector<LibraryCall> library_calls();
// Rethrows the first error a library call on this thread recorded since the last call to this
// (a tfjit.fail_if as InvalidArgumentError, a failed GEMM as its own error), and forgets it.
void raise_library_error();
}  // namespace tf::compiler
