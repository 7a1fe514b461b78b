// A dense layer's GEMM with its epilogue in one oneDNN primitive: C = act(A * B + bias), bias
// broadcast over rows. Compiled graphs call it (compiler/library_calls.cpp) where the fusion
// pass (compiler/lowering/fuse_matmul_epilogue.cpp) found matmul + bias + activation.
#pragma once

#include <cstdint>

namespace tf::cpu {

// Codes shared with compiled code (the pass passes them as an i64 argument): keep in sync.
enum class Epilogue : int64_t { kNone = 0, kRelu = 1, kTanh = 2, kSigmoid = 3 };

// A: m x k, B: k x n, bias: n, C: m x n, all contiguous row-major float32. Throws
// InternalError if oneDNN fails or `act` is not an Epilogue.
void sgemm_bias_act(const float* a, const float* b, const float* bias, float* c, int64_t m,
                    int64_t k, int64_t n, int64_t act);

}  // namespace tf::cpu
