// Moving data in and out: raw memory (wrapped without a copy, or copied) and NumPy .npy files.
// DLPack exchange is in tfjit/dlpack.h (it needs <dlpack/dlpack.h>).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

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

// The safetensors format (PyTorch's, JAX's and MLX's weights files): named tensors of dtypes
// F16, BF16, F32, F64, I8, I16, I32, I64, U8, BOOL and C64 (complex64), and string metadata.
// save writes atomically (a temporary file renamed into place); the data starts at a multiple
// of 64 bytes and, the tensors being stored by decreasing item size, each is aligned to its item
// size. Names must be unique and not "__metadata__"; a string tensor raises UnimplementedError.
// load returns the tensors in file order; a malformed file (bad lengths, JSON, dtypes, shapes,
// overlapping or missing bytes) raises InvalidArgumentError naming the file and the defect.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
std::vector<std::pair<std::string, Tensor>> load_safetensors(const std::string& path);
// The header's "__metadata__" map alone (the data is not read).
std::map<std::string, std::string> load_safetensors_metadata(const std::string& path);

}  // namespace tf
TFJIT_API_END
