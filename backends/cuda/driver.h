// The CUDA driver API, loaded at run time with dlopen("libcuda.so.1"), so one build of tfjit runs
// on machines with and without a GPU. We declare the few types and entry points we use instead
// of including cuda.h: the build needs no CUDA toolkit for this part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace tf::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUstream = struct CUstream_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUlinkState = struct CUlinkState_st*;
using CUgraph = struct CUgraph_st*;
using CUgraphExec = struct CUgraphExec_st*;
using CUjit_option = int;

inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_PITCH = 11;
inline constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
inline constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
inline constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
inline constexpr int CU_JIT_INPUT_PTX = 1;
inline constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

inline constexpr int CU_MEMORYTYPE_HOST = 1;
inline constexpr int CU_MEMORYTYPE_DEVICE = 2;
inline constexpr int CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2;

// cuda.h's CUDA_MEMCPY2D (driver_abi_check.cpp checks it against cuda.h when the toolkit is there).
struct Memcpy2D {
  size_t srcXInBytes, srcY;
  int srcMemoryType;
  const void* srcHost;
  CUdeviceptr srcDevice;
  void* srcArray;
  size_t srcPitch;
  size_t dstXInBytes, dstY;
  int dstMemoryType;
  void* dstHost;
  CUdeviceptr dstDevice;
  void* dstArray;
  size_t dstPitch;
  size_t WidthInBytes, Height;
};

// One row per driver entry point: (member, exported symbol, signature).
#define TFJIT_CUDA_DRIVER_FUNCTIONS(X)                                                             \
  X(Init, "cuInit", CUresult (*)(unsigned))                                                        \
  X(DriverGetVersion, "cuDriverGetVersion", CUresult (*)(int*))                                    \
  X(GetErrorName, "cuGetErrorName", CUresult (*)(CUresult, const char**))                          \
  X(GetErrorString, "cuGetErrorString", CUresult (*)(CUresult, const char**))                      \
  X(DeviceGetCount, "cuDeviceGetCount", CUresult (*)(int*))                                        \
  X(DeviceGet, "cuDeviceGet", CUresult (*)(CUdevice*, int))                                        \
  X(DeviceGetName, "cuDeviceGetName", CUresult (*)(char*, int, CUdevice))                          \
  X(DeviceGetAttribute, "cuDeviceGetAttribute", CUresult (*)(int*, int, CUdevice))                 \
  X(DeviceTotalMem, "cuDeviceTotalMem_v2", CUresult (*)(size_t*, CUdevice))                        \
  X(PrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult (*)(CUcontext*, CUdevice))              \
  X(CtxSetCurrent, "cuCtxSetCurrent", CUresult (*)(CUcontext))                                     \
  X(MemGetInfo, "cuMemGetInfo_v2", CUresult (*)(size_t*, size_t*))                                 \
  X(MemAlloc, "cuMemAlloc_v2", CUresult (*)(CUdeviceptr*, size_t))                                 \
  X(MemFree, "cuMemFree_v2", CUresult (*)(CUdeviceptr))                                            \
  X(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2",                                                       \
    CUresult (*)(CUdeviceptr, const void*, size_t, CUstream))                                      \
  X(MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", CUresult (*)(void*, CUdeviceptr, size_t, CUstream))   \
  X(MemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2",                                                       \
    CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream))                                      \
  X(Memcpy2DAsync, "cuMemcpy2DAsync_v2", CUresult (*)(const Memcpy2D*, CUstream))                  \
  X(PointerGetAttributes, "cuPointerGetAttributes",                                                \
    CUresult (*)(unsigned, const int*, void**, CUdeviceptr))                                       \
  X(MemsetD8Async, "cuMemsetD8Async", CUresult (*)(CUdeviceptr, unsigned char, size_t, CUstream))  \
  X(StreamCreate, "cuStreamCreate", CUresult (*)(CUstream*, unsigned))                             \
  X(StreamSynchronize, "cuStreamSynchronize", CUresult (*)(CUstream))                              \
  X(StreamDestroy, "cuStreamDestroy_v2", CUresult (*)(CUstream))                                   \
  X(ModuleLoadData, "cuModuleLoadData", CUresult (*)(CUmodule*, const void*))                      \
  X(ModuleUnload, "cuModuleUnload", CUresult (*)(CUmodule))                                        \
  X(LinkCreate, "cuLinkCreate_v2", CUresult (*)(unsigned, CUjit_option*, void**, CUlinkState*))    \
  X(LinkAddData, "cuLinkAddData_v2",                                                               \
    CUresult (*)(CUlinkState, int, void*, size_t, const char*, unsigned, CUjit_option*, void**))   \
  X(LinkComplete, "cuLinkComplete", CUresult (*)(CUlinkState, void**, size_t*))                    \
  X(LinkDestroy, "cuLinkDestroy", CUresult (*)(CUlinkState))                                       \
  X(StreamBeginCapture, "cuStreamBeginCapture_v2", CUresult (*)(CUstream, int))                    \
  X(StreamEndCapture, "cuStreamEndCapture", CUresult (*)(CUstream, CUgraph*))                      \
  X(GraphInstantiate, "cuGraphInstantiateWithFlags",                                               \
    CUresult (*)(CUgraphExec*, CUgraph, unsigned long long))                                       \
  X(GraphLaunch, "cuGraphLaunch", CUresult (*)(CUgraphExec, CUstream))                             \
  X(GraphExecDestroy, "cuGraphExecDestroy", CUresult (*)(CUgraphExec))                             \
  X(GraphDestroy, "cuGraphDestroy", CUresult (*)(CUgraph))                                         \
  X(ModuleGetFunction, "cuModuleGetFunction", CUresult (*)(CUfunction*, CUmodule, const char*))    \
  X(LaunchKernel, "cuLaunchKernel",                                                                \
    CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, \
                 CUstream, void**, void**))

struct Driver {
#define TFJIT_X(member, symbol, type) std::type_identity_t<type> member = nullptr;
  TFJIT_CUDA_DRIVER_FUNCTIONS(TFJIT_X)
#undef TFJIT_X
  int version = 0;  // cuDriverGetVersion: 12040 for CUDA 12.4
};

// The loaded driver after a successful cuInit, or nullptr; then `driver_unavailable_reason`
// says why (no libcuda.so.1, a missing symbol, cuInit failed). $TFJIT_CUDA_DRIVER overrides the
// library path (tests point it at a missing file to check the CPU-only path).
const Driver* driver();
const std::string& driver_unavailable_reason();

// Turns a driver error into a typed tf error naming `what` (out of memory:
// ResourceExhaustedError; everything else InternalError). A no-op for CUDA_SUCCESS.
void check(CUresult result, const std::string& what);

}  // namespace tf::cuda
