// LevelDB's immutable sorted table ("SSTable"), as TensorFlow's table builder writes the
// `.index` file of a tensor bundle: uncompressed data blocks of prefix-compressed entries with
// restart points, an empty metaindex block, an index block, each block followed by a type byte
// and the masked CRC-32C of block and type; then a 48-byte footer (the two block handles, zero
// padding, the magic number).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tf::detail::sstable {

using Entries = std::vector<std::pair<std::string, std::string>>;

// The table's bytes. Keys must be strictly increasing (bytewise); InvalidArgumentError if not.
std::string build(const Entries& entries, size_t block_size = 262144, int restart_interval = 16);

// Every entry of the table in `bytes`, checking every CRC, handle, size and the key order.
// Any defect raises InvalidArgumentError whose message starts with `what` (the file's name).
Entries parse(std::string_view bytes, const std::string& what);

}  // namespace tf::detail::sstable
