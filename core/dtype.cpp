#include "core/dtype_sets.h"
#include "core/half.h"

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

float16_t::float16_t(float f) : bits(half::float16_from_float(f)) {}
float16_t::operator float() const { return half::float_from_float16(bits); }
bfloat16_t::bfloat16_t(float f) : bits(half::bfloat16_from_float(f)) {}
bfloat16_t::operator float() const { return half::float_from_bfloat16(bits); }

namespace core {
std::string DTypeSet::to_string() const {
  std::string out;
  for (int i = 0; i < kNumDTypes; ++i) {
    if (!contains(static_cast<DType>(i))) continue;
    if (!out.empty()) out += ", ";
    out += dtype_name(static_cast<DType>(i));
  }
  return out;
}
}  // namespace core

}  // namespace tf
