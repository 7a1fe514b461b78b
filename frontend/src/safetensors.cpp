// The safetensors format (Hugging Face; read by PyTorch, JAX, MLX): an 8-byte little-endian
// header length N, N bytes of JSON naming each tensor's dtype, shape and byte range in the data
// that follows, and the data, every byte of it covered by exactly one tensor (no holes: the
// reference reader rejects them). So alignment comes from the header's padding (spaces, as the
// format allows) making the data start at a multiple of 64, and from the write order: tensors by
// decreasing item size, so each starts at a multiple of its own item size.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "core/shape_rules.h"
#include "frontend/src/placement.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/train/file_io.h"
#include "tfjit/creation.h"
#include "tfjit/interop.h"

namespace tf {

namespace {

namespace file_io = detail::file_io;

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference reader's limit
constexpr uint64_t kAlign = 64;

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypes[] = {
    {float16, "F16"}, {bfloat16, "BF16"}, {float32, "F32"},   {float64, "F64"},
    {int8, "I8"},     {int16, "I16"},     {int32, "I32"},     {int64, "I64"},
    {uint8, "U8"},    {bool_, "BOOL"},    {complex64, "C64"},
};

const char* name_of(DType d) {
  for (const auto& e : kDTypes)
    if (e.dtype == d) return e.name;
  return nullptr;
}

// The parsed header: each tensor's entry, and the metadata.
struct Entry {
  std::string name;
  DType dtype;
  TensorShape shape;
  uint64_t begin, end;
};
struct Header {
  std::vector<Entry> entries;  // in data order
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;
};

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw InvalidArgumentError("load_safetensors: " + path + ": " + why);
}

// A JSON value as a uint64 (a non-negative integer), or nullopt.
std::optional<uint64_t> as_u64(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& info) {
  auto where = "tensor '" + name + "'";
  if (!info.is_object()) bad(path, where + " is not a JSON object");
  auto dtype_it = info.find("dtype"), shape_it = info.find("shape"),
       offsets_it = info.find("data_offsets");
  if (dtype_it == info.end() || shape_it == info.end() || offsets_it == info.end())
    bad(path, where + " lacks dtype, shape or data_offsets");
  if (!dtype_it->is_string()) bad(path, where + ": dtype is not a string");
  const auto dname = dtype_it->get<std::string>();
  const DTypeName* found = nullptr;
  for (const auto& e : kDTypes)
    if (dname == e.name) found = &e;
  if (!found) bad(path, where + ": unsupported dtype '" + dname + "'");
  Entry entry{name, found->dtype, TensorShape(), 0, 0};

  if (!shape_it->is_array()) bad(path, where + ": shape is not an array");
  std::vector<int64_t> dims;
  for (const auto& d : *shape_it) {
    auto v = as_u64(d);
    if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      bad(path, where + ": shape " + shape_it->dump() + " has a dim that is not a size");
    dims.push_back(static_cast<int64_t>(*v));
  }
  entry.shape = TensorShape(dims);
  if (std::string e = core::validate_shape(entry.shape); !e.empty())
    bad(path, where + ": shape " + shape_it->dump() + ": " + e);

  if (!offsets_it->is_array() || offsets_it->size() != 2)
    bad(path, where + ": data_offsets is not [begin, end]");
  auto b = as_u64((*offsets_it)[0]), e = as_u64((*offsets_it)[1]);
  if (!b || !e || *b > *e)
    bad(path, where + ": data_offsets " + offsets_it->dump() + " is not a byte range");
  entry.begin = *b;
  entry.end = *e;
  // num_elements fits in int64 (validate_shape); times the item size may still overflow.
  const auto n = static_cast<uint64_t>(entry.shape.num_elements());
  const uint64_t item = dtype_size(entry.dtype);
  if (n > std::numeric_limits<uint64_t>::max() / item || n * item != *e - *b)
    bad(path, where + " of shape " + entry.shape.to_string() + " and dtype " + dname + " needs " +
                  std::to_string(n) + " x " + std::to_string(item) + " bytes, data_offsets " +
                  offsets_it->dump() + " give " + std::to_string(*e - *b));
  return entry;
}

Header read_header(const std::string& path) {
  const uint64_t size = file_io::file_size(path);
  if (size < 8)
    bad(path, "a file of " + std::to_string(size) + " bytes has no 8-byte header length");
  unsigned char len_bytes[8];
  file_io::read_at(path, 0, 8, len_bytes);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > kMaxHeader) bad(path, "header length " + std::to_string(n) + " exceeds 100 MB");
  if (n > size - 8)
    bad(path, "header length " + std::to_string(n) + " runs past the end of the file (" +
                  std::to_string(size) + " bytes)");
  std::string text(n, '\0');
  if (n > 0) file_io::read_at(path, 8, n, text.data());
  if (text.empty() || text[0] != '{') bad(path, "the header does not start with '{'");

