// tf::print inside compiled functions, on any device: the device side copies each tensor's view
// to the host and hands the line's pieces to the print handler, which the frontend (the owner of
// tf::print's format) sets. Compiled code thus never calls up into the frontend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tfjit/dtype.h"

namespace tf::rt {

// A tensor's view: `bytes` is the span of host memory it covers, `strides` in elements from
// its start.
struct PrintedTensor {
  DType dtype;
  std::vector<int64_t> shape, strides;
  std::string bytes;
};
// `texts` surround the tensors (one more text than tensors).
using PrintHandler = void (*)(const std::vector<std::string>& texts,
                              const std::vector<PrintedTensor>& tensors);
void set_print_handler(PrintHandler handler);
PrintHandler print_handler();

}  // namespace tf::rt
