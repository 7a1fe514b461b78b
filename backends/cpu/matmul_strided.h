// Batched GEMMs whose operands are read through strides (backends/cpu/matmul_strided.cpp): the
// compiled graphs' batched GEMMs (runtime/library_abi.h, kSgemmStrided) and the eager batched
// matmul of many products.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/library_abi.h"

namespace tf::cpu {

// C[z][i][j] = sum_p A[z][i][p] * B[z][p][j] for every index z of up to kMaxBatchDims batch dims,
// each operand at its own element strides (a transposed or head-split operand is a layout, not a
// copy). Each stride list holds the batch dims' strides, then the two matrix dims' (A: m, k; B:
// k, n; C: m, n). Runs as oneDNN matmul primitives over the batch (whole, or chunks or row tiles
// over the thread pool), cached by layout. Throws InternalError if the lists do not match or
// oneDNN fails.
struct StridedGemm {
  static constexpr size_t kMaxBatchDims = rt::abi::kSgemmStridedMaxBatchDims;
  std::vector<int64_t> batch;
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> a, b, c;
};
void sgemm_strided(const float* a, const float* b, float* c, const StridedGemm& g);
// The oneDNN implementation a single-threaded primitive over g's whole batch runs on
// ("gemm:jit"; "ref:any", its reference loops, is a layout to avoid). Tests.
std::string sgemm_strided_implementation(const StridedGemm& g);

}  // namespace tf::cpu
