// Keras' dense, shape, activation, dropout, embedding and merging layers: each a few tf:: ops.
#include <algorithm>
#include <limits>

#include "tfjit/creation.h"
#include "tfjit/keras/layers.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf::keras::layers {

namespace {
int64_t last_dim(const TensorShape& shape, const std::string& layer) {
  if (shape.rank() < 1 || shape[shape.rank() - 1] < 0)
    throw InvalidArgumentError("layer '" + layer + "': the input's last dim must be known, got " +
                               shape.to_string());
  return shape[shape.rank() - 1];
}
}  // namespace

Dense::Dense(int64_t units, keras::Activation activation, DenseOptions options)
    : Layer(options.name, "dense"),
      units_(units),
      activation_(std::move(activation)),
      options_(std::move(options)) {
  if (units <= 0)
    throw InvalidArgumentError("Dense: units must be positive, got " + std::to_string(units));
}

void Dense::build(const TensorShape& input_shape) {
  add_weight("kernel", {last_dim(input_shape, name()), units_}, options_.kernel_initializer, true,
             options_.kernel_regularizer, options_.kernel_constraint);
  set_checkpoint_paths("kernel", {"_kernel"});  // Keras' attribute, for checkpoint interchange
  if (options_.use_bias)
    add_weight("bias", {units_}, options_.bias_initializer, true, options_.bias_regularizer,
               options_.bias_constraint);
}

Tensor Dense::call(const Tensor& x, bool) {
  const int64_t rank = x.shape().rank();
  if (rank < 2)
    throw InvalidArgumentError("layer '" + name() + "' expects an input of rank >= 2, got " +
                               x.shape().to_string());
  Tensor kernel = weight("kernel");
  Tensor y = rank == 2 ? matmul(x, kernel) : tensordot(x, kernel, {rank - 1}, {0});
  if (options_.use_bias) y = y + weight("bias").read_value();
  return activation_(y);
}

Tensor Flatten::call(const Tensor& x, bool) {
  if (x.shape().rank() < 1)
    throw InvalidArgumentError("layer '" + name() + "' expects a batch, got a scalar");
  int64_t rest = 1;
  for (int64_t i = 1; i < x.shape().rank(); ++i) {
    if (x.shape()[i] < 0)
      throw InvalidArgumentError("layer '" + name() +
                                 "': dims after the batch must be known, got " +
                                 x.shape().to_string());
    rest *= x.shape()[i];
  }
  return reshape(x, std::vector<int64_t>{-1, rest});
}

Tensor Reshape::call(const Tensor& x, bool) {
  std::vector<int64_t> shape{x.shape().rank() > 0 ? x.shape()[0] : 1}, resolved = target_;
  // A -1 in the target comes from the input's row size where that is known (as Keras 3 resolves
  // it when the layer is built), so an empty batch reshapes too.
  const auto unknown = std::ranges::find(resolved, -1);
  int64_t row = 1, rest = 1;
  for (int64_t d = 1; d < x.ndim() && row >= 0; ++d)
    if (x.shape()[d] == kUnknownDim || __builtin_mul_overflow(row, x.shape()[d], &row)) row = -1;
  for (int64_t d : resolved)
    if (d != -1 && __builtin_mul_overflow(rest, d, &rest)) rest = 0;  // reshape raises later
  if (unknown != resolved.end() && row >= 0 && rest > 0 && row % rest == 0) *unknown = row / rest;
  if (shape[0] == kUnknownDim) {
    // An unknown batch stays the input's at the call (tf.shape(x)[0]), as Keras' Reshape does;
    // a -1 left in the target is inferred then.
    std::vector<int32_t> target;
    for (int64_t d : resolved) {
      if (d < -1 || d > std::numeric_limits<int32_t>::max())
        throw InvalidArgumentError("layer '" + name() + "': target dim " + std::to_string(d) +
                                   " is out of range");
      target.push_back(static_cast<int32_t>(d));
    }
    return reshape(x, concat({tf::shape(x)(tf::slice(0, 1)),
                              constant(target, TensorShape{static_cast<int64_t>(target.size())})},
                             0));
  }
  shape.insert(shape.end(), resolved.begin(), resolved.end());
  return reshape(x, shape);
}

ZeroPadding::ZeroPadding(int64_t rank, std::vector<std::pair<int64_t, int64_t>> padding,
                         std::string data_format, std::string_view base)
    : Layer("", base), rank_(rank), padding_(std::move(padding)), data_format_(data_format) {
  if (static_cast<int64_t>(padding_.size()) != rank)
    throw InvalidArgumentError("ZeroPadding: expected " + std::to_string(rank) + " pairs, got " +
                               std::to_string(padding_.size()));
  for (auto [a, b] : padding_)
    if (a < 0 || b < 0) throw InvalidArgumentError("ZeroPadding: negative padding");
  if (data_format_ != "channels_last" && data_format_ != "channels_first")
    throw InvalidArgumentError("ZeroPadding: data_format must be channels_last or channels_first");
}

