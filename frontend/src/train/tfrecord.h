// TFRecord files (tf.io.TFRecordWriter, tf.data.TFRecordDataset; TensorBoard's event files):
// records back to back, each
//   uint64 length | uint32 masked CRC-32C of the length's 8 bytes | data | uint32 masked CRC of
//   data
// all little-endian. Uncompressed only. A malformed, truncated or corrupted file raises
// InvalidArgumentError naming the file, the record's offset and the defect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/src/train/file_io.h"

namespace tf::detail {

// The framing of one record.
std::string encode_tfrecord(std::string_view data);

class TFRecordWriter {
 public:
  // Creates (or truncates, or with `append` extends) `path`.
  explicit TFRecordWriter(const std::string& path, bool append = false);
  ~TFRecordWriter();  // flushes; errors are lost, so call close() to see them
  TFRecordWriter(const TFRecordWriter&) = delete;
  TFRecordWriter& operator=(const TFRecordWriter&) = delete;

  // Buffers the record; written out by flush(), close(), or when the buffer passes 256 KiB.
  void write(std::string_view record);
  void flush();  // to the operating system (and fsync when `sync`)
  void flush(bool sync);
  void close();
  const std::string& path() const { return file_.path(); }

 private:
  file_io::File file_;
  std::string buffer_;
};

class TFRecordReader {
 public:
  explicit TFRecordReader(const std::string& path);
  // The next record, or nothing at the end of the file.
  std::optional<std::string> next();
  uint64_t offset() const { return offset_; }

 private:
  std::string path_;
  uint64_t size_ = 0, offset_ = 0;
};

// Every record of the file.
std::vector<std::string> read_tfrecords(const std::string& path);

}  // namespace tf::detail
