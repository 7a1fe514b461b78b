// Keras' MultiHeadAttention: per-head projections as einsums over Keras' weight layouts, scaled
// dot-product attention, an output projection.
#include <cmath>

#include "tfjit/creation.h"
#include "tfjit/keras/layers.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf::keras::layers {

MultiHeadAttention::MultiHeadAttention(int64_t num_heads, int64_t key_dim,
                                       MultiHeadAttentionOptions options)
    : Layer(options.name, "multi_head_attention"),
      num_heads_(num_heads),
      key_dim_(key_dim),
      value_dim_(options.value_dim > 0 ? options.value_dim : key_dim),
      options_(std::move(options)) {
  if (num_heads <= 0 || key_dim <= 0 || options_.value_dim < 0 || options_.output_shape < 0)
    throw InvalidArgumentError("MultiHeadAttention: num_heads and key_dim must be positive");
  if (!(options_.dropout >= 0 && options_.dropout < 1))
    throw InvalidArgumentError("MultiHeadAttention: dropout must be in [0, 1)");
}

namespace {
int64_t features(const TensorShape& s, const std::string& layer, const char* what) {
  if (s.rank() != 3 || s[2] < 0)
    throw InvalidArgumentError("layer '" + layer + "': " + what +
                               " must be (batch, length, features) with known features, got " +
                               s.to_string());
  return s[2];
}
}  // namespace

void MultiHeadAttention::build_list(const std::vector<TensorShape>& shapes) {
  if (shapes.size() < 2 || shapes.size() > 3)
    throw InvalidArgumentError("layer '" + name() +
                               "' takes {query, value} or {query, value, key}");
  int64_t dq = features(shapes[0], name(), "the query");
  int64_t dv = features(shapes[1], name(), "the value");
  int64_t dk = shapes.size() == 3 ? features(shapes[2], name(), "the key") : dv;
  int64_t out = options_.output_shape > 0 ? options_.output_shape : dq;
  const auto& k = options_.kernel_initializer;
  const auto& b = options_.bias_initializer;
  // Keras keeps each projection in an EinsumDense sub-layer: checkpoints use its paths.
  auto projection = [&](const std::string& prefix, const std::vector<int64_t>& kernel,
                        const std::vector<int64_t>& bias, const std::string& keras) {
    add_weight(prefix + "/kernel", TensorShape(kernel), k);
    set_checkpoint_paths(prefix + "/kernel", {keras + "/_kernel"});
    if (!options_.use_bias) return;
    add_weight(prefix + "/bias", TensorShape(bias), b);
    set_checkpoint_paths(prefix + "/bias", {keras + "/bias"});
  };
  projection("query", {dq, num_heads_, key_dim_}, {num_heads_, key_dim_}, "_query_dense");
  projection("key", {dk, num_heads_, key_dim_}, {num_heads_, key_dim_}, "_key_dense");
  projection("value", {dv, num_heads_, value_dim_}, {num_heads_, value_dim_}, "_value_dense");
  projection("attention_output", {num_heads_, value_dim_, out}, {out}, "_output_dense");
}

Tensor MultiHeadAttention::call_list(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() < 2 || inputs.size() > 3)
    throw InvalidArgumentError("layer '" + name() +
                               "' takes {query, value} or {query, value, key}");
  const Tensor& query = inputs[0];
  const Tensor& value = inputs[1];
  const Tensor& key = inputs.size() == 3 ? inputs[2] : inputs[1];
  features(query.shape(), name(), "the query");
  features(value.shape(), name(), "the value");
  features(key.shape(), name(), "the key");
  auto project = [&](const Tensor& x, const std::string& prefix) {
    Tensor y = einsum("abc,cde->abde", {x, weight(prefix + "/kernel")});
    return options_.use_bias ? y + weight(prefix + "/bias").read_value() : y;
  };
  // (batch, length, heads, dim); the query scaled first, as Keras does.
  Tensor q = project(query, "query") * (1.0 / std::sqrt(static_cast<double>(key_dim_)));
  Tensor k = project(key, "key");
  Tensor v = project(value, "value");
  Tensor scores = einsum("aecd,abcd->acbe", {k, q});  // (batch, heads, query len, key len)
  if (options_.use_causal_mask) {
    int64_t t = query.shape()[1], s = key.shape()[1];
    if (t < 0 || s < 0)
      throw InvalidArgumentError("layer '" + name() + "': a causal mask needs known lengths");
    std::vector<float> mask(static_cast<size_t>(t * s));
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < s; ++j) mask[i * s + j] = j <= i ? 0.0f : -1e9f;
    scores = scores + cast(constant(mask, {t, s}), scores.dtype());
  }
  Tensor probs = softmax(scores, -1);
  if (training && options_.dropout > 0) probs = nn::dropout(probs, options_.dropout);
  Tensor attended = einsum("acbe,aecd->abcd", {probs, v});  // (batch, query len, heads, dim)
  Tensor out = einsum("abcd,cde->abe", {attended, weight("attention_output/kernel")});
  return options_.use_bias ? out + weight("attention_output/bias").read_value() : out;
}

}  // namespace tf::keras::layers
