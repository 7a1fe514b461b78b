// Keras layers against Keras 3 (tests/golden/keras/make_keras_golden.py): forward values and the
// gradients of sum(y * dy) for the input and every trainable weight, with the weights set to
// Keras' values; BatchNormalization's moving statistics after a training call. Eager and inside
// a tf::function.
#include <filesystem>
#include <functional>
#include <map>

#include "tests/helpers.h"

namespace {

namespace L = tf::keras::layers;
using tf::Tensor;
const std::string kDir = std::string(TFJIT_GOLDEN_DIR) + "/keras/layers/";

struct LayerCase {
  std::function<std::shared_ptr<tf::keras::Layer>()> make;
  bool training = false;
  bool takes_value = false;  // MultiHeadAttention: called on {x, value}
};

template <class L, class... A>
std::function<std::shared_ptr<tf::keras::Layer>()> make(A... args) {
  return [=] { return std::make_shared<L>(args...); };
}

// The golden script's cases, written as a C++ user writes them.
const std::map<std::string, LayerCase>& cases() {
  static const std::map<std::string, LayerCase> c = {
      {"dense_relu", {make<L::Dense>(5, tf::keras::Activation("relu"))}},
      {"dense_3d", {make<L::Dense>(4)}},
      {"conv1d",
       {make<L::Conv1D>(4, 3, tf::keras::Activation(),
                        L::ConvOptions{.strides = 2, .padding = "same"})}},
      {"conv2d_same_relu",
       {make<L::Conv2D>(4, 3, tf::keras::Activation("relu"), L::ConvOptions{.padding = "same"})}},
      {"conv2d_valid_stride",
       {make<L::Conv2D>(5, tf::keras::Ints{3, 2}, tf::keras::Activation(),
                        L::ConvOptions{.strides = tf::keras::Ints{2, 1}})}},
      {"conv2d_dilated",
       {make<L::Conv2D>(3, 3, tf::keras::Activation(),
                        L::ConvOptions{.padding = "same", .dilation_rate = 2})}},
      {"conv3d", {make<L::Conv3D>(2, 2)}},
      {"conv2d_transpose",
       {make<L::Conv2DTranspose>(3, 3, tf::keras::Activation(),
                                 L::ConvOptions{.strides = 2, .padding = "same"})}},
      {"conv2d_transpose_valid",
       {make<L::Conv2DTranspose>(3, 2, tf::keras::Activation(),
                                 L::ConvOptions{.strides = 2, .padding = "valid"})}},
      {"depthwise_conv2d",
       {make<L::DepthwiseConv2D>(
           3, tf::keras::Activation(),
           L::DepthwiseConvOptions{.padding = "same", .depth_multiplier = 2})}},
      {"separable_conv2d",
       {make<L::SeparableConv2D>(4, 3, tf::keras::Activation(),
                                 L::DepthwiseConvOptions{.padding = "same"})}},
      {"max_pooling2d", {make<L::MaxPooling2D>(2)}},
      {"max_pooling2d_same_stride1",
       {make<L::MaxPooling2D>(3, L::PoolOptions{.strides = 1, .padding = "same"})}},
      {"max_pooling1d", {make<L::MaxPooling1D>(2)}},
      {"average_pooling2d", {make<L::AveragePooling2D>(2)}},
      {"global_average_pooling2d", {make<L::GlobalAveragePooling2D>()}},
      {"global_max_pooling2d", {make<L::GlobalMaxPooling2D>()}},
      {"batchnorm_training", {make<L::BatchNormalization>(), /*training=*/true}},
      {"batchnorm_inference", {make<L::BatchNormalization>()}},
      {"layernorm", {make<L::LayerNormalization>()}},
      {"layernorm_axes",
       {make<L::LayerNormalization>(L::LayerNormalizationOptions{.axis = {1, 2}})}},
      {"embedding", {make<L::Embedding>(10, 4)}},
      {"zero_padding2d",
       {make<L::ZeroPadding2D>(std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {0, 1}})}},
      {"flatten", {make<L::Flatten>()}},
      {"multi_head_attention", {make<L::MultiHeadAttention>(2, 3), false, true}},
      {"dropout_inference", {make<L::Dropout>(0.5)}},
  };
  return c;
}

