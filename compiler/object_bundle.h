// Compiled host code as one string: the relocatable objects of a graph compiled in partitions
// (compiler/codegen.cpp), which the disk cache stores and Executable::load links. MLIR-free.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tf::compiler {

// Several relocatable objects as one string (what the disk cache stores and Executable::load
// links): a single object is itself, unchanged.
std::string pack_objects(const std::vector<std::string>& objects);
// The objects of pack_objects's string (views into `code`); tf::InvalidArgumentError if
// malformed.
std::vector<std::string_view> unpack_objects(std::string_view code);

}  // namespace tf::compiler
