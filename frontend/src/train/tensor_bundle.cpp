// The tensor bundle (see tensor_bundle.h), after tensorflow/core/util/tensor_bundle/
// tensor_bundle.cc: BundleWriter (one shard, no alignment padding) and BundleReader.
#include "frontend/src/train/tensor_bundle.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/shape_rules.h"
#include "frontend/src/placement.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/train/coding.h"
#include "frontend/src/train/crc32c.h"
#include "frontend/src/train/file_io.h"
#include "frontend/src/train/sstable.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "tfjit/errors.h"

namespace tf::detail {
namespace {

// tensor_bundle.h's kTensorBundleVersion (the producer written) and what this reader accepts.
constexpr int kBundleVersion = 1;
constexpr int kBundleMinProducer = 0;

std::optional<tensorflow::DataType> to_proto(DType d) {
  switch (d) {
    case float16:
      return tensorflow::DT_HALF;
    case bfloat16:
      return tensorflow::DT_BFLOAT16;
    case float32:
      return tensorflow::DT_FLOAT;
    case float64:
      return tensorflow::DT_DOUBLE;
    case int8:
      return tensorflow::DT_INT8;
    case int16:
      return tensorflow::DT_INT16;
    case int32:
      return tensorflow::DT_INT32;
    case int64:
      return tensorflow::DT_INT64;
    case uint8:
      return tensorflow::DT_UINT8;
    case bool_:
      return tensorflow::DT_BOOL;
    case complex64:
      return tensorflow::DT_COMPLEX64;
    case string:
      return tensorflow::DT_STRING;
  }
  return std::nullopt;
}

std::optional<DType> from_proto(int d) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (auto p = to_proto(static_cast<DType>(i)); p && *p == d) return static_cast<DType>(i);
  return std::nullopt;
}

// TensorFlow's string tensor layout (WriteStringTensor): varint64 lengths, the masked CRC of the
// lengths (each as a little-endian uint32, or uint64 when it does not fit), then the bytes.
// Returns the CRC of everything written, as the entry's checksum covers it.
uint32_t encode_strings(const std::string* s, int64_t n, std::string& out) {
  uint32_t crc = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t size = s[i].size();
    coding::put_varint64(out, size);
    std::string le;
    if (size <= UINT32_MAX)
      coding::put_fixed32(le, static_cast<uint32_t>(size));
    else
      coding::put_fixed64(le, size);
    crc = crc32c::extend(crc, le.data(), le.size());
  }
  std::string masked;
  coding::put_fixed32(masked, crc32c::mask(crc));
  out += masked;
  crc = crc32c::extend(crc, masked.data(), 4);
  for (int64_t i = 0; i < n; ++i) {
    out += s[i];
    crc = crc32c::extend(crc, s[i].data(), s[i].size());
  }
  return crc;
}

std::string key_text(const std::string& key) { return "\"" + key + "\""; }

}  // namespace

std::string bundle_index_path(const std::string& prefix) { return prefix + ".index"; }

std::string bundle_data_path(const std::string& prefix, int shard, int num_shards) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".data-%05d-of-%05d", shard, num_shards);
  return prefix + suffix;
}

