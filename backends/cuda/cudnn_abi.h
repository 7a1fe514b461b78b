// The part of cuDNN 9's C API that tfjit calls (the legacy convolution API, and the bias and
// activation calls a fused convolution falls back on), declared here so
// that tfjit builds without cuDNN's headers and loads the library at run time. Where <cudnn.h>
// is installed, cudnn_abi_check.cpp checks every declaration against it at build time. The
// stand-in cuDNN of the tests (tests/fake_cuda/fake_cudnn.cpp) implements the same entry points.
#pragma once

#include <cstddef>

#include "backends/cuda/driver.h"

// cuDNN's opaque handle types, at global scope as <cudnn.h> declares them, so that the pointer
// types below are its own.
struct cudnnContext;
struct cudnnTensorStruct;
struct cudnnFilterStruct;
struct cudnnConvolutionStruct;
struct cudnnActivationStruct;

namespace tf::cuda::dnn {

using Handle = cudnnContext*;
using TensorDesc = cudnnTensorStruct*;
using FilterDesc = cudnnFilterStruct*;
using ConvDesc = cudnnConvolutionStruct*;
using ActivationDesc = cudnnActivationStruct*;

// cudnnStatus_t: the thousands give the category.
using Status = int;
inline constexpr Status kSuccess = 0;
inline constexpr Status kNotInitialized = 1001;          // CUDNN_STATUS_NOT_INITIALIZED
inline constexpr Status kBadParam = 2000;                // CUDNN_STATUS_BAD_PARAM
inline constexpr Status kNotSupported = 3000;            // CUDNN_STATUS_NOT_SUPPORTED
inline constexpr Status kInternalError = 4000;           // CUDNN_STATUS_INTERNAL_ERROR
inline constexpr Status kHostAllocationFailed = 4003;    // ..._HOST_ALLOCATION_FAILED
inline constexpr Status kDeviceAllocationFailed = 4004;  // ..._DEVICE_ALLOCATION_FAILED
inline constexpr Status kExecutionFailed = 5000;         // CUDNN_STATUS_EXECUTION_FAILED
inline constexpr int status_category(Status s) {
  return s / 1000;
}  // 1: init, 2: bad param,
   // 3: unsupported, 4, 5

// cudnnDataType_t, cudnnTensorFormat_t, cudnnConvolutionMode_t, cudnnMathType_t.
inline constexpr int kDataFloat = 0, kDataDouble = 1, kDataHalf = 2, kDataBfloat16 = 9;
inline constexpr int kTensorNhwc = 1;
inline constexpr int kCrossCorrelation = 1;
inline constexpr int kDefaultMath = 0, kTensorOpMath = 1, kFmaMath = 3;
// cudnnActivationMode_t, cudnnNanPropagation_t.
inline constexpr int kActivationRelu = 1, kActivationIdentity = 5;
inline constexpr int kNotPropagateNan = 0;

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t, which share this layout.
struct AlgoPerf {
  int algo;
  Status status;
  float time;  // milliseconds (Find), -1 (heuristics)
  size_t memory;
  int determinism;
  int math_type;
  int reserved[3];
};

// One row per entry point: (member: the symbol without "cudnn", symbol, signature).
#define TFJIT_CUDNN_ENTRY_POINTS(X)                                                               \
  X(GetVersion, "cudnnGetVersion", size_t (*)())                                                  \
  X(GetErrorString, "cudnnGetErrorString", const char* (*)(Status))                               \
  X(Create, "cudnnCreate", Status (*)(Handle*))                                                   \
  X(Destroy, "cudnnDestroy", Status (*)(Handle))                                                  \
  X(SetStream, "cudnnSetStream", Status (*)(Handle, CUstream))                                    \
  X(CreateTensorDescriptor, "cudnnCreateTensorDescriptor", Status (*)(TensorDesc*))               \
  X(DestroyTensorDescriptor, "cudnnDestroyTensorDescriptor", Status (*)(TensorDesc))              \
  X(SetTensorNdDescriptor, "cudnnSetTensorNdDescriptor",                                          \
    Status (*)(TensorDesc, int, int, const int*, const int*))                                     \
  X(CreateFilterDescriptor, "cudnnCreateFilterDescriptor", Status (*)(FilterDesc*))               \
  X(DestroyFilterDescriptor, "cudnnDestroyFilterDescriptor", Status (*)(FilterDesc))              \
  X(SetFilterNdDescriptor, "cudnnSetFilterNdDescriptor",                                          \
    Status (*)(FilterDesc, int, int, int, const int*))                                            \
  X(CreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor", Status (*)(ConvDesc*))       \
  X(DestroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor", Status (*)(ConvDesc))      \
  X(SetConvolutionNdDescriptor, "cudnnSetConvolutionNdDescriptor",                                \
    Status (*)(ConvDesc, int, const int*, const int*, const int*, int, int))                      \
  X(SetConvolutionGroupCount, "cudnnSetConvolutionGroupCount", Status (*)(ConvDesc, int))         \
  X(SetConvolutionMathType, "cudnnSetConvolutionMathType", Status (*)(ConvDesc, int))             \
  X(GetConvolutionForwardAlgorithmMaxCount, "cudnnGetConvolutionForwardAlgorithmMaxCount",        \
    Status (*)(Handle, int*))                                                                     \
  X(GetConvolutionForwardAlgorithm_v7, "cudnnGetConvolutionForwardAlgorithm_v7",                  \
    Status (*)(Handle, TensorDesc, FilterDesc, ConvDesc, TensorDesc, int, int*, AlgoPerf*))       \
  X(FindConvolutionForwardAlgorithmEx, "cudnnFindConvolutionForwardAlgorithmEx",                  \
    Status (*)(Handle, TensorDesc, const void*, FilterDesc, const void*, ConvDesc, TensorDesc,    \
               void*, int, int*, AlgoPerf*, void*, size_t))                                       \
  X(ConvolutionForward, "cudnnConvolutionForward",                                                \
    Status (*)(Handle, const void*, TensorDesc, const void*, FilterDesc, const void*, ConvDesc,   \
               int, void*, size_t, const void*, TensorDesc, void*))                               \
  X(ConvolutionBiasActivationForward, "cudnnConvolutionBiasActivationForward",                    \
    Status (*)(Handle, const void*, TensorDesc, const void*, FilterDesc, const void*, ConvDesc,   \
               int, void*, size_t, const void*, TensorDesc, const void*, TensorDesc, const void*, \
               ActivationDesc, TensorDesc, void*))                                                \
  X(CreateActivationDescriptor, "cudnnCreateActivationDescriptor", Status (*)(ActivationDesc*))   \
  X(DestroyActivationDescriptor, "cudnnDestroyActivationDescriptor", Status (*)(ActivationDesc))  \
  X(SetActivationDescriptor, "cudnnSetActivationDescriptor",                                      \
    Status (*)(ActivationDesc, int, int, double))                                                 \
  X(AddTensor, "cudnnAddTensor",                                                                  \
    Status (*)(Handle, const void*, TensorDesc, const void*, const void*, TensorDesc, void*))     \
  X(ActivationForward, "cudnnActivationForward",                                                  \
    Status (*)(Handle, ActivationDesc, const void*, TensorDesc, const void*, const void*,         \
               TensorDesc, void*))                                                                \
  X(GetConvolutionBackwardDataAlgorithmMaxCount,                                                  \
    "cudnnGetConvolutionBackwardDataAlgorithmMaxCount", Status (*)(Handle, int*))                 \
  X(GetConvolutionBackwardDataAlgorithm_v7, "cudnnGetConvolutionBackwardDataAlgorithm_v7",        \
    Status (*)(Handle, FilterDesc, TensorDesc, ConvDesc, TensorDesc, int, int*, AlgoPerf*))       \
  X(FindConvolutionBackwardDataAlgorithmEx, "cudnnFindConvolutionBackwardDataAlgorithmEx",        \
    Status (*)(Handle, FilterDesc, const void*, TensorDesc, const void*, ConvDesc, TensorDesc,    \
               void*, int, int*, AlgoPerf*, void*, size_t))                                       \
  X(ConvolutionBackwardData, "cudnnConvolutionBackwardData",                                      \
    Status (*)(Handle, const void*, FilterDesc, const void*, TensorDesc, const void*, ConvDesc,   \
               int, void*, size_t, const void*, TensorDesc, void*))                               \
  X(GetConvolutionBackwardFilterAlgorithmMaxCount,                                                \
    "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", Status (*)(Handle, int*))               \
  X(GetConvolutionBackwardFilterAlgorithm_v7, "cudnnGetConvolutionBackwardFilterAlgorithm_v7",    \
    Status (*)(Handle, TensorDesc, TensorDesc, ConvDesc, FilterDesc, int, int*, AlgoPerf*))       \
  X(FindConvolutionBackwardFilterAlgorithmEx, "cudnnFindConvolutionBackwardFilterAlgorithmEx",    \
    Status (*)(Handle, TensorDesc, const void*, TensorDesc, const void*, ConvDesc, FilterDesc,    \
               void*, int, int*, AlgoPerf*, void*, size_t))                                       \
  X(ConvolutionBackwardFilter, "cudnnConvolutionBackwardFilter",                                  \
    Status (*)(Handle, const void*, TensorDesc, const void*, TensorDesc, const void*, ConvDesc,   \
               int, void*, size_t, const void*, FilterDesc, void*))

}  // namespace tf::cuda::dnn
