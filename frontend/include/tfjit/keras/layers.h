// tf::keras::layers: Keras' built-in layers, with Keras' names, defaults and weight names.
//
//   tf::keras::layers::Dense dense(10, "relu");            // kernel (in, 10) and bias, built at
//   auto y = dense(x);                                     // the first call from x's last dim
//   tf::keras::layers::Conv2D(32, 3, "relu", {.padding = "same"});
//
// Where Keras takes Python keywords, a layer takes an options struct with the same field names
// (designated initializers): Conv2D(16, 3, "relu", {.strides = 2, .use_bias = false}).
// Layers copy cheaply and copies are the same layer (they share weights).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/keras/layer.h"

TFJIT_API_BEGIN
namespace tf::keras::layers {

struct DenseOptions {
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer = {}, bias_regularizer = {};
  Constraint kernel_constraint = {}, bias_constraint = {};
  std::string name = "";
};
// activation(x · kernel + bias) along x's last axis (any rank >= 2).
class Dense : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Dense>(*this); }
  explicit Dense(int64_t units, keras::Activation activation = {}, DenseOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  int64_t units() const { return units_; }

 private:
  int64_t units_;
  keras::Activation activation_;
  DenseOptions options_;
};

// --- Convolutions (weights: kernel (spatial..., in / groups, filters), bias (filters)) ---
struct ConvOptions {
  Ints strides = 1;
  std::string padding = "valid";              // "valid", "same" (and "causal" for Conv1D)
  std::string data_format = "channels_last";  // or "channels_first"
  Ints dilation_rate = 1;
  int64_t groups = 1;
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer = {}, bias_regularizer = {};
  Constraint kernel_constraint = {}, bias_constraint = {};
  std::string name = "";
};
// Convolution over `rank` spatial dims; Conv1D/2D/3D fix the rank.
class Conv : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv>(*this); }
  Conv(int64_t rank, int64_t filters, Ints kernel_size, keras::Activation activation,
       ConvOptions options, std::string_view base);
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 protected:
  int64_t rank_, filters_;
  std::vector<int64_t> kernel_size_, strides_, dilation_;
  keras::Activation activation_;
  ConvOptions options_;
  std::string format_;  // tf::nn's spelling: "NHWC", "NCHW", ...
};
class Conv1D : public Conv {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv1D>(*this); }
  Conv1D(int64_t filters, Ints kernel_size, keras::Activation activation = {},
         ConvOptions options = {})
      : Conv(1, filters, std::move(kernel_size), std::move(activation), std::move(options),
             "conv1d") {}
};
class Conv2D : public Conv {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv2D>(*this); }
  Conv2D(int64_t filters, Ints kernel_size, keras::Activation activation = {},
         ConvOptions options = {})
      : Conv(2, filters, std::move(kernel_size), std::move(activation), std::move(options),
             "conv2d") {}
};
class Conv3D : public Conv {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv3D>(*this); }
  Conv3D(int64_t filters, Ints kernel_size, keras::Activation activation = {},
         ConvOptions options = {})
      : Conv(3, filters, std::move(kernel_size), std::move(activation), std::move(options),
             "conv3d") {}
};
// The transpose of Conv2D (kernel (h, w, filters, in)); output spatial size in * stride ("same")
// or (in - 1) * stride + dilated kernel size ("valid"), as Keras.
class Conv2DTranspose : public Conv {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Conv2DTranspose>(*this); }
  Conv2DTranspose(int64_t filters, Ints kernel_size, keras::Activation activation = {},
                  ConvOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
};

