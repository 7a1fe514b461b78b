// The GEMMs compiled graphs call (backends/cpu/library_calls.cpp), all oneDNN: plain and batched
// products with transpose flags, and a dense layer's GEMM with its epilogue, C = act(A * B +
// bias), bias broadcast over rows, where the fusion pass (compiler/lowering/
// fuse_matmul_epilogue.cpp) found matmul + bias + activation.
#pragma once

#include <cstdint>

#include "runtime/library_abi.h"

namespace tf::cpu {

using rt::abi::Epilogue;  // the codes compiled code passes

// How a GEMM splits over the thread pool: `count` tiles of `per` rows of C (by_rows) or columns,
// each run by one thread with oneDNN single-threaded. One tile below 2 * kGemmTileFlops (waking a
// thread would cost about what it saves); otherwise one per thread: smaller tiles were slower
// (oneDNN's sgemm on 256-row tiles of a 1024^3 product ran at half the speed of 512-row ones).
struct GemmTiles {
  int64_t count = 1, per = 0;
  bool by_rows = true;
};
inline constexpr double kGemmTileFlops = 4e6;
GemmTiles gemm_tiles(int64_t m, int64_t k, int64_t n, bool rows_only = false);

// GEMMs of at least kOneDnnThreadsFlops run whole on oneDNN's own threads (OpenMP's pool), which
// share packed panels between threads: single-threaded tiles of them ran up to 2x slower (on
// 512x2048x1024), and the milliseconds OpenMP's threads spin after such a call cost little next
// to it. Never inside a parallel_for chunk.
inline constexpr double kOneDnnThreadsFlops = 1e9;
bool onednn_threads_whole(int64_t m, int64_t k, int64_t n);

// C = op(A) * op(B) through oneDNN's sgemm (backends/cpu/matmul.cpp); op transposes where the
// flag is set. Row-major, contiguous float32. Each operand is read as stored or first copied
// transposed, as measured fastest for the shape (see dense_strategy()).
void sgemm(const void* a, const void* b, void* c, int64_t m, int64_t k, int64_t n, bool ta,
           bool tb);
// sgemm in one layout: `copies` says which operands are first copied transposed (their flags then
// flipped), bit 0 A, bit 1 B. The candidates sgemm measures, each callable (tests).
void sgemm_copying(const float* a, const float* b, float* c, int64_t m, int64_t k, int64_t n,
                   bool ta, bool tb, int copies);

// C[i] = op(A[i]) * op(B[i]) for i < batch, contiguous: a few products each through sgemm, more
// as sgemm_strided (backends/cpu/matmul_strided.h).
void sgemm_batched(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t k,
                   int64_t n, bool ta, bool tb);

// C = act(op(A) * op(B) + bias): A is m x k (k x m when transposed), B k x n (n x k), bias n,
// C m x n, all contiguous row-major float32. Throws InternalError if oneDNN fails or `act` is
// not an Epilogue.
void sgemm_bias_act(const float* a, const float* b, const float* bias, float* c, int64_t m,
                    int64_t k, int64_t n, int64_t act, bool ta = false, bool tb = false);

// How sgemm_bias_act runs a shape: by measurement (the default), or always one way (tests, or
// TFJIT_DENSE_LAYER=fused / separate for results that are the same bits in every run; sgemm
// then runs every product with its operands as stored).
enum class DenseStrategy { kMeasure, kFused, kSeparatePass };
void set_dense_strategy(DenseStrategy strategy);
DenseStrategy dense_strategy();

}  // namespace tf::cpu
