// tf.io: the public TFRecordWriter and tf.train.Example parsing (FixedLenFeature).
#include "tfjit/io.h"

#include <numeric>

#include "frontend/src/train/tfrecord.h"
#include "tensorflow/core/example/example.pb.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::io {

TFRecordWriter::TFRecordWriter(const std::string& path)
    : impl_(std::make_unique<detail::TFRecordWriter>(path)) {}
TFRecordWriter::TFRecordWriter(TFRecordWriter&&) noexcept = default;
TFRecordWriter& TFRecordWriter::operator=(TFRecordWriter&&) noexcept = default;
TFRecordWriter::~TFRecordWriter() = default;

namespace {
detail::TFRecordWriter& open(const std::unique_ptr<detail::TFRecordWriter>& impl) {
  if (!impl) throw FailedPreconditionError("TFRecordWriter: used after being moved from");
  return *impl;
}

// The string of a scalar string tensor.
std::string scalar_string(const Tensor& t, const char* op) {
  if (!t.defined() || t.dtype() != string || t.shape().rank() != 0)
    throw InvalidArgumentError(
        std::string(op) + ": expected a scalar string tensor, got " +
        (t.defined() ? std::string(dtype_name(t.dtype())) + " " + t.shape().to_string()
                     : std::string("an undefined tensor")));
  return t.item<std::string>();
}

const char* kind_name(tensorflow::Feature::KindCase kind) {
  switch (kind) {
    case tensorflow::Feature::kBytesList:
      return "bytes_list";
    case tensorflow::Feature::kFloatList:
      return "float_list";
    case tensorflow::Feature::kInt64List:
      return "int64_list";
    default:
      return "no list";
  }
}

Tensor parse_feature(const std::string& name, const FixedLenFeature& spec,
                     const tensorflow::Feature* feature) {
  const std::string where = "parse_single_example: feature '" + name + "'";
  const int64_t count = spec.shape.num_elements();
  if (!feature) {
    if (!spec.default_value)
      throw InvalidArgumentError(where + " (dtype " + std::string(dtype_name(spec.dtype)) +
                                 ") is required but the example lacks it");
    Tensor d = *spec.default_value;
    if (d.dtype() != spec.dtype)
      throw InvalidArgumentError(where + ": default_value has dtype " +
                                 std::string(dtype_name(d.dtype())) + ", the feature " +
                                 std::string(dtype_name(spec.dtype)));
    if (d.shape() == spec.shape) return d;
    if (d.num_elements() == 1 && spec.dtype != string)
      return broadcast_to(reshape(d, std::vector<int64_t>{}), spec.shape);
    if (d.num_elements() == count)
      return reshape(d, std::vector<int64_t>(spec.shape.begin(), spec.shape.end()));
    throw InvalidArgumentError(where + ": default_value of shape " + d.shape().to_string() +
                               " does not fit shape " + spec.shape.to_string());
  }
  const auto kind = feature->kind_case();
  auto check = [&](tensorflow::Feature::KindCase want, int64_t got) {
    if (kind != want)
      throw InvalidArgumentError(where + " holds a " + kind_name(kind) + ", dtype " +
                                 std::string(dtype_name(spec.dtype)) + " needs a " +
                                 kind_name(want));
    if (got != count)
      throw InvalidArgumentError(where + " has " + std::to_string(got) + " values, shape " +
                                 spec.shape.to_string() + " needs " + std::to_string(count));
  };
  if (spec.dtype == float32) {
    const auto& v = feature->float_list().value();
    check(tensorflow::Feature::kFloatList, v.size());
    return detail::make_tensor(v.data(), float32, v.size(), spec.shape, float32);
  }
  if (spec.dtype == int64) {
    const auto& v = feature->int64_list().value();
    check(tensorflow::Feature::kInt64List, v.size());
    return detail::make_tensor(v.data(), int64, v.size(), spec.shape, int64);
  }
  const auto& v = feature->bytes_list().value();
  check(tensorflow::Feature::kBytesList, v.size());
  std::vector<std::string> values(v.begin(), v.end());
  return detail::make_tensor(values.data(), string, values.size(), spec.shape, string);
}
}  // namespace

void TFRecordWriter::write(std::string_view record) { open(impl_).write(record); }
void TFRecordWriter::write(const Tensor& record) {
  open(impl_).write(scalar_string(record, "TFRecordWriter.write"));
}
void TFRecordWriter::flush() { open(impl_).flush(); }
void TFRecordWriter::close() { open(impl_).close(); }

std::map<std::string, Tensor> parse_single_example(
    const Tensor& serialized, const std::map<std::string, FixedLenFeature>& features) {
  for (const auto& [name, spec] : features) {
    if (spec.dtype != float32 && spec.dtype != int64 && spec.dtype != string)
      throw InvalidArgumentError("parse_single_example: feature '" + name + "' has dtype " +
                                 std::string(dtype_name(spec.dtype)) +
                                 "; a FixedLenFeature is float32, int64 or string");
    for (int64_t d : spec.shape)
      if (d < 0)
        throw InvalidArgumentError("parse_single_example: feature '" + name + "' has shape " +
                                   spec.shape.to_string() + "; a FixedLenFeature's is fully known");
  }
  tensorflow::Example example;
  if (!example.ParseFromString(scalar_string(serialized, "parse_single_example")))
    throw InvalidArgumentError(
        "parse_single_example: the string is not a serialized tf.train.Example");
  const auto& map = example.features().feature();
  std::map<std::string, Tensor> out;
  for (const auto& [name, spec] : features) {
    auto it = map.find(name);
    out[name] = parse_feature(name, spec, it == map.end() ? nullptr : &it->second);
  }
  return out;
}

}  // namespace tf::io
