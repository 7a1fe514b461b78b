// LevelDB's table format (leveldb/table/{block_builder,table_builder,format}.cc; TensorFlow's
// copy in tsl/lib/io): see sstable.h.
#include "frontend/src/train/sstable.h"

#include <algorithm>

#include "frontend/src/train/coding.h"
#include "frontend/src/train/crc32c.h"
#include "tfjit/errors.h"

namespace tf::detail::sstable {
namespace {

constexpr uint64_t kMagic = 0xdb4775248b80fb57ull;
constexpr size_t kHandleMax = 20;                   // two varint64s
constexpr size_t kFooterSize = 2 * kHandleMax + 8;  // handles, zero padding, magic
constexpr size_t kTrailerSize = 5;                  // type byte + masked CRC
constexpr char kNoCompression = 0;

struct Handle {
  uint64_t offset = 0, size = 0;
  void encode(std::string& out) const {
    coding::put_varint64(out, offset);
    coding::put_varint64(out, size);
  }
};

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval) : interval_(restart_interval) {}
  void add(std::string_view key, std::string_view value) {
    size_t shared = 0;
    if (count_ < interval_) {
      size_t n = std::min(last_key_.size(), key.size());
      while (shared < n && last_key_[shared] == key[shared]) ++shared;
    } else {
      restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
      count_ = 0;
    }
    coding::put_varint64(buffer_, shared);
    coding::put_varint64(buffer_, key.size() - shared);
    coding::put_varint64(buffer_, value.size());
    buffer_.append(key.substr(shared));
    buffer_.append(value);
    last_key_.assign(key);
    ++count_;
    empty_ = false;
  }
  size_t size_estimate() const { return buffer_.size() + restarts_.size() * 4 + 4; }
  bool empty() const { return empty_; }
  std::string finish() {
    std::string out = std::move(buffer_);
    for (uint32_t r : restarts_) coding::put_fixed32(out, r);
    coding::put_fixed32(out, static_cast<uint32_t>(restarts_.size()));
    *this = BlockBuilder(interval_);
    return out;
  }

 private:
  int interval_;
  std::string buffer_, last_key_;
  std::vector<uint32_t> restarts_{0};
  int count_ = 0;
  bool empty_ = true;
};

Handle write_block(std::string& file, const std::string& contents) {
  Handle h{file.size(), contents.size()};
  file += contents;
  file.push_back(kNoCompression);
  uint32_t crc = crc32c::extend(crc32c::value(contents), &kNoCompression, 1);
  coding::put_fixed32(file, crc32c::mask(crc));
  return h;
}

// LevelDB's BytewiseComparator: a short key k with start <= k < limit, and one >= key.
void shortest_separator(std::string& start, std::string_view limit) {
  size_t n = std::min(start.size(), limit.size()), i = 0;
  while (i < n && start[i] == limit[i]) ++i;
  if (i >= n) return;  // one is a prefix of the other
  auto byte = static_cast<unsigned char>(start[i]);
  if (byte < 0xff && byte + 1 < static_cast<unsigned char>(limit[i])) {
    start[i] = static_cast<char>(byte + 1);
    start.resize(i + 1);
  }
}
void short_successor(std::string& key) {
  for (size_t i = 0; i < key.size(); ++i)
    if (static_cast<unsigned char>(key[i]) != 0xff) {
      key[i] = static_cast<char>(static_cast<unsigned char>(key[i]) + 1);
      key.resize(i + 1);
      return;
    }
}

[[noreturn]] void fail(const std::string& what, const std::string& why) {
  throw InvalidArgumentError(what + ": corrupt table: " + why);
}

Handle decode_handle(std::string_view& in, const std::string& what, const char* name) {
  Handle h;
  if (!coding::get_varint(in, h.offset) || !coding::get_varint(in, h.size))
    fail(what, std::string("bad ") + name + " block handle in the footer");
  return h;
}

// A block's contents after checking that it lies inside the table and that its CRC holds.
std::string_view read_block(std::string_view table, Handle h, const std::string& what,
                            const char* name) {
  const uint64_t limit = table.size() - kFooterSize;
  if (h.offset > limit || h.size > limit - h.offset || kTrailerSize > limit - h.offset - h.size)
    fail(what, std::string(name) + " block [" + std::to_string(h.offset) + ", +" +
                   std::to_string(h.size) + ") lies outside the file's " + std::to_string(limit) +
                   " bytes of blocks");
  std::string_view contents = table.substr(h.offset, h.size);
  const char* trailer = table.data() + h.offset + h.size;
  uint32_t actual = crc32c::extend(crc32c::value(contents), trailer, 1);
  if (crc32c::unmask(coding::fixed32(trailer + 1)) != actual)
    fail(what, std::string(name) + " block at offset " + std::to_string(h.offset) +
                   ": checksum mismatch");
  if (trailer[0] != kNoCompression)
    fail(what, std::string(name) + " block at offset " + std::to_string(h.offset) +
                   " is compressed (type " + std::to_string(int(trailer[0])) +
                   "); only uncompressed tables are supported");
  return contents;
}

