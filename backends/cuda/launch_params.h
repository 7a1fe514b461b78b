// Kernel arguments shared by the nvcc-compiled kernels (kernels.cu and its family files) and their
// host launchers (register.cpp and the family files beside it): plain structs passed by value to
// cuLaunchKernel. Plans holding vectors on the host become these fixed-size structs, so ranks
// above kMaxRank are refused (UnimplementedError) by the launchers.
#pragma once

#include <cstdint>

namespace tf::cuda {

inline constexpr int kMaxRank = 8;  // broadcasting and strided copies on the GPU

// Elementwise kernels (kernels.cu's for_each_element) give a thread kLanes elements from
// kLanesFrom elements on, their loads issued together: one 4-byte load in flight per thread keeps
// too few bytes in flight per multiprocessor to reach HBM's bandwidth (the compiled kernels'
// version of this, compiler/lowering/linalg_to_gpu_loops.cpp, was measured on an H200).
inline constexpr int kLanes = 4;
inline constexpr int64_t kLanesFrom = int64_t{1} << 20;

// An output of `dims` read through per-operand element strides (0 where broadcast). Rank 0: the
// operands are dense, read at the output's index. scalar_operand 1 or 2: operand x or y is a
// single element, read once, and the other is dense.
struct StridedPlan {
  int32_t rank;
  int32_t scalar_operand;
  int64_t dims[kMaxRank];
  int64_t strides[2][kMaxRank];
};

// A window reduction's rt::ReduceWindowPlan (pooling), per dim of the input `in` and output `out`.
struct WindowPlan {
  int32_t rank;
  int64_t in[kMaxRank], out[kMaxRank], window[kMaxRank], strides[kMaxRank], dilations[kMaxRank],
      low[kMaxRank];
};

// A scatter's rt::ScatterPlan: `rows` index tuples of `depth` int32 or int64 indices (into dims),
// each addressing a row of `slice` elements.
struct ScatterArgs {
  int32_t depth;
  int32_t indices64;
  int64_t rows, slice;
  int64_t dims[kMaxRank];
};

}  // namespace tf::cuda