Tensor golden(const std::string& name, const std::string& file) {
  return tf::load_npy(kDir + name + "/" + file);
}

// The weight files of a case, in layer.weights order: w0_kernel.npy, w1_bias.npy, ...
std::vector<std::string> weight_files(const std::string& name, const std::string& prefix) {
  std::map<int, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kDir + name)) {
    std::string f = entry.path().filename().string();
    if (f.rfind(prefix, 0) == 0 && std::isdigit(static_cast<unsigned char>(f[prefix.size()])))
      files[std::stoi(f.substr(prefix.size()))] = f;
  }
  std::vector<std::string> out;
  for (auto& [i, f] : files) out.push_back(f);
  return out;
}

void check_close(const Tensor& got, const Tensor& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  auto g = tft::values_of(got), w = tft::values_of(want);
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", Keras " << w[i]);
    CHECK(std::abs(g[i] - w[i]) <= 3e-5 * (1 + std::abs(w[i])));
  }
}

// y, then d(sum(y * dy))/d(x), d/d(value) (attention), and d/d(each trainable weight).
std::vector<Tensor> run(tf::keras::Layer& layer, const LayerCase& c, const Tensor& x,
                        const Tensor& value, const Tensor& dy) {
  tf::GradientTape tape;
  bool differentiable_x = tf::is_floating(x.dtype());
  if (differentiable_x) tape.watch(x);
  if (c.takes_value) tape.watch(value);
  Tensor y = c.takes_value ? layer({x, value}, c.training) : layer(x, c.training);
  std::vector<tf::Source> sources;
  if (differentiable_x) sources.push_back(x);
  if (c.takes_value) sources.push_back(value);
  for (const auto& v : layer.trainable_variables()) sources.push_back(v);
  auto grads = tape.gradient(tf::reduce_sum(y * dy), sources);
  std::vector<Tensor> out{y};
  out.insert(out.end(), grads.begin(), grads.end());
  return out;
}

void check_case(const std::string& name, const LayerCase& c, bool compiled) {
  INFO(name << (compiled ? " compiled" : " eager"));
  auto layer = c.make();
  Tensor x = golden(name, "x.npy"), dy = golden(name, "dy.npy");
  Tensor value = c.takes_value ? golden(name, "value.npy") : Tensor();
  // Build (inference mode: no moving-statistics update), then set Keras' weights.
  if (c.takes_value)
    (*layer)({x, value}, false);
  else
    (*layer)(x, false);
  std::vector<Tensor> weights;
  for (const auto& f : weight_files(name, "w")) weights.push_back(golden(name, f));
  layer->set_weights(weights);

  std::vector<Tensor> r;
  if (compiled) {
    auto f = tf::function([&](const Tensor& xs, const Tensor& vs, const Tensor& dys) {
      return run(*layer, c, xs, vs, dys);
    });
    r = f(x, c.takes_value ? value : tf::zeros({}), dy);
  } else {
    r = run(*layer, c, x, value, dy);
  }
  size_t i = 0;
  check_close(r[i++], golden(name, "y.npy"), "forward");
  if (tf::is_floating(x.dtype())) check_close(r[i++], golden(name, "dx.npy"), "input gradient");
  if (c.takes_value) check_close(r[i++], golden(name, "dvalue.npy"), "value gradient");
  for (const auto& f : weight_files(name, "dw")) check_close(r[i++], golden(name, f), f);
  REQUIRE(i == r.size());
  auto all = layer->weights();
  for (const auto& f : weight_files(name, "after_w"))
    check_close(all[std::stoi(f.substr(7))], golden(name, f), f);
}

}  // namespace

TEST_CASE("every Keras layer matches Keras 3: forward, input and weight gradients, eagerly") {
  for (const auto& [name, c] : cases()) check_case(name, c, false);
}

TEST_CASE("every Keras layer matches Keras 3 inside a tf::function") {
  for (const auto& [name, c] : cases()) check_case(name, c, true);
}

TEST_CASE("every golden layer case has a C++ counterpart") {
  for (const auto& entry : std::filesystem::directory_iterator(kDir))
    CHECK(cases().count(entry.path().filename().string()) == 1);
}
