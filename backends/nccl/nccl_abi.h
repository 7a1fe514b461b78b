// The part of NCCL's C ABI the NCCL backend uses, declared here because the library is loaded at
// run time (dlopen) and the build needs neither nccl.h nor the CUDA runtime's headers.
// abi_check.cpp compares every declaration with nccl.h where it is installed.
#pragma once

#include <cstddef>

// At global scope, as nccl.h and the CUDA runtime declare them, so that Comm and Stream below are
// the very types ncclComm_t and cudaStream_t (the driver's CUstream is the same type).
struct ncclComm;
struct CUstream_st;

namespace tf::nccl::abi {

using Comm = ncclComm*;
using Stream = CUstream_st*;

inline constexpr size_t kUniqueIdBytes = 128;  // NCCL_UNIQUE_ID_BYTES
struct UniqueId {
  char internal[kUniqueIdBytes];
};

// The enums as nccl.h numbers them (only the values we use). The underlying type is fixed so
// that they are passed as nccl.h's enums are: 4-byte integers.
enum Result : int {
  kSuccess = 0,
  kInProgress = 7,  // a non-blocking call still running: not an error
};
enum DataType : int {
  kInt8 = 0,
  kUint8 = 1,
  kInt32 = 2,
  kInt64 = 4,
  kFloat16 = 6,
  kFloat32 = 7,
  kFloat64 = 8,
  kBfloat16 = 9,  // NCCL 2.10 and later
};
enum RedOp : int { kSum = 0, kMax = 2, kMin = 3 };

// NCCL_VERSION(2, 10, 0), the oldest NCCL the backend accepts (bfloat16, and the error and abort
// functions as used here); ncclGetVersion's code is major * 10000 + minor * 100 + patch from 2.9.
inline constexpr int kMinVersion = 21000;

// X(name, return type, parameters): the functions, each loaded by its nccl name.
#define TFJIT_NCCL_FUNCTIONS(X)                                                     \
  X(GetVersion, Result, (int*))                                                     \
  X(GetUniqueId, Result, (UniqueId*))                                               \
  X(CommInitRank, Result, (Comm*, int, UniqueId, int))                              \
  X(CommDestroy, Result, (Comm))                                                    \
  X(CommAbort, Result, (Comm))                                                      \
  X(CommGetAsyncError, Result, (Comm, Result*))                                     \
  X(GetErrorString, const char*, (Result))                                          \
  X(AllReduce, Result, (const void*, void*, size_t, DataType, RedOp, Comm, Stream)) \
  X(Broadcast, Result, (const void*, void*, size_t, DataType, int, Comm, Stream))   \
  X(AllGather, Result, (const void*, void*, size_t, DataType, Comm, Stream))        \
  X(ReduceScatter, Result, (const void*, void*, size_t, DataType, RedOp, Comm, Stream))

}  // namespace tf::nccl::abi
