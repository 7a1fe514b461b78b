// Kernel arguments shared by the nvcc-compiled kernels (kernels.cu) and their host launchers
// (register.cpp): plain structs passed by value to cuLaunchKernel.
#pragma once

#include <cstdint>

namespace tf::cuda {

inline constexpr int kMaxRank = 8;  // broadcasting and strided copies on the GPU

// An output of `dims` read through per-operand element strides (0 where broadcast).
struct StridedPlan {
  int32_t rank;
  int64_t dims[kMaxRank];
  int64_t strides[2][kMaxRank];
};

}  // namespace tf::cuda
