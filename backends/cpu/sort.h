// The argsort kernels, for the library calls compiled code makes.
#pragma once

#include "runtime/primitives/sort.h"
#include "tfjit/dtype.h"

namespace tf::cpu {

// Null for dtypes argsort does not take.
rt::ArgsortKernel argsort_kernel_for(DType dtype);

}  // namespace tf::cpu