Tensor ZeroPadding::call(const Tensor& x, bool) {
  check_rank(x, rank_ + 2, "a batch of feature maps");
  std::vector<std::pair<int64_t, int64_t>> pads(rank_ + 2, {0, 0});
  const int64_t first = data_format_ == "channels_last" ? 1 : 2;
  for (int64_t i = 0; i < rank_; ++i) pads[first + i] = padding_[i];
  return pad(x, pads);
}

ZeroPadding1D::ZeroPadding1D(int64_t padding)
    : ZeroPadding(1, {{padding, padding}}, "channels_last", "zero_padding1d") {}
ZeroPadding1D::ZeroPadding1D(std::pair<int64_t, int64_t> padding)
    : ZeroPadding(1, {padding}, "channels_last", "zero_padding1d") {}

namespace {
std::vector<std::pair<int64_t, int64_t>> symmetric(const Ints& padding) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t p : padding.expand(2, "ZeroPadding2D: padding")) out.emplace_back(p, p);
  return out;
}
}  // namespace
ZeroPadding2D::ZeroPadding2D(Ints padding, std::string data_format)
    : ZeroPadding(2, symmetric(padding), std::move(data_format), "zero_padding2d") {}
ZeroPadding2D::ZeroPadding2D(std::vector<std::pair<int64_t, int64_t>> padding,
                             std::string data_format)
    : ZeroPadding(2, std::move(padding), std::move(data_format), "zero_padding2d") {}

Tensor ReLU::call(const Tensor& x, bool) { return relu(x); }
Tensor Softmax::call(const Tensor& x, bool) { return softmax(x, axis_); }

Dropout::Dropout(double rate, std::vector<int64_t> noise_shape, std::optional<uint64_t> seed,
                 std::string name)
    : Layer(std::move(name), "dropout"),
      rate_(rate),
      noise_shape_(std::move(noise_shape)),
      seed_(seed) {
  if (!(rate >= 0 && rate < 1))
    throw InvalidArgumentError("Dropout: rate must be in [0, 1), got " + std::to_string(rate));
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0) return x;
  return nn::dropout(x, rate_, noise_shape_, seed_);
}

Embedding::Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options)
    : Layer(options.name, "embedding"),
      input_dim_(input_dim),
      output_dim_(output_dim),
      options_(std::move(options)) {
  if (input_dim <= 0 || output_dim <= 0)
    throw InvalidArgumentError("Embedding: input_dim and output_dim must be positive, got " +
                               std::to_string(input_dim) + ", " + std::to_string(output_dim));
}

void Embedding::build(const TensorShape&) {
  add_weight("embeddings", {input_dim_, output_dim_}, options_.embeddings_initializer, true,
             options_.embeddings_regularizer);
  set_checkpoint_paths("embeddings", {"_embeddings"});
}

Tensor Embedding::call(const Tensor& ids, bool) {
  if (!is_integer(ids.dtype()))
    throw InvalidArgumentError("layer '" + name() + "' expects integer ids, got " +
                               std::string(dtype_name(ids.dtype())));
  return nn::embedding_lookup(weight("embeddings"), ids);
}

Merge::Merge(Kind kind, std::string name, std::string_view base)
    : Layer(std::move(name), base), kind_(kind) {}

Tensor Merge::call_list(const std::vector<Tensor>& inputs, bool) {
  if (inputs.size() < 2 || (kind_ == Kind::kSubtract && inputs.size() != 2))
    throw InvalidArgumentError("layer '" + name() + "' expects " +
                               (kind_ == Kind::kSubtract ? "2" : "at least 2") + " inputs, got " +
                               std::to_string(inputs.size()));
  Tensor out = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) switch (kind_) {
      case Kind::kAdd:
      case Kind::kAverage:
        out = out + inputs[i];
        break;
      case Kind::kSubtract:
        out = out - inputs[i];
        break;
      case Kind::kMultiply:
        out = out * inputs[i];
        break;
      case Kind::kMaximum:
        out = maximum(out, inputs[i]);
        break;
      case Kind::kMinimum:
        out = minimum(out, inputs[i]);
        break;
    }
  if (kind_ == Kind::kAverage) out = out / static_cast<double>(inputs.size());
  return out;
}

Tensor Concatenate::call_list(const std::vector<Tensor>& inputs, bool) {
  if (inputs.empty()) throw InvalidArgumentError("layer '" + name() + "' got no inputs");
  return concat(inputs, axis_);
}

}  // namespace tf::keras::layers
