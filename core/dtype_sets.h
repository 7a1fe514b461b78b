// Named sets of dtypes, used by the op table's `dtypes` column.
#pragma once

#include <cstdint>
#include <string>

#include "tfjit/dtype.h"

namespace tf::core {

class DTypeSet {
 public:
  constexpr DTypeSet() = default;
  constexpr DTypeSet(std::initializer_list<DType> ds) {
    for (DType d : ds) bits_ |= bit(d);
  }
  constexpr bool contains(DType d) const { return bits_ & bit(d); }
  constexpr DTypeSet operator|(DTypeSet o) const { return DTypeSet(bits_ | o.bits_); }
  std::string to_string() const;  // "float32, float64"

 private:
  constexpr explicit DTypeSet(uint32_t bits) : bits_(bits) {}
  static constexpr uint32_t bit(DType d) { return 1u << static_cast<unsigned>(d); }
  uint32_t bits_ = 0;
};

inline constexpr DTypeSet kFloat{float16, bfloat16, float32, float64};
inline constexpr DTypeSet kSigned = kFloat | DTypeSet{int8, int16, int32, int64};
inline constexpr DTypeSet kNumeric = kSigned | DTypeSet{uint8};  // real numbers
inline constexpr DTypeSet kBool{bool_};
inline constexpr DTypeSet kAll = kNumeric | kBool;
inline constexpr DTypeSet kComplex{complex64};

}  // namespace tf::core