struct DepthwiseConvOptions {
  Ints strides = 1;
  std::string padding = "valid";
  int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  Ints dilation_rate = 1;
  bool use_bias = true;
  Initializer depthwise_initializer = "glorot_uniform";
  Initializer pointwise_initializer = "glorot_uniform";  // SeparableConv2D only
  Initializer bias_initializer = "zeros";
  Regularizer depthwise_regularizer = {}, pointwise_regularizer = {}, bias_regularizer = {};
  std::string name = "";
};
// Weights: kernel (h, w, in, depth_multiplier), bias (in * depth_multiplier), as Keras 3 names
// them.
class DepthwiseConv2D : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<DepthwiseConv2D>(*this); }
  explicit DepthwiseConv2D(Ints kernel_size, keras::Activation activation = {},
                           DepthwiseConvOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<int64_t> kernel_size_;
  keras::Activation activation_;
  DepthwiseConvOptions options_;
};
// Weights: depthwise_kernel (h, w, in, depth_multiplier), pointwise_kernel (1, 1, in *
// depth_multiplier, filters), bias (filters).
class SeparableConv2D : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<SeparableConv2D>(*this); }
  SeparableConv2D(int64_t filters, Ints kernel_size, keras::Activation activation = {},
                  DepthwiseConvOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t filters_;
  std::vector<int64_t> kernel_size_;
  keras::Activation activation_;
  DepthwiseConvOptions options_;
};

// --- Pooling ---
struct PoolOptions {
  std::optional<Ints> strides = std::nullopt;  // unset: the pool size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name = "";
};
class Pooling : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Pooling>(*this); }
  Pooling(int64_t rank, bool max, Ints pool_size, PoolOptions options, std::string_view base);
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t rank_;
  bool max_;
  std::vector<int64_t> pool_size_, strides_;
  PoolOptions options_;
};
#define TFJIT_KERAS_POOLING(Name, rank, max, base)                                          \
  class Name : public Pooling {                                                             \
   public:                                                                                  \
    std::shared_ptr<Layer> clone() const override { return std::make_shared<Name>(*this); } \
    explicit Name(Ints pool_size = 2, PoolOptions options = {})                             \
        : Pooling(rank, max, std::move(pool_size), std::move(options), base) {}             \
  };
TFJIT_KERAS_POOLING(MaxPooling1D, 1, true, "max_pooling1d")
TFJIT_KERAS_POOLING(MaxPooling2D, 2, true, "max_pooling2d")
TFJIT_KERAS_POOLING(MaxPooling3D, 3, true, "max_pooling3d")
TFJIT_KERAS_POOLING(AveragePooling1D, 1, false, "average_pooling1d")
TFJIT_KERAS_POOLING(AveragePooling2D, 2, false, "average_pooling2d")
TFJIT_KERAS_POOLING(AveragePooling3D, 3, false, "average_pooling3d")
#undef TFJIT_KERAS_POOLING

struct GlobalPoolOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;
  std::string name = "";
};
// Mean or max over the spatial dims of a rank + 2 input.
class GlobalPooling : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<GlobalPooling>(*this); }
  GlobalPooling(int64_t rank, bool max, GlobalPoolOptions options, std::string_view base);
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t rank_;
  bool max_;
  GlobalPoolOptions options_;
};
#define TFJIT_KERAS_GLOBAL_POOLING(Name, rank, max, base)                                   \
  class Name : public GlobalPooling {                                                       \
   public:                                                                                  \
    std::shared_ptr<Layer> clone() const override { return std::make_shared<Name>(*this); } \
    explicit Name(GlobalPoolOptions options = {})                                           \
        : GlobalPooling(rank, max, std::move(options), base) {}                             \
  };
TFJIT_KERAS_GLOBAL_POOLING(GlobalAveragePooling1D, 1, false, "global_average_pooling1d")
TFJIT_KERAS_GLOBAL_POOLING(GlobalAveragePooling2D, 2, false, "global_average_pooling2d")
TFJIT_KERAS_GLOBAL_POOLING(GlobalMaxPooling1D, 1, true, "global_max_pooling1d")
TFJIT_KERAS_GLOBAL_POOLING(GlobalMaxPooling2D, 2, true, "global_max_pooling2d")
#undef TFJIT_KERAS_GLOBAL_POOLING