void write_bundle(const std::string& prefix,
                  const std::vector<std::pair<std::string, Tensor>>& tensors) {
  std::vector<const std::pair<std::string, Tensor>*> sorted;
  for (const auto& kv : tensors) {
    if (kv.first.empty())
      throw InvalidArgumentError("write_bundle: the empty key is reserved for the header");
    sorted.push_back(&kv);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i]->first == sorted[i - 1]->first)
      throw InvalidArgumentError("write_bundle: duplicate key " + key_text(sorted[i]->first));

  file_io::create_parent_directories(prefix);
  const std::string data_path = bundle_data_path(prefix, 0, 1);
  file_io::AtomicFile data(data_path);
  sstable::Entries index;
  tensorflow::BundleHeaderProto header;
  header.set_num_shards(1);
  header.set_endianness(tensorflow::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(kBundleVersion);
  index.emplace_back("", header.SerializeAsString());
  int64_t offset = 0;
  std::map<std::string, std::string> entries;  // key -> serialized BundleEntryProto
  for (const auto& item : tensors) {           // data in the caller's order, as TensorFlow's Add()
    const auto* kv = &item;
    const Tensor& value = kv->second;
    if (!value.defined() || value.is_symbolic())
      throw InvalidArgumentError("write_bundle: " + key_text(kv->first) +
                                 " is not a concrete tensor");
    const Tensor t = to_cpu(value);
    auto dtype = to_proto(t.dtype());
    if (!dtype)
      throw UnimplementedError("write_bundle: dtype " + std::string(dtype_name(t.dtype())) +
                               " of " + key_text(kv->first) + " has no checkpoint encoding");
    tensorflow::BundleEntryProto entry;
    entry.set_dtype(*dtype);
    auto* shape = entry.mutable_shape();  // present even for a scalar, as TensorFlow writes it
    for (int64_t d : t.shape()) shape->add_dim()->set_size(d);
    entry.set_shard_id(0);
    entry.set_offset(offset);
    std::string strings;  // the encoded form of a string tensor
    std::string_view bytes;
    uint32_t crc;
    if (t.dtype() == string) {
      crc = encode_strings(static_cast<const std::string*>(t.data()), t.num_elements(), strings);
      bytes = strings;
    } else {  // written straight from the tensor: a large checkpoint is not copied
      bytes = std::string_view(static_cast<const char*>(t.data()),
                               static_cast<size_t>(t.num_elements()) * dtype_size(t.dtype()));
      crc = crc32c::value(bytes);
    }
    entry.set_size(static_cast<int64_t>(bytes.size()));
    entry.set_crc32c(crc32c::mask(crc));
    data.write(bytes);
    offset += static_cast<int64_t>(bytes.size());
    entries.emplace(kv->first, entry.SerializeAsString());
  }
  for (auto& [key, value] : entries) index.emplace_back(key, std::move(value));
  file_io::AtomicFile index_file(bundle_index_path(prefix));
  index_file.write(sstable::build(index));
  // Both files are complete on disk before either replaces its predecessor; the data file goes
  // first, as TensorFlow's writer does (an index names the data, never the other way round).
  data.finish();
  index_file.finish();
  data.commit();
  index_file.commit();
  file_io::sync_parent_directory(prefix);
}

BundleReader::BundleReader(const std::string& prefix) : prefix_(prefix) {
  const std::string path = bundle_index_path(prefix);
  auto bad = [&](const std::string& why) -> void {
    throw InvalidArgumentError("checkpoint index " + path + ": " + why);
  };
  sstable::Entries table = sstable::parse(file_io::read_all(path), "checkpoint index " + path);
  if (table.empty() || !table.front().first.empty()) bad("no bundle header (key \"\")");
  tensorflow::BundleHeaderProto header;
  if (!header.ParseFromString(table.front().second)) bad("unparsable bundle header");
  if (header.num_shards() < 1) bad("num_shards is " + std::to_string(header.num_shards()));
  num_shards_ = header.num_shards();
  if (header.endianness() != tensorflow::BundleHeaderProto::LITTLE)
    bad("big-endian bundles are not supported");
  const auto& v = header.version();
  if (v.producer() < kBundleMinProducer || v.min_consumer() > kBundleVersion)
    bad("version (producer " + std::to_string(v.producer()) + ", min consumer " +
        std::to_string(v.min_consumer()) + ") is not readable by consumer version " +
        std::to_string(kBundleVersion));
  for (int c : v.bad_consumers())
    if (c == kBundleVersion) bad("this consumer version is marked bad");
  for (size_t i = 1; i < table.size(); ++i) {
    const auto& [key, value] = table[i];
    auto bad_entry = [&](const std::string& why) { bad("entry " + key_text(key) + ": " + why); };
    tensorflow::BundleEntryProto proto;
    if (!proto.ParseFromString(value)) bad_entry("unparsable BundleEntryProto");
    if (proto.slices_size() > 0)
      throw UnimplementedError("checkpoint index " + path + ": entry " + key_text(key) +
                               " is a partitioned (sliced) tensor, which is not supported");
    Entry e;
    auto dtype = from_proto(proto.dtype());
    if (!dtype) bad_entry("unsupported dtype " + std::to_string(proto.dtype()));
    e.dtype = *dtype;
    if (proto.shape().unknown_rank()) bad_entry("shape of unknown rank");
    std::vector<int64_t> dims;
    for (const auto& d : proto.shape().dim()) dims.push_back(d.size());
    e.shape = TensorShape(dims);
    if (std::string err = core::validate_shape(e.shape); !err.empty()) bad_entry(err);
    if (proto.shard_id() < 0 || proto.shard_id() >= num_shards_)
      bad_entry("shard " + std::to_string(proto.shard_id()) + " of " + std::to_string(num_shards_));
    if (proto.offset() < 0 || proto.size() < 0) bad_entry("negative offset or size");
    e.shard = proto.shard_id();
    e.offset = proto.offset();
    e.size = proto.size();
    e.crc32c = crc32c::unmask(proto.crc32c());
    if (e.dtype != string) {
      auto bytes = core::checked_bytes(e.shape.num_elements(), dtype_size(e.dtype));
      if (!bytes || *bytes != static_cast<uint64_t>(e.size))
        bad_entry("size " + std::to_string(e.size) + " does not match shape " +
                  e.shape.to_string() + " of " + std::string(dtype_name(e.dtype)));
    } else if (e.size < 4 + e.shape.num_elements()) {  // a checksum and >= 1 byte per length
      bad_entry("size " + std::to_string(e.size) + " is too small for " +
                std::to_string(e.shape.num_elements()) + " strings");
    }
    entries_.emplace(key, std::move(e));
  }
}

