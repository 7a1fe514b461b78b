// tf::keras::Layer, the base of every Keras layer and model, and what layers are configured with:
// initializers, regularizers, constraints and activations (strings as Keras spells them, or C++
// callables).
//
//   class Scale : public tf::keras::Layer {       // a custom layer
//    public:
//     Scale() : Layer("", "scale") {}
//     void build(const tf::TensorShape& input_shape) override {
//       add_weight("w", {input_shape.back()}, "ones");
//     }
//     tf::Tensor call(const tf::Tensor& x, bool training) override { return x * weight("w"); }
//   };
//
// A layer builds its weights on its first call, from the input's shape, as Keras does (inside a
// tf::function too: the weights are created eagerly, under tf::init_scope). A layer called inside
// another layer's call becomes its sub-layer, and inherits its `training` flag unless given one.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/module.h"
#include "tfjit/tensor.h"
#include "tfjit/variable.h"

TFJIT_API_BEGIN
namespace tf::keras {

// One int for every dim, or one per dim, as Keras' kernel_size=3 or (3, 2).
struct Ints {
  Ints(int64_t value) : values{value} {}
  Ints(std::initializer_list<int64_t> list) : values(list) {}
  Ints(std::vector<int64_t> list) : values(std::move(list)) {}
  // `n` values: the one value repeated, or the list if it has n (InvalidArgumentError otherwise).
  std::vector<int64_t> expand(size_t n, std::string_view what) const;
  std::vector<int64_t> values;
};

// A weight's initial value from its shape and dtype: "glorot_uniform" (Keras' default kernel
// initializer), "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
// "zeros", "ones", "random_normal", "random_uniform", "truncated_normal", or a callable; see
// tfjit/keras/initializers.h for the configurable ones.
class Initializer {
 public:
  using Fn = std::function<Tensor(const TensorShape& shape, DType dtype)>;
  Initializer(const char* name);
  Initializer(std::string_view name) : Initializer(std::string(name).c_str()) {}
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const TensorShape&, DType> Initializer(F f)
      : fn_(std::move(f)) {}
  Tensor operator()(const TensorShape& shape, DType dtype = float32) const;

 private:
  Fn fn_;
};

namespace initializers {
// Keras' VarianceScaling, which the named ones are: scale / n with n the fan-in ("fan_in"),
// fan-out ("fan_out") or their mean ("fan_avg"), drawn from a "truncated_normal" (at 2 stddev),
// "untruncated_normal" or "uniform" distribution. For a kernel (spatial..., in, out), fan-in is
// in * prod(spatial) and fan-out out * prod(spatial). An unset seed draws from tf::random's
// global generator (reproducible after tf::random::set_seed).
Initializer VarianceScaling(double scale = 1.0, std::string_view mode = "fan_in",
                            std::string_view distribution = "truncated_normal",
                            std::optional<uint64_t> seed = std::nullopt);
Initializer GlorotUniform(std::optional<uint64_t> seed = std::nullopt);
Initializer GlorotNormal(std::optional<uint64_t> seed = std::nullopt);
Initializer HeNormal(std::optional<uint64_t> seed = std::nullopt);
Initializer HeUniform(std::optional<uint64_t> seed = std::nullopt);
Initializer LecunNormal(std::optional<uint64_t> seed = std::nullopt);
Initializer LecunUniform(std::optional<uint64_t> seed = std::nullopt);
Initializer RandomNormal(double mean = 0.0, double stddev = 0.05,
                         std::optional<uint64_t> seed = std::nullopt);
Initializer RandomUniform(double minval = -0.05, double maxval = 0.05,
                          std::optional<uint64_t> seed = std::nullopt);
Initializer TruncatedNormal(double mean = 0.0, double stddev = 0.05,
                            std::optional<uint64_t> seed = std::nullopt);
Initializer Constant(double value);
Initializer Zeros();
Initializer Ones();
}  // namespace initializers

// A weight's penalty added to the loss (Keras' kernel_regularizer): null for none.
class Regularizer {
 public:
  Regularizer() = default;
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&> Regularizer(F f) : fn_(std::move(f)) {}
  explicit operator bool() const { return static_cast<bool>(fn_); }
  Tensor operator()(const Tensor& weight) const { return fn_(weight); }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};
namespace regularizers {
Regularizer L1(double l1 = 0.01);  // l1 * sum(|w|)
Regularizer L2(double l2 = 0.01);  // l2 * sum(w^2)
Regularizer L1L2(double l1 = 0.0, double l2 = 0.0);
}  // namespace regularizers

// A projection applied to a weight after each optimizer update (Keras' kernel_constraint).
class Constraint {
 public:
  Constraint() = default;
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&> Constraint(F f) : fn_(std::move(f)) {}
  explicit operator bool() const { return static_cast<bool>(fn_); }
  Tensor operator()(const Tensor& weight) const { return fn_(weight); }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};
namespace constraints {
Constraint NonNeg();
// Each slice along `axis` (Keras' default 0: each output unit's incoming weights) scaled down to
// norm at most max_value; UnitNorm to norm 1.
Constraint MaxNorm(double max_value = 2, int64_t axis = 0);
Constraint UnitNorm(int64_t axis = 0);
}  // namespace constraints
// The constraint given to add_weight for `variable`, if any (what optimizers apply).
Constraint constraint_of(const Variable& variable);

// An activation: "relu", "sigmoid", "softmax", "log_softmax", "tanh", "gelu", "silu"/"swish",
// "elu", "selu", "softplus", "softsign", "relu6", "leaky_relu", "hard_sigmoid", "exponential",
// "linear" (or empty: none), or a callable.
class Activation {
 public:
  Activation() = default;
  Activation(const char* name);
  Activation(std::string_view name) : Activation(std::string(name).c_str()) {}
  template <class F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&> Activation(F f)
      : fn_(std::move(f)), name_("custom") {}
  Tensor operator()(const Tensor& x) const { return fn_ ? fn_(x) : x; }
  explicit operator bool() const { return static_cast<bool>(fn_); }
  const std::string& name() const { return name_; }

