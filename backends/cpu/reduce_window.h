// The select-and-scatter kernels (a window max's or min's gradient), for the library calls
// compiled code makes.
#pragma once

#include "runtime/primitives/reduce_window.h"
#include "tfjit/dtype.h"

namespace tf::cpu {

// Null for dtypes it does not take.
rt::SelectAndScatterKernel select_and_scatter_kernel_for(DType dtype);

}  // namespace tf::cpu
