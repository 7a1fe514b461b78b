// The activations fused into oneDNN calls (runtime/library_abi.h's Epilogue codes), shared by
// the dense layer's GEMM (matmul_fused.cpp) and the convolution (conv.cpp): each as a oneDNN
// eltwise post-op, and as the loop that applies it after an unfused call, both with the
// semantics of ops/elementwise_ops.def.
#pragma once

#include <cstdint>

#include <dnnl.hpp>

#include "runtime/library_abi.h"

namespace tf::cpu {

using rt::abi::Epilogue;

// Whether `act` is an Epilogue code.
bool is_epilogue(int64_t act);

// Appends act's eltwise post-op (none for kNone). InternalError for an unknown code.
void append_epilogue(dnnl::post_ops& ops, int64_t act);

// act(x), as the op table computes it.
float activate(float x, int64_t act);

// rows x n values c, contiguous: c = act(c + bias[j] + residual), bias (n values) and residual
// (rows x n) optional (null), rows split over the threads when large.
void apply_epilogue(float* c, int64_t rows, int64_t n, const float* bias, const float* residual,
                    int64_t act);

}  // namespace tf::cpu
