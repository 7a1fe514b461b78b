// TensorFlow's tensor bundle, the V2 checkpoint format (tensorflow/core/util/tensor_bundle):
//   <prefix>.index                 a LevelDB table (sstable.h): key "" holds a BundleHeaderProto,
//                                  every other key names a tensor and holds its BundleEntryProto
//                                  (dtype, shape, shard, offset, size, masked CRC-32C);
//   <prefix>.data-00000-of-00001   the tensors' bytes, little-endian, back to back. A string
//                                  tensor is its lengths (varint64 each), a masked CRC-32C of
//                                  the lengths, then the bytes.
// tf.train.Checkpoint and tf.train.load_checkpoint read and write exactly this. Any malformed,
// truncated or corrupted file raises InvalidArgumentError naming the file and the defect.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tfjit/tensor.h"

namespace tf::detail {

// The key of the serialized TrackableObjectGraph (a scalar string tensor) in object-based
// checkpoints (see object_graph.h).
inline constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

// "<prefix>.index" and "<prefix>.data-<shard>-of-<num_shards>" (five digits each).
std::string bundle_index_path(const std::string& prefix);
std::string bundle_data_path(const std::string& prefix, int shard, int num_shards);

// Writes `tensors` (keys unique and non-empty) as one shard: the data in the given order, the
// index sorted by key (so TensorFlow's order gives TensorFlow's bytes). Atomic per file: both
// files are written to temporary names, synced, then renamed over the old ones, so a crash while
// writing leaves the previous checkpoint at `prefix` readable. Creates the parent directory.
// Dtypes: float16, bfloat16, float32, float64, int8/16/32/64, uint8, bool, complex64, string.
void write_bundle(const std::string& prefix,
                  const std::vector<std::pair<std::string, Tensor>>& tensors);

class BundleReader {
 public:
  struct Entry {
    DType dtype = float32;
    TensorShape shape;
    int shard = 0;
    int64_t offset = 0, size = 0;
    uint32_t crc32c = 0;  // unmasked
  };

  // Reads and checks the index (every block's CRC, the header, every entry's metadata).
  explicit BundleReader(const std::string& prefix);

  // The tensor keys, sorted (the header's empty key excluded).
  std::vector<std::string> keys() const;
  bool contains(const std::string& key) const { return entries_.count(key) != 0; }
  // Dtype, shape and location, without reading the data. InvalidArgumentError for a missing key.
  const Entry& entry(const std::string& key) const;
  // The tensor's value (on the CPU), after checking its size and CRC.
  Tensor get(const std::string& key) const;

  const std::string& prefix() const { return prefix_; }
  int num_shards() const { return num_shards_; }

 private:
  std::string prefix_;
  int num_shards_ = 1;
  std::map<std::string, Entry> entries_;
};

}  // namespace tf::detail