// --- Shape layers ---
class Flatten : public Layer {  // (batch, ...) -> (batch, prod(...))
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Flatten>(*this); }
  explicit Flatten(std::string name = "") : Layer(std::move(name), "flatten") {}
  Tensor call(const Tensor& x, bool training) override;
};
class Reshape : public Layer {  // (batch, ...) -> (batch, target_shape...); one -1 allowed
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Reshape>(*this); }
  explicit Reshape(std::vector<int64_t> target_shape, std::string name = "")
      : Layer(std::move(name), "reshape"), target_(std::move(target_shape)) {}
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<int64_t> target_;
};
// Zeros around the spatial dims: one value for all sides, one per spatial dim (both sides), or
// (before, after) pairs.
class ZeroPadding : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<ZeroPadding>(*this); }
  ZeroPadding(int64_t rank, std::vector<std::pair<int64_t, int64_t>> padding,
              std::string data_format, std::string_view base);
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t rank_;
  std::vector<std::pair<int64_t, int64_t>> padding_;
  std::string data_format_;
};
class ZeroPadding1D : public ZeroPadding {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<ZeroPadding1D>(*this); }
  explicit ZeroPadding1D(int64_t padding = 1);
  explicit ZeroPadding1D(std::pair<int64_t, int64_t> padding);
};
class ZeroPadding2D : public ZeroPadding {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<ZeroPadding2D>(*this); }
  explicit ZeroPadding2D(Ints padding = 1, std::string data_format = "channels_last");
  explicit ZeroPadding2D(std::vector<std::pair<int64_t, int64_t>> padding,
                         std::string data_format = "channels_last");
};

// --- Activation, regularisation, embeddings ---
class Activation : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Activation>(*this); }
  explicit Activation(keras::Activation activation, std::string name = "")
      : Layer(std::move(name), "activation"), activation_(std::move(activation)) {}
  Tensor call(const Tensor& x, bool training) override { return activation_(x); }

 private:
  keras::Activation activation_;
};
class ReLU : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<ReLU>(*this); }
  explicit ReLU(std::string name = "") : Layer(std::move(name), "re_lu") {}
  Tensor call(const Tensor& x, bool training) override;
};
class Softmax : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Softmax>(*this); }
  explicit Softmax(int64_t axis = -1, std::string name = "")
      : Layer(std::move(name), "softmax"), axis_(axis) {}
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t axis_;
};
// Any function of the input (Keras' Lambda): no weights.
class Lambda : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Lambda>(*this); }
  explicit Lambda(std::function<Tensor(const Tensor&)> fn, std::string name = "")
      : Layer(std::move(name), "lambda"), fn_(std::move(fn)) {}
  Tensor call(const Tensor& x, bool training) override { return fn_(x); }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};
// In training, tf::nn::dropout (a new mask at every call, compiled too); the identity otherwise.
class Dropout : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Dropout>(*this); }
  explicit Dropout(double rate, std::vector<int64_t> noise_shape = {},
                   std::optional<uint64_t> seed = std::nullopt, std::string name = "");
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
  std::vector<int64_t> noise_shape_;
  std::optional<uint64_t> seed_;
};
struct EmbeddingOptions {
  Initializer embeddings_initializer = "random_uniform";
  Regularizer embeddings_regularizer = {};
  std::string name = "";
};
// Integer ids (any shape) -> their rows of embeddings (input_dim, output_dim).
class Embedding : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Embedding>(*this); }
  Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& ids, bool training) override;

 private:
  int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
};

