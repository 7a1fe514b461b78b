// Little-endian fixed-width and varint encodings, as LevelDB and TensorFlow write them. Decoders
// take a cursor into a bounded buffer and return false (consuming nothing useful) on truncation
// or on an over-long varint, so callers can name the file and what was wrong.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tf::detail::coding {

inline void put_fixed32(std::string& out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b, 4);
}
inline void put_fixed64(std::string& out, uint64_t v) {
  put_fixed32(out, static_cast<uint32_t>(v));
  put_fixed32(out, static_cast<uint32_t>(v >> 32));
}
inline void put_varint64(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline uint32_t fixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint64_t fixed64(const char* p) {
  return fixed32(p) | (static_cast<uint64_t>(fixed32(p + 4)) << 32);
}

// Reads a varint of at most `max_bytes` bytes (5 for 32-bit, 10 for 64-bit values) from `in`,
// advancing it.
inline bool get_varint(std::string_view& in, uint64_t& v, int max_bytes = 10) {
  v = 0;
  for (int i = 0; i < max_bytes && i < static_cast<int>(in.size()); ++i) {
    auto byte = static_cast<unsigned char>(in[static_cast<size_t>(i)]);
    if (i == 9 && byte > 1) return false;  // bits beyond 64
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      if (i > 0 && byte == 0) return false;  // over-long: a flipped bit could hide in it
      if (max_bytes == 5 && v > 0xffffffffu) return false;
      in.remove_prefix(static_cast<size_t>(i) + 1);
      return true;
    }
  }
  return false;
}
inline bool get_varint32(std::string_view& in, uint32_t& v) {
  uint64_t w;
  if (!get_varint(in, w, 5)) return false;
  v = static_cast<uint32_t>(w);
  return true;
}

}  // namespace tf::detail::coding
