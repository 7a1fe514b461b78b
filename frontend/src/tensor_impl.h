// What a tf::Tensor handle points to. Concrete tensors own a buffer; symbolic tensors (made
// while tracing) instead name a value of the graph being traced.
#pragma once

#include <memory>

#include "runtime/buffer.h"
#include "tfjit/shape.h"

namespace tf::detail {

struct TensorImpl {
  TensorShape shape;
  DType dtype;
  std::shared_ptr<rt::Buffer> buffer;  // null for symbolic tensors
  // Symbolic tensors: the id of the trace that owns the value (0: none), and the value's index.
  uint64_t trace = 0;
  int32_t symbol = -1;
};

}  // namespace tf::detail