// --- Normalisation ---
struct BatchNormalizationOptions {
  int64_t axis = -1;
  double momentum = 0.99, epsilon = 1e-3;
  bool center = true, scale = true;
  Initializer beta_initializer = "zeros", gamma_initializer = "ones";
  Initializer moving_mean_initializer = "zeros", moving_variance_initializer = "ones";
  std::string name = "";
};
// Weights gamma, beta (trainable), moving_mean, moving_variance (not). In training: normalises by
// the batch's mean and (biased) variance over every axis but `axis`, and moves the moving
// statistics towards them by (1 - momentum); in inference (or frozen): by the moving statistics.
class BatchNormalization : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override {
    return std::make_shared<BatchNormalization>(*this);
  }
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  BatchNormalizationOptions options_;
};
struct LayerNormalizationOptions {
  std::vector<int64_t> axis = {-1};
  double epsilon = 1e-3;
  bool center = true, scale = true;
  Initializer beta_initializer = "zeros", gamma_initializer = "ones";
  std::string name = "";
};
// Normalises each example over `axis` (weights gamma, beta over those axes).
class LayerNormalization : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override {
    return std::make_shared<LayerNormalization>(*this);
  }
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  void build(const TensorShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<int64_t> axes(int64_t rank) const;
  LayerNormalizationOptions options_;
};

// --- Merging (a list of inputs) ---
// Elementwise over inputs of one shape (broadcasting as the ops do).
class Merge : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Merge>(*this); }
  enum class Kind { kAdd, kSubtract, kMultiply, kAverage, kMaximum, kMinimum };
  Merge(Kind kind, std::string name, std::string_view base);
  Tensor call_list(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Kind kind_;
};
#define TFJIT_KERAS_MERGE(Name, kind, base)                                                 \
  class Name : public Merge {                                                               \
   public:                                                                                  \
    std::shared_ptr<Layer> clone() const override { return std::make_shared<Name>(*this); } \
    explicit Name(std::string name = "") : Merge(Kind::kind, std::move(name), base) {}      \
  };
TFJIT_KERAS_MERGE(Add, kAdd, "add")
TFJIT_KERAS_MERGE(Subtract, kSubtract, "subtract")
TFJIT_KERAS_MERGE(Multiply, kMultiply, "multiply")
TFJIT_KERAS_MERGE(Average, kAverage, "average")
TFJIT_KERAS_MERGE(Maximum, kMaximum, "maximum")
TFJIT_KERAS_MERGE(Minimum, kMinimum, "minimum")
#undef TFJIT_KERAS_MERGE
class Concatenate : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Concatenate>(*this); }
  explicit Concatenate(int64_t axis = -1, std::string name = "")
      : Layer(std::move(name), "concatenate"), axis_(axis) {}
  Tensor call_list(const std::vector<Tensor>& inputs, bool training) override;

 private:
  int64_t axis_;
};

// --- Attention ---
struct MultiHeadAttentionOptions {
  int64_t value_dim = 0;  // 0: key_dim
  double dropout = 0.0;   // on the attention probabilities, in training
  bool use_bias = true;
  int64_t output_shape = 0;  // 0: the query's last dim
  bool use_causal_mask = false;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  std::string name = "";
};
// Keras' MultiHeadAttention: called with {query, value} or {query, value, key} (key defaults to
// value), each (batch, length, features). Weights, as Keras orders and shapes them:
// query/kernel (dq, heads, key_dim), query/bias (heads, key_dim), key/kernel, key/bias,
// value/kernel (dv, heads, value_dim), value/bias, attention_output/kernel (heads, value_dim,
// out), attention_output/bias (out).
class MultiHeadAttention : public Layer {
 public:
  std::shared_ptr<Layer> clone() const override {
    return std::make_shared<MultiHeadAttention>(*this);
  }
  MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions options = {});
  void build_list(const std::vector<TensorShape>& input_shapes) override;
  Tensor call_list(const std::vector<Tensor>& inputs, bool training) override;

 private:
  int64_t num_heads_, key_dim_, value_dim_;
  MultiHeadAttentionOptions options_;
};

}  // namespace tf::keras::layers
TFJIT_API_END
