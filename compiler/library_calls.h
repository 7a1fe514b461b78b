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
// A stable id for `text`, which compiled tf::print calls pass to the print library calls
// (compiled code refers to strings by number; equal texts share one id).
int64_t intern_print_text(const std::string& text);
}  // namespace tf::compiler
