// TFRecord framing (tsl/lib/io/record_writer.cc, record_reader.cc).
#include "frontend/src/train/tfrecord.h"

#include <fcntl.h>

#include "frontend/src/train/coding.h"
#include "frontend/src/train/crc32c.h"
#include "tfjit/errors.h"

namespace tf::detail {
namespace {
constexpr size_t kHeaderSize = 12, kFooterSize = 4, kBufferLimit = size_t{1} << 18;
}

std::string encode_tfrecord(std::string_view data) {
  std::string out;
  out.reserve(data.size() + kHeaderSize + kFooterSize);
  coding::put_fixed64(out, data.size());
  coding::put_fixed32(out, crc32c::mask(crc32c::value(out.data(), 8)));
  out += data;
  coding::put_fixed32(out, crc32c::mask(crc32c::value(data)));
  return out;
}

TFRecordWriter::TFRecordWriter(const std::string& path, bool append)
    : file_(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)) {}

TFRecordWriter::~TFRecordWriter() {
  try {
    close();
  } catch (const std::exception&) {  // destructors must not throw; close() reports errors
  }
}

void TFRecordWriter::write(std::string_view record) {
  if (!file_.is_open()) throw InvalidArgumentError("TFRecordWriter: writing to a closed file");
  buffer_ += encode_tfrecord(record);
  if (buffer_.size() >= kBufferLimit) flush(false);
}

void TFRecordWriter::flush() { flush(false); }

void TFRecordWriter::flush(bool sync) {
  if (!file_.is_open()) return;
  std::string pending = std::move(buffer_);
  buffer_.clear();
  file_.write(pending);
  if (sync) file_.sync();
}

void TFRecordWriter::close() {
  if (!file_.is_open()) return;
  flush(false);
  file_.close();
}

TFRecordReader::TFRecordReader(const std::string& path)
    : path_(path), size_(file_io::file_size(path)) {}

std::optional<std::string> TFRecordReader::next() {
  if (offset_ == size_) return std::nullopt;
  auto bad = [&](const std::string& why) -> void {
    throw InvalidArgumentError("TFRecord file " + path_ + ": record at offset " +
                               std::to_string(offset_) + ": " + why);
  };
  const uint64_t left = size_ - offset_;
  if (left < kHeaderSize) bad("truncated header (" + std::to_string(left) + " bytes left)");
  char header[kHeaderSize];
  file_io::read_at(path_, offset_, kHeaderSize, header);
  if (crc32c::unmask(coding::fixed32(header + 8)) != crc32c::value(header, 8))
    bad("length checksum mismatch (corrupt length)");
  const uint64_t length = coding::fixed64(header);
  // The length is checked against the file before anything is allocated.
  if (length > left - kHeaderSize || kFooterSize > left - kHeaderSize - length)
    bad("truncated: the record's " + std::to_string(length) + " bytes and checksum need more " +
        "than the " + std::to_string(left - kHeaderSize) + " bytes left");
  std::string record(length + kFooterSize, '\0');
  file_io::read_at(path_, offset_ + kHeaderSize, record.size(), record.data());
  if (crc32c::unmask(coding::fixed32(record.data() + length)) !=
      crc32c::value(record.data(), length))
    bad("data checksum mismatch (corrupt data)");
  record.resize(length);
  offset_ += kHeaderSize + length + kFooterSize;
  return record;
}

std::vector<std::string> read_tfrecords(const std::string& path) {
  TFRecordReader reader(path);
  std::vector<std::string> out;
  while (auto r = reader.next()) out.push_back(std::move(*r));
  return out;
}

}  // namespace tf::detail
