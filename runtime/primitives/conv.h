// The convolution primitive's kernels, registered under ops::Primitive::conv for each float
// dtype: one kernel computes the three kinds (the forward convolution and its two gradients).
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op_info.h"
#include "runtime/library_abi.h"

namespace tf::rt {

// Tensors are contiguous, in the canonical layouts of core::ConvSpec: input (batch, spatial...,
// channels), filter (spatial..., channels / groups, out channels), output (batch, spatial...,
// out channels).
//   kForward:        (input, filter)      -> output
//   kBackpropInput:  (filter, output_grad) -> input_grad
//   kBackpropFilter: (input, output_grad)  -> filter_grad
using ConvKind = abi::ConvKind;

// A forward convolution's epilogue, out = activation(conv(input, filter) + bias + residual), as
// compiled code's fused convolutions ask for it (runtime/library_abi.h's conv_fused): the bias one
// value per output channel and the residual of the output's shape, in the kernel's memory (the
// GPU's for a GPU kernel), null where absent. float32 only.
struct ConvEpilogue {
  abi::Epilogue activation = abi::Epilogue::kNone;
  const void* bias = nullptr;
  const void* residual = nullptr;
  bool empty() const { return activation == abi::Epilogue::kNone && !bias && !residual; }
};

struct ConvPlan {
  ConvKind kind = ConvKind::kForward;
  std::vector<int64_t> input, filter, output;          // shapes
  std::vector<int64_t> strides, dilations, low, high;  // one per spatial dim
  int64_t groups = 1;
  ConvEpilogue epilogue;  // kForward only
};
using ConvKernel = void (*)(const void* a, const void* b, void* out, const ConvPlan& plan);

}  // namespace tf::rt
