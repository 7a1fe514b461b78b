// float16 and bfloat16 to and from float, as functions of the bits: tf::float16_t and
// tf::bfloat16_t (runtime/dtype.cpp) and the GPU kernels (backends/cuda/kernels.cu) both convert
// with these, so a 16-bit result is bit for bit the same on every device.
#pragma once

#include <bit>
#include <cstdint>

#ifdef __CUDACC__
#define TFJIT_HOST_DEVICE __host__ __device__
#else
#define TFJIT_HOST_DEVICE
#endif

namespace tf::half {

// Round to nearest even, with subnormals, infinities and NaN (kept a quiet NaN).
TFJIT_HOST_DEVICE inline uint16_t float16_from_float(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
  if (mag >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520
  if (mag < 0x38800000u) {  // subnormal half (or zero): add 0.5 to align and let FP round
    float v = std::bit_cast<float>(mag) + 0.5f;
    return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(v) - 0x3f000000u));
  }
  uint32_t odd = (mag >> 13) & 1u;
  mag += 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round to nearest even
  return static_cast<uint16_t>(sign | (mag >> 13));
}

TFJIT_HOST_DEVICE inline float float_from_float16(uint16_t bits) {
  uint32_t sign = (bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t man = bits & 0x3ffu;
  if (exp == 0) {                                                // zero or subnormal
    float v = static_cast<float>(man) * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
}

// Round to nearest even; NaN stays a quiet NaN.
TFJIT_HOST_DEVICE inline uint16_t bfloat16_from_float(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

TFJIT_HOST_DEVICE inline float float_from_bfloat16(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

}  // namespace tf::half