 private:
  std::function<Tensor(const Tensor&)> fn_;
  std::string name_ = "linear";
};

namespace detail {
struct LayerState;
}

class Layer : public Module {
 public:
  // `name` empty: a unique name made of `base` ("dense", then "dense_1", ...), as Keras names
  // layers; a given name is used as it is.
  explicit Layer(std::string name = "", std::string_view base = "layer");

  // Builds on the first call (from the input's shape), then runs call(). `training` unset
  // inherits the enclosing layer call's flag (false at the outermost call), as in Keras.
  Tensor operator()(const Tensor& x, std::optional<bool> training = std::nullopt);
  // Layers of several inputs (Add, Concatenate, MultiHeadAttention): call_list / build_list.
  Tensor operator()(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt);

  virtual Tensor call(const Tensor& x, bool training);
  virtual Tensor call_list(const std::vector<Tensor>& inputs, bool training);
  virtual void build(const TensorShape& input_shape);
  virtual void build_list(const std::vector<TensorShape>& input_shapes);
  bool built() const;

  std::vector<Variable> weights() const { return variables(); }
  // The weight tracked as `attribute` ("kernel", "bias", ...) by this layer (not sub-layers);
  // InvalidArgumentError if none (say, before the layer is built).
  Variable weight(std::string_view attribute) const;
  // Current values of weights(), and assignment of them in that order (checked shapes).
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& values);
  // Keras' layer.trainable: false freezes the layer and its sub-layers (their variables are
  // listed as non-trainable; a frozen BatchNormalization also runs in inference mode).
  bool trainable() const;
  void set_trainable(bool trainable);
  // The regularization penalties of this layer's and its sub-layers' weights, from their
  // current values (traced inside a tf::function); what fit adds to the loss.
  std::vector<Tensor> losses() const;
  // A copy of this layer object (sharing its state), of its own class: how a functional model
  // keeps the layers it was built from. Built-in layers have it; a custom layer used in a
  // functional model overrides it (`return std::make_shared<MyLayer>(*this);`).
  virtual std::shared_ptr<Layer> clone() const;

 protected:
  // For layers whose shared state extends a layer's (models).
  Layer(std::shared_ptr<detail::LayerState> state, std::string name, std::string_view base);
  // Creates, tracks and returns a weight named "<layer>/<attribute>" (created eagerly even while
  // a tf::function traces).
  Variable add_weight(const std::string& attribute, const TensorShape& shape,
                      const Initializer& initializer = "glorot_uniform", bool trainable = true,
                      const Regularizer& regularizer = {}, const Constraint& constraint = {},
                      DType dtype = float32);
  // The input rank this layer accepts, checked at each call with the layer's name (0: any).
  void check_rank(const Tensor& x, int64_t rank, std::string_view what) const;
  detail::LayerState& layer_state() const;
};

// Keras' functional API: a placeholder for a model input of `shape` (without the batch dim;
// tf::unknown dims allowed). Layers called on it (and on what they return) record the graph
// that tf::keras::Model(inputs, output) then runs. The placeholder is a batch of one (zeros,
// unknown dims as 1), so layers build as they are called.
Tensor Input(const TensorShape& shape, DType dtype = float32);

namespace backend {
// Resets Keras' layer-name counters ("dense_3" -> the next Dense is "dense" again).
void clear_session();
}  // namespace backend

}  // namespace tf::keras
TFJIT_API_END