std::vector<std::string> BundleReader::keys() const {
  std::vector<std::string> out;
  for (const auto& kv : entries_) out.push_back(kv.first);
  return out;
}

const BundleReader::Entry& BundleReader::entry(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end())
    throw InvalidArgumentError("checkpoint " + prefix_ + " has no key " + key_text(key));
  return it->second;
}

Tensor BundleReader::get(const std::string& key) const {
  const Entry& e = entry(key);
  const std::string path = bundle_data_path(prefix_, e.shard, num_shards_);
  auto bad = [&](const std::string& why) -> void {
    throw InvalidArgumentError("checkpoint data " + path + ": tensor " + key_text(key) + ": " +
                               why);
  };
  // The range is checked against the file before anything is allocated.
  const uint64_t file_size = file_io::file_size(path);
  const auto offset = static_cast<uint64_t>(e.offset), size = static_cast<uint64_t>(e.size);
  if (offset > file_size || size > file_size - offset)
    bad("bytes [" + std::to_string(offset) + ", " + std::to_string(offset + size) +
        ") lie beyond the end of the file (" + std::to_string(file_size) + " bytes)");
  if (e.dtype != string) {
    Tensor out = empty(e.dtype, e.shape);
    void* dst = raw_mut(out);
    if (size > 0) file_io::read_at(path, offset, size, dst);
    if (crc32c::value(dst, size) != e.crc32c) bad("checksum mismatch (corrupt data)");
    if (e.dtype == bool_) {  // a byte other than 0/1 is not a valid bool
      auto* b = static_cast<unsigned char*>(dst);
      for (uint64_t i = 0; i < size; ++i) b[i] = b[i] != 0;
    }
    return out;
  }
  std::string bytes(size, '\0');
  file_io::read_at(path, offset, size, bytes.data());
  // The entry's checksum covers the lengths as fixed-width integers (not their varints), the
  // lengths' checksum and the bytes: checked once they are all parsed.
  const auto n = static_cast<size_t>(e.shape.num_elements());
  std::string_view in = bytes;
  std::vector<uint64_t> sizes(n);
  uint32_t crc = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!coding::get_varint(in, sizes[i])) bad("truncated string lengths");
    if (sizes[i] > size) bad("string length " + std::to_string(sizes[i]) + " exceeds the entry");
    total += sizes[i];
    std::string le;
    if (sizes[i] <= UINT32_MAX)
      coding::put_fixed32(le, static_cast<uint32_t>(sizes[i]));
    else
      coding::put_fixed64(le, sizes[i]);
    crc = crc32c::extend(crc, le.data(), le.size());
  }
  if (in.size() < 4 || crc32c::unmask(coding::fixed32(in.data())) != crc)
    bad("string lengths checksum mismatch");
  crc = crc32c::extend(crc, in.data(), 4);
  in.remove_prefix(4);
  if (total != in.size())
    bad("string lengths add up to " + std::to_string(total) + " bytes, the entry holds " +
        std::to_string(in.size()));
  if (crc32c::extend(crc, in.data(), in.size()) != e.crc32c)
    bad("checksum mismatch (corrupt data)");
  std::vector<std::string> strings(n);
  for (size_t i = 0; i < n; ++i) {
    strings[i] = std::string(in.substr(0, sizes[i]));
    in.remove_prefix(sizes[i]);
  }
  return make_tensor(strings.data(), string, n, e.shape, string);
}

}  // namespace tf::detail
