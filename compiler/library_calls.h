#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tf::compiler {
struct LibraryCall {
  const char* symbol;
  void* address;
};
// The symbols compiled code may call, with their addresses.
std::vector<LibraryCall> library_calls();
// The error a library call on this thread recorded since the last call (empty if none).
std::string take_library_error();
}  // namespace tf::compiler
