// Moving data in and out: raw memory (wrapped without a copy, or copied) and NumPy .npy files.
// DLPack exchange is in tfjit/dlpack.h (it needs <dlpack/dlpack.h>).
#pragma once

#include <functional>
#include <string>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {

// A tensor over `data` (row-major, `shape`, `dtype`) without copying. The memory must stay valid
// and unchanged while any tensor refers to it; `release` (if given) runs when the last does.
Tensor from_blob(void* data, const TensorShape& shape, DType dtype,
                 std::function<void()> release = {});
// A tensor holding a copy of `data`.
Tensor from_buffer(const void* data, const TensorShape& shape, DType dtype);

// NumPy's .npy format (version 1.0, little-endian, C or Fortran order on load). float16,
// float32, float64, int8..int64, uint8, bool and complex64 round-trip with NumPy; bfloat16 and
// string have no .npy dtype and raise UnimplementedError. A malformed or truncated file raises
// InvalidArgumentError naming the problem.
void save_npy(const std::string& path, const Tensor& t);
Tensor load_npy(const std::string& path);

}  // namespace tf
TFJIT_API_END
