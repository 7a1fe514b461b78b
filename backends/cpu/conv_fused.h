// A forward float32 convolution with its epilogue, out = act(conv(x, w) + bias + residual)
// (tfjit.fused_conv in compiled code: runtime/library_abi.h's conv_fused): one oneDNN
// convolution primitive with the bias as its bias argument, the residual as a sum post-op (out
// first holds a copy of it) and act as an eltwise post-op; or the plain convolution followed by
// one pass over its output, whichever measured faster for the shape (as the dense layer's
// sgemm_bias_act decides, backends/cpu/matmul_fused.cpp).
#pragma once

#include <cstdint>

#include "runtime/primitives/conv.h"

namespace tf::cpu {

// x, w, out and residual (the output's shape) in rt::ConvPlan's layouts, bias one value per
// output channel; bias and residual may be null. `plan.kind` must be kForward. Throws
// InternalError if oneDNN fails or `act` is not an Epilogue.
void conv_bias_act(const float* x, const float* w, const float* bias, const float* residual,
                   float* out, const rt::ConvPlan& plan, int64_t act);

// How conv_bias_act runs a shape: by measurement (the default), or always one way (tests, or
// TFJIT_CONV_EPILOGUE=fused / separate for results that are the same bits in every run).
enum class ConvEpilogueStrategy { kMeasure, kFused, kSeparatePass };
void set_conv_epilogue_strategy(ConvEpilogueStrategy strategy);
ConvEpilogueStrategy conv_epilogue_strategy();

}  // namespace tf::cpu
