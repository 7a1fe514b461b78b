// What a tf::Tensor handle points to. Concrete tensors own a buffer; symbolic tensors (made
// while tracing) instead name a value of the graph being traced.
#pragma once

#include <memory>
#include <vector>

#include "runtime/buffer.h"
#include "tfjit/shape.h"

namespace tf::detail {

struct TensorImpl;
// An element of a shape tensor computed while tracing (tf::shape of unknown dims, indexed,
// stacked, concatenated): a known size, or the run-time size of dim `dim` of the traced `of`.
// What lets tf::reshape(x, tf::shape(y)) trace (frontend/src/runtime_shapes.cpp).
struct ShapeFact {
  int64_t size = -1;
  std::shared_ptr<TensorImpl> of;
  int64_t dim = -1;
};

struct TensorImpl {
  TensorShape shape;
  DType dtype;
  std::shared_ptr<rt::Buffer> buffer;  // null for symbolic tensors
  // Symbolic tensors: the id of the trace that owns the value (0: none), and the value's index.
  uint64_t trace = 0;
  int32_t symbol = -1;
  // A symbolic 1-D or scalar integer tensor whose values are shape facts; else null.
  std::shared_ptr<const std::vector<ShapeFact>> shape_facts;
};

}  // namespace tf::detail
