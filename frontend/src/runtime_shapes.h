// Shape tensors whose values are known while tracing only as run-time sizes: tf::shape(y) of
// unknown dims, indexed, stacked or concatenated with known sizes. The ops that produce them
// attach shape facts (tensor_impl.h); tf::reshape, tf::broadcast_to, tf::zeros, tf::ones and
// tf::fill read them (runtime_shapes.cpp), taking each run-time size from the tensor it is of.
#pragma once

#include <optional>
#include <vector>

#include "frontend/src/tensor_impl.h"
#include "tfjit/tensor.h"

namespace tf::detail {

// The values of `t` as shape facts if they are known while tracing: those attached to a traced
// tensor, or the values of a concrete int32/int64 tensor of rank <= 1.
std::optional<std::vector<ShapeFact>> shape_facts(const Tensor& t);
// Attaches facts to `t` (a traced tensor just made by an op on shape tensors); nothing when
// `facts` is empty-handed (nullopt) or `t` is concrete.
void attach_shape_facts(const Tensor& t, std::optional<std::vector<ShapeFact>> facts);

}  // namespace tf::detail
