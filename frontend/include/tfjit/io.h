// tf.io: TFRecord files and tf.train.Example parsing, as TensorFlow's.
//
//   tf::io::TFRecordWriter writer("train.tfrecord");
//   writer.write(serialized_example);
//   writer.close();
//   auto ds = tf::data::TFRecordDataset({"train.tfrecord"}).map([](const tf::data::Element& e) {
//     auto f = tf::io::parse_single_example(
//         e[0], {{"image", {{28, 28}, tf::float32}}, {"label", {{}, tf::int64}}});
//     return tf::data::Element{f["image"], f["label"]};
//   });
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {
namespace detail {
class TFRecordWriter;
}  // namespace detail

namespace io {

// Writes TFRecord files (uncompressed), which tf.data.TFRecordDataset reads.
class TFRecordWriter {
 public:
  // Creates or truncates `path`.
  explicit TFRecordWriter(const std::string& path);
  TFRecordWriter(TFRecordWriter&&) noexcept;
  TFRecordWriter& operator=(TFRecordWriter&&) noexcept;
  ~TFRecordWriter();  // closes; errors are lost then, so call close() to see them
  void write(std::string_view record);
  void write(const Tensor& record);  // a scalar string tensor
  void flush();
  void close();

 private:
  std::unique_ptr<detail::TFRecordWriter> impl_;
};

// A feature of fixed shape (tf.io.FixedLenFeature): dtype float32, int64 or string, the
// example's values in row-major order; default_value (broadcast if a scalar) when the example
// lacks it, else parsing raises InvalidArgumentError.
struct FixedLenFeature {
  TensorShape shape;
  DType dtype;
  std::optional<Tensor> default_value = std::nullopt;
};

// Parses a scalar string tensor holding a serialized tf.train.Example into these features.
// Malformed protos, missing features, a kind other than the dtype's, or a value count other
// than the shape's raise InvalidArgumentError naming the feature.
std::map<std::string, Tensor> parse_single_example(
    const Tensor& serialized, const std::map<std::string, FixedLenFeature>& features);

}  // namespace io
}  // namespace tf
TFJIT_API_END
