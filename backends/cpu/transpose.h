// A float32 matrix copied transposed: the copy that lets a GEMM read an operand in the layout
// oneDNN's kernels run fastest (backends/cpu/matmul.cpp).
#pragma once

#include <cstdint>

namespace tf::cpu {

// dst (cols x rows, row-major) = src (rows x cols, row-major) transposed, over the thread pool.
void transpose_f32(const float* src, float* dst, int64_t rows, int64_t cols);

}  // namespace tf::cpu
