// What the eager GPU kernels share (kernels.cu and the family files it includes, one
// translation unit that nvcc compiles into one fatbin): 16-bit float elements, the dtype and word
// switches, grid-stride indexing, and atomic read-modify-write of any element type.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/launch_params.h"
#include "core/dtype_sets.h"
#include "ops/scalar.h"

namespace tf::cuda {

// float16 and bfloat16 elements in device code: the bits of tf::float16_t and tf::bfloat16_t,
// converted by the same functions (core/half.h), and computed in float as on the CPU.
struct gpu_float16 {
  uint16_t bits;
  gpu_float16() = default;
  TFJIT_HOST_DEVICE explicit gpu_float16(float f) : bits(half::float16_from_float(f)) {}
  TFJIT_HOST_DEVICE explicit operator float() const { return half::float_from_float16(bits); }
};
struct gpu_bfloat16 {
  uint16_t bits;
  gpu_bfloat16() = default;
  TFJIT_HOST_DEVICE explicit gpu_bfloat16(float f) : bits(half::bfloat16_from_float(f)) {}
  TFJIT_HOST_DEVICE explicit operator float() const { return half::float_from_bfloat16(bits); }
};

}  // namespace tf::cuda

template <>
struct tf::dtype_of<tf::cuda::gpu_float16> {
  static constexpr DType value = DType::float16;
};
template <>
struct tf::dtype_of<tf::cuda::gpu_bfloat16> {
  static constexpr DType value = DType::bfloat16;
};
template <>
struct tf::kernels::compute<tf::cuda::gpu_float16> {
  using type = float;
};
template <>
struct tf::kernels::compute<tf::cuda::gpu_bfloat16> {
  using type = float;
};

namespace tf::cuda {

using kernels::compute_t;

// Calls f(T{}) for the C++ type of `dtype` if the GPU supports it (complex64 and string stay on
// the CPU).
template <class F>
__device__ void with_dtype(int dtype, F f) {
  switch (static_cast<DType>(dtype)) {
    case float16:
      return f(gpu_float16{});
    case bfloat16:
      return f(gpu_bfloat16{});
    case float32:
      return f(float{});
    case float64:
      return f(double{});
    case int8:
      return f(int8_t{});
    case int16:
      return f(int16_t{});
    case int32:
      return f(int32_t{});
    case int64:
      return f(int64_t{});
    case uint8:
      return f(uint8_t{});
    case bool_:
      return f(bool{});
    default:
      return;
  }
}

__device__ inline int64_t thread_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline int64_t thread_count() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// out[i] = value(i) for the n elements, in grid-stride order, each thread taking up to kLanes
// elements a grid apart per round: their values (their loads) are computed before any is
// stored, so the loads are in flight together. Device::launch sizes the grid to match.
template <class Out, class Value>
__device__ void for_each_element(Out* out, int64_t n, Value value) {
  const int64_t stride = thread_count();
  for (int64_t first = thread_index(); first < n; first += stride * kLanes) {
    Out v[kLanes]{};  // (initialised: g++ cannot see that the two loops test the same lanes)
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane)
      if (first + lane * stride < n) v[lane] = value(first + lane * stride);
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane)
      if (first + lane * stride < n) out[first + lane * stride] = v[lane];
  }
}

template <class F>
__device__ void with_word(int size, F f) {
  switch (size) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    case 8:
      return f(uint64_t{});
    default:
      return;
  }
}

// The unsigned word of an element's size.
template <int Bytes>
struct bits_of;
template <>
struct bits_of<1> {
  using type = uint8_t;
};
template <>
struct bits_of<2> {
  using type = uint16_t;
};
template <>
struct bits_of<4> {
  using type = uint32_t;
};
template <>
struct bits_of<8> {
  using type = unsigned long long;  // atomicCAS's 64-bit type
};
template <class T>
using bits_t = typename bits_of<sizeof(T)>::type;

// *p = Fn::combine(*p, v) atomically, computed in compute_t<T> and rounded to T as the CPU's
// kernels do at each step: a sum by the native atomicAdd where there is one, else a CAS loop on
// the 64-bit word (8-byte elements) or on the aligned 32-bit word holding the element (the
// neighbouring bytes written back as read; buffers are allocated in whole 256-byte granules).
template <class Fn, class T>
__device__ void atomic_combine(T* p, T v) {
  using C = compute_t<T>;
  constexpr bool sum = std::is_same_v<Fn, kernels::reduce_sum_fn>;
  if constexpr (sum && (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                        std::is_same_v<T, int32_t>)) {
    atomicAdd(p, v);
  } else if constexpr (sum && std::is_same_v<T, int64_t>) {  // two's complement: wraps the same
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  } else if constexpr (sizeof(T) == 8) {
    auto* word = reinterpret_cast<unsigned long long*>(p);
    unsigned long long seen = *word, expected;
    do {
      expected = seen;
      const T next = static_cast<T>(
          Fn::combine(static_cast<C>(std::bit_cast<T>(expected)), static_cast<C>(v)));
      seen = atomicCAS(word, expected, std::bit_cast<unsigned long long>(next));
    } while (seen != expected);
  } else {
    const auto at = reinterpret_cast<uintptr_t>(p);
    auto* word = reinterpret_cast<unsigned*>(at & ~uintptr_t{3});
    const unsigned shift = static_cast<unsigned>(at & 3) * 8;
    const unsigned mask = static_cast<unsigned>(static_cast<bits_t<T>>(~bits_t<T>{0})) << shift;
    unsigned seen = *word, expected;
    do {
      expected = seen;
      const T old = std::bit_cast<T>(static_cast<bits_t<T>>((expected & mask) >> shift));
      const T next = static_cast<T>(Fn::combine(static_cast<C>(old), static_cast<C>(v)));
      const unsigned bits = static_cast<unsigned>(std::bit_cast<bits_t<T>>(next)) << shift;
      seen = atomicCAS(word, expected, (expected & ~mask) | (bits & mask));
    } while (seen != expected);
  }
}

}  // namespace tf::cuda
