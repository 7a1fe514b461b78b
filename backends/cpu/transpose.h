// A matrix copied transposed: the copy that lets a GEMM read an operand in the layout oneDNN's
// kernels run fastest (backends/cpu/matmul.cpp), and eager transposes that move the innermost dim
// (backends/cpu/copy.cpp). Bits are moved, never converted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tf::cpu {

// dst (cols x rows, contiguous) = src (rows x cols, rows src_ld elements apart) transposed, over
// the thread pool; elements of `element_size` bytes (2, 4 or 8), of any type.
void transpose_words(const void* src, void* dst, int64_t rows, int64_t cols, int64_t src_ld,
                     size_t element_size);

}  // namespace tf::cpu
