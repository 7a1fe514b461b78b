// CRC-32C (Castagnoli), as TensorFlow and LevelDB checksum their files, and the "mask" they store
// instead of the raw CRC (a CRC of data that itself holds CRCs is weak; the rotation avoids it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tf::detail::crc32c {

// The CRC of `data` appended to data whose CRC was `crc` (0 for the start).
uint32_t extend(uint32_t crc, const void* data, size_t n);
inline uint32_t value(const void* data, size_t n) { return extend(0, data, n); }
inline uint32_t value(std::string_view s) { return extend(0, s.data(), s.size()); }

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace tf::detail::crc32c