  // Duplicate tensor names are an error (nlohmann would silently keep the last).
  std::set<std::string> seen;
  std::string duplicate;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key &&
        !seen.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::json header = nlohmann::json::parse(text, on_event, /*allow_exceptions=*/false);
  if (header.is_discarded()) bad(path, "the header is not valid JSON");
  if (!header.is_object()) bad(path, "the header is not a JSON object");
  if (!duplicate.empty()) bad(path, "tensor '" + duplicate + "' appears twice");

  Header out;
  out.data_start = 8 + n;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) bad(path, "__metadata__ is not a JSON object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) bad(path, "__metadata__['" + k + "'] is not a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    out.entries.push_back(parse_entry(path, key, value));
  }
  std::stable_sort(out.entries.begin(), out.entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // The ranges must tile the data exactly: no overlaps, no holes, nothing after the last one.
  uint64_t at = 0;
  for (const Entry& e : out.entries) {
    if (e.begin != at)
      bad(path, "tensor '" + e.name + "' starts at data offset " + std::to_string(e.begin) +
                    ", not " + std::to_string(at) +
                    (e.begin < at ? " (overlapping another)" : " (a hole before it)"));
    at = e.end;
  }
  if (at != size - out.data_start)
    bad(path, "the tensors cover " + std::to_string(at) + " bytes of data, the file holds " +
                  std::to_string(size - out.data_start));
  return out;
}

}  // namespace

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  std::vector<std::pair<std::string, Tensor>> order;
  for (const auto& [name, t] : tensors) {
    if (!t.defined())
      throw InvalidArgumentError("save_safetensors: tensor '" + name + "' is undefined");
    if (name == "__metadata__")
      throw InvalidArgumentError("save_safetensors: the name __metadata__ is reserved");
    if (!names.insert(name).second)
      throw InvalidArgumentError("save_safetensors: tensor '" + name + "' appears twice");
    if (!name_of(t.dtype()))
      throw UnimplementedError("save_safetensors: tensor '" + name + "' has dtype " +
                               std::string(dtype_name(t.dtype())) + ", which safetensors lacks");
    order.emplace_back(name, detail::to_cpu(t));
  }
  // Larger items first: with the data start 64-aligned, each tensor is then aligned to its item.
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return dtype_size(a.second.dtype()) > dtype_size(b.second.dtype());
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : order) {
    const uint64_t bytes = static_cast<uint64_t>(t.num_elements()) * dtype_size(t.dtype());
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    header[name] = {{"dtype", name_of(t.dtype())},
                    {"shape", shape},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgumentError(std::string("save_safetensors: a name or metadata string is not "
                                           "valid UTF-8: ") +
                               e.what());
  }
  text.append((kAlign - (8 + text.size()) % kAlign) % kAlign, ' ');
  char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);

  file_io::AtomicFile out(path);
  out.write(std::string_view(len_bytes, 8));
  out.write(text);
  for (const auto& [name, t] : order) {
    const size_t bytes = static_cast<size_t>(t.num_elements()) * dtype_size(t.dtype());
    if (bytes > 0) out.write(std::string_view(static_cast<const char*>(t.data()), bytes));
  }
  out.finish();
  out.commit();
}

std::vector<std::pair<std::string, Tensor>> load_safetensors(const std::string& path) {
  Header header = read_header(path);
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Entry& e : header.entries) {
    Tensor t = detail::empty(e.dtype, e.shape);
    if (e.end > e.begin)
      file_io::read_at(path, header.data_start + e.begin, e.end - e.begin,
                       t.impl()->buffer->data());
    if (e.dtype == bool_) {  // any nonzero byte is true; a bool holding another value is UB
      auto* p = static_cast<unsigned char*>(t.impl()->buffer->data());
      for (uint64_t i = 0; i < e.end - e.begin; ++i) p[i] = p[i] != 0;
    }
    out.emplace_back(e.name, std::move(t));
  }
  return out;
}

std::map<std::string, std::string> load_safetensors_metadata(const std::string& path) {
  return read_header(path).metadata;
}

}  // namespace tf
