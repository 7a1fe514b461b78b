// The object bundle's layout: "TFJOBJS\n", the object count, each object's size (8-byte words in
// the host's byte order: a bundle is only ever loaded on the kind of machine it was built for,
// which the disk cache's key names), then the objects back to back.
#include "compiler/object_bundle.h"

#include <cstdint>
#include <cstring>

#include "tfjit/errors.h"

namespace tf::compiler {

namespace {
constexpr char kObjectsMagic[8] = {'T', 'F', 'J', 'O', 'B', 'J', 'S', '\n'};
}  // namespace

std::string pack_objects(const std::vector<std::string>& objects) {
  if (objects.size() == 1) return objects[0];
  std::string out(kObjectsMagic, sizeof kObjectsMagic);
  auto put = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(objects.size());
  for (const auto& o : objects) put(o.size());
  for (const auto& o : objects) out += o;
  return out;
}

std::vector<std::string_view> unpack_objects(std::string_view code) {
  if (code.size() < sizeof kObjectsMagic ||
      std::memcmp(code.data(), kObjectsMagic, sizeof kObjectsMagic) != 0)
    return {code};
  auto malformed = [] { return InvalidArgumentError("compiled code: a malformed object bundle"); };
  size_t at = sizeof kObjectsMagic;
  auto get = [&] {
    uint64_t v;
    if (code.size() - at < sizeof v) throw malformed();
    std::memcpy(&v, code.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  const uint64_t n = get();
  if (n == 0 || n > (code.size() - at) / sizeof(uint64_t)) throw malformed();
  std::vector<uint64_t> sizes(n);
  for (auto& s : sizes) s = get();
  std::vector<std::string_view> objects;
  for (uint64_t s : sizes) {
    if (s == 0 || s > code.size() - at) throw malformed();
    objects.push_back(code.substr(at, s));
    at += s;
  }
  if (at != code.size()) throw malformed();
  return objects;
}

}  // namespace tf::compiler
