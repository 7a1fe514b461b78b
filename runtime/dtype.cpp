#include <bit>

#include "runtime/dtype_sets.h"

namespace tf {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
#define TFJIT_X(e, name, T) \
  case DType::e:            \
    return name;
    TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
  }
  return "invalid";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
#define TFJIT_X(e, name, T) \
  case DType::e:            \
    return sizeof(T);
    TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
  }
  return 0;
}

// float16: round to nearest even, with subnormals, infinities and NaN.
float16_t::float16_t(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) {  // NaN: keep it a quiet NaN
    bits = static_cast<uint16_t>(sign | 0x7e00u);
    return;
  }
  if (mag >= 0x477ff000u) {  // rounds to >= 65520: infinity
    bits = static_cast<uint16_t>(sign | 0x7c00u);
    return;
  }
  if (mag < 0x38800000u) {  // subnormal half (or zero): add 0.5 to align and let FP round
    float v = std::bit_cast<float>(mag) + 0.5f;
    bits = static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(v) - 0x3f000000u));
    return;
  }
  uint32_t odd = (mag >> 13) & 1u;
  mag += 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round to nearest even
  bits = static_cast<uint16_t>(sign | (mag >> 13));
}

float16_t::operator float() const {
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

bfloat16_t::bfloat16_t(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    bits = static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    return;
  }
  x += 0x7fffu + ((x >> 16) & 1u);  // round to nearest even
  bits = static_cast<uint16_t>(x >> 16);
}

bfloat16_t::operator float() const {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

namespace rt {
std::string DTypeSet::to_string() const {
  std::string out;
  for (int i = 0; i < kNumDTypes; ++i) {
    if (!contains(static_cast<DType>(i))) continue;
    if (!out.empty()) out += ", ";
    out += dtype_name(static_cast<DType>(i));
  }
  return out;
}
}  // namespace rt

}  // namespace tf
