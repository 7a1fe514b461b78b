// Compile-time check of driver.h against the toolkit's cuda.h (built only when the toolkit is
// there): tfjit declares the driver's types and constants itself so that it builds without the
// toolkit, and this keeps those declarations honest.
#include <cuda.h>

#include <cstddef>

#include "backends/cuda/driver.h"

namespace tf::cuda {

static_assert(CUDA_SUCCESS == ::CUDA_SUCCESS);
static_assert(CUDA_ERROR_OUT_OF_MEMORY == ::CUDA_ERROR_OUT_OF_MEMORY);
static_assert(CU_DEVICE_ATTRIBUTE_MAX_PITCH == ::CU_DEVICE_ATTRIBUTE_MAX_PITCH);
static_assert(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT ==
              ::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
static_assert(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ==
              ::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
static_assert(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR ==
              ::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
static_assert(CU_STREAM_NON_BLOCKING == ::CU_STREAM_NON_BLOCKING);
static_assert(CU_JIT_ERROR_LOG_BUFFER == ::CU_JIT_ERROR_LOG_BUFFER);
static_assert(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES == ::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
static_assert(CU_JIT_INPUT_PTX == ::CU_JIT_INPUT_PTX);
static_assert(CU_STREAM_CAPTURE_MODE_THREAD_LOCAL == ::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
static_assert(CU_MEMORYTYPE_HOST == ::CU_MEMORYTYPE_HOST);
static_assert(CU_MEMORYTYPE_DEVICE == ::CU_MEMORYTYPE_DEVICE);
static_assert(CU_POINTER_ATTRIBUTE_MEMORY_TYPE == ::CU_POINTER_ATTRIBUTE_MEMORY_TYPE);
static_assert(sizeof(CUdeviceptr) == sizeof(::CUdeviceptr));

#define TFJIT_SAME_FIELD(field)                                                  \
  static_assert(offsetof(Memcpy2D, field) == offsetof(::CUDA_MEMCPY2D, field) && \
                sizeof(Memcpy2D::field) == sizeof(::CUDA_MEMCPY2D::field));
TFJIT_SAME_FIELD(srcXInBytes)
TFJIT_SAME_FIELD(srcY)
TFJIT_SAME_FIELD(srcMemoryType)
TFJIT_SAME_FIELD(srcHost)
TFJIT_SAME_FIELD(srcDevice)
TFJIT_SAME_FIELD(srcArray)
TFJIT_SAME_FIELD(srcPitch)
TFJIT_SAME_FIELD(dstXInBytes)
TFJIT_SAME_FIELD(dstY)
TFJIT_SAME_FIELD(dstMemoryType)
TFJIT_SAME_FIELD(dstHost)
TFJIT_SAME_FIELD(dstDevice)
TFJIT_SAME_FIELD(dstArray)
TFJIT_SAME_FIELD(dstPitch)
TFJIT_SAME_FIELD(WidthInBytes)
TFJIT_SAME_FIELD(Height)
static_assert(sizeof(Memcpy2D) == sizeof(::CUDA_MEMCPY2D));
#undef TFJIT_SAME_FIELD

}  // namespace tf::cuda