Entries parse_block(std::string_view block, const std::string& what, const char* name) {
  auto bad = [&](const std::string& why) { fail(what, std::string(name) + " block: " + why); };
  if (block.size() < 4) bad("shorter than its restart count");
  const uint64_t restarts = coding::fixed32(block.data() + block.size() - 4);
  if (restarts > (block.size() - 4) / 4)
    bad("restart count " + std::to_string(restarts) + " does not fit in " +
        std::to_string(block.size()) + " bytes");
  const size_t data_end = block.size() - 4 - 4 * restarts;
  for (uint64_t i = 0; i < restarts; ++i)
    if (coding::fixed32(block.data() + data_end + 4 * i) > data_end)
      bad("restart point beyond the entries");
  Entries out;
  std::string_view in = block.substr(0, data_end);
  std::string key;
  while (!in.empty()) {
    uint32_t shared, non_shared, value_size;
    if (!coding::get_varint32(in, shared) || !coding::get_varint32(in, non_shared) ||
        !coding::get_varint32(in, value_size))
      bad("truncated entry header");
    if (shared > key.size()) bad("entry shares more of the previous key than it has");
    if (non_shared > in.size() || value_size > in.size() - non_shared)
      bad("entry runs past the end of the block");
    key.resize(shared);
    key.append(in.substr(0, non_shared));
    out.emplace_back(key, std::string(in.substr(non_shared, value_size)));
    in.remove_prefix(non_shared + value_size);
  }
  return out;
}

}  // namespace

std::string build(const Entries& entries, size_t block_size, int restart_interval) {
  std::string file, last_key;
  BlockBuilder data(restart_interval), index(1);
  bool pending = false;
  Handle pending_handle;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [key, value] = entries[i];
    if (i > 0 && !(last_key < key))
      throw InvalidArgumentError("sstable: keys must be strictly increasing, got \"" + key +
                                 "\" after \"" + last_key + "\"");
    if (pending) {
      std::string separator = last_key;
      shortest_separator(separator, key);
      std::string handle;
      pending_handle.encode(handle);
      index.add(separator, handle);
      pending = false;
    }
    data.add(key, value);
    last_key = key;
    if (data.size_estimate() >= block_size) {
      pending_handle = write_block(file, data.finish());
      pending = true;
    }
  }
  if (!data.empty()) {
    pending_handle = write_block(file, data.finish());
    pending = true;
  }
  Handle meta = write_block(file, BlockBuilder(restart_interval).finish());
  if (pending) {
    short_successor(last_key);
    std::string handle;
    pending_handle.encode(handle);
    index.add(last_key, handle);
  }
  Handle index_handle = write_block(file, index.finish());
  std::string footer;
  meta.encode(footer);
  index_handle.encode(footer);
  footer.resize(2 * kHandleMax, '\0');
  coding::put_fixed64(footer, kMagic);
  return file + footer;
}

Entries parse(std::string_view table, const std::string& what) {
  if (table.size() < kFooterSize)
    fail(what, "the file has " + std::to_string(table.size()) +
                   " bytes, fewer than a table's 48-byte footer");
  std::string_view footer = table.substr(table.size() - kFooterSize);
  if (coding::fixed64(footer.data() + 2 * kHandleMax) != kMagic)
    fail(what, "bad magic number (not a table, or truncated)");
  std::string_view handles = footer.substr(0, 2 * kHandleMax);
  Handle meta = decode_handle(handles, what, "metaindex");
  Handle index = decode_handle(handles, what, "index");
  // The writer pads the handles with zeros: anything else is corruption.
  if (handles.find_first_not_of('\0') != std::string_view::npos)
    fail(what, "non-zero padding in the footer");
  read_block(table, meta, what, "metaindex");
  Entries index_entries = parse_block(read_block(table, index, what, "index"), what, "index");
  Entries out;
  for (const auto& [separator, handle_bytes] : index_entries) {
    std::string_view in = handle_bytes;
    Handle h;
    if (!coding::get_varint(in, h.offset) || !coding::get_varint(in, h.size) || !in.empty())
      fail(what, "bad block handle in the index");
    Entries block = parse_block(read_block(table, h, what, "data"), what, "data");
    for (auto& entry : block) {
      if (!out.empty() && !(out.back().first < entry.first))
        fail(what,
             "keys out of order (\"" + entry.first + "\" after \"" + out.back().first + "\")");
      if (entry.first > separator)
        fail(what, "key \"" + entry.first + "\" lies beyond its index entry");
      out.push_back(std::move(entry));
    }
  }
  return out;
}

}  // namespace tf::detail::sstable
