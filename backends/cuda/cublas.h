// cuBLAS, loaded at run time like the driver ($TFJIT_CUBLAS, else the driver's major version:
// libcublas.so.13 or .12), for GEMM on the GPU. Row-major products are computed as the
// column-major product of the transposes.
#pragma once

#include <cstdint>

#include "backends/cuda/driver.h"
#include "tfjit/dtype.h"

namespace tf::cuda {

// Whether cuBLAS loads (matmul falls back to the CPU when it does not), and whether it has
// cublasGemmEx (float16 and bfloat16 operands, accumulated in float).
bool cublas_available();
bool cublas_has_half_gemm();

// Creates the cuBLAS handle for `stream` now (it allocates: not allowed during graph capture).
void prepare_gemm_stream(CUstream stream);
// Destroys that handle (and its workspace), before `stream` itself is destroyed; its work must be
// finished.
void release_gemm_stream(CUstream stream);

// C (m x n) = op(A) op(B) on `stream`, row-major; float32, float64, and
// float16/bfloat16 (accumulated in float, as on the CPU) when cublas_has_half_gemm().
// Throws InternalError when cuBLAS cannot be loaded or fails.
void gemm(CUstream stream, DType dtype, const void* a, const void* b, void* c, int64_t m, int64_t k,
          int64_t n, bool ta, bool tb);

// C[i] = op(A[i]) op(B[i]) for i < batch, contiguous, as rt::MatmulKernel: one
// cublasSgemmStridedBatched call for float32 (where that cuBLAS has it), else one gemm per batch.
void gemm_batched(CUstream stream, DType dtype, const void* a, const void* b, void* c,
                  int64_t batch, int64_t m, int64_t k, int64_t n, bool ta, bool tb);

}  // namespace tf::cuda
