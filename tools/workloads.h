// The training workloads users run, defined once for tfjit-bench and the tests: MLPs and a
// transformer block, each a forward pass, a GradientTape backward pass and an SGD update.
// scripts/peers/models.py defines the same models with the same data and initial values in
// TensorFlow, JAX and PyTorch (wave() below is reproducible in NumPy: keep the two in step).
#pragma once

#include <tfjit/tfjit.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace workloads {

// scale * sin(0.37 i + phase) over the elements in row-major order, computed in double and
// rounded to float32: deterministic values every framework reproduces exactly.
inline tf::Tensor wave(const std::vector<int64_t>& shape, double scale, double phase) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = static_cast<float>(scale * std::sin(0.37 * double(i) + phase));
  return tf::constant(v, tf::TensorShape(shape));
}

// One-hot targets: row r is class (7 r + 3) mod classes.
inline tf::Tensor one_hot_targets(int64_t rows, int64_t classes) {
  std::vector<int32_t> labels(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    labels[static_cast<size_t>(r)] = int32_t((7 * r + 3) % classes);
  return tf::one_hot(tf::constant(labels, {rows}), classes);
}

// A model: its variables, their initial values, and a training step (forward, backward, SGD).
struct Model {
  std::string name;
  std::vector<tf::Variable> params;
  std::vector<tf::Tensor> initial;
  tf::Tensor x, y;  // one batch of inputs and targets
  float learning_rate = 0.01f;

  virtual ~Model() = default;
  virtual tf::Tensor loss(const tf::Tensor& in, const tf::Tensor& target) const = 0;
  // One training step: the loss, its gradients by a GradientTape, and the SGD update.
  tf::Tensor step(const tf::Tensor& in, const tf::Tensor& target) {
    tf::GradientTape tape;
    auto l = loss(in, target);
    sgd(tape.gradient(l, params));
    return l;
  }
  void reset() {
    for (size_t i = 0; i < params.size(); ++i) params[i].assign(initial[i]);
  }
  void add(const std::string& param, tf::Tensor value) {
    initial.push_back(value);
    params.emplace_back(value, param);
  }
  void sgd(const std::vector<tf::Tensor>& grads) {
    for (size_t i = 0; i < params.size(); ++i) params[i].assign_sub(grads[i] * learning_rate);
  }
};

// Dense ReLU layers, softmax cross-entropy on the last: sizes {784, 512, 512, 10}.
struct Mlp : Model {
  Mlp(std::vector<int64_t> sizes, int64_t batch) {
    name = "mlp";
    for (size_t l = 0; l + 1 < sizes.size(); ++l) {
      double scale = std::sqrt(2.0 / double(sizes[l]));  // He-like, as a fixed wave
      add("w" + std::to_string(l), wave({sizes[l], sizes[l + 1]}, scale, double(l)));
      add("b" + std::to_string(l), tf::zeros({sizes[l + 1]}));
      name += (l ? "-" : " ") + std::to_string(sizes[l]);
    }
    name += "-" + std::to_string(sizes.back()) + " b" + std::to_string(batch);
    x = wave({batch, sizes[0]}, 1.0, 0.5);
    y = one_hot_targets(batch, sizes.back());
  }
  tf::Tensor logits(const tf::Tensor& in) const {
    tf::Tensor h = in;
    for (size_t l = 0; l < params.size(); l += 2) {
      h = tf::matmul(h, params[l].read_value()) + params[l + 1].read_value();
      if (l + 2 < params.size()) h = tf::relu(h);
    }
    return h;
  }
  tf::Tensor loss(const tf::Tensor& in, const tf::Tensor& target) const override {
    return -tf::reduce_mean(tf::reduce_sum(target * tf::log_softmax(logits(in)), 1));
  }
};

// A pre-norm transformer encoder block: x + attention(layer_norm(x)), then + FFN(layer_norm(.)),
// loss = mean squared distance to a target. Batch 8, sequence 128, width 256, 4 heads, FFN 1024.
struct TransformerBlock : Model {
  int64_t batch, seq, width, heads, ffn;
  TransformerBlock(int64_t batch = 8, int64_t seq = 128, int64_t width = 256, int64_t heads = 4,
                   int64_t ffn = 1024)
      : batch(batch), seq(seq), width(width), heads(heads), ffn(ffn) {
    name = "transformer b" + std::to_string(batch) + " s" + std::to_string(seq) + " d" +
           std::to_string(width);
    double s = 1.0 / std::sqrt(double(width)), f = 1.0 / std::sqrt(double(ffn));
    add("wq", wave({width, width}, s, 0));
    add("wk", wave({width, width}, s, 1));
    add("wv", wave({width, width}, s, 2));
    add("wo", wave({width, width}, s, 3));
    add("w1", wave({width, ffn}, s, 4));
    add("b1", tf::zeros({ffn}));
    add("w2", wave({ffn, width}, f, 5));
    add("b2", tf::zeros({width}));
    add("gamma1", tf::ones({width}));
    add("beta1", tf::zeros({width}));
    add("gamma2", tf::ones({width}));
    add("beta2", tf::zeros({width}));
    x = wave({batch, seq, width}, 1.0, 0.25);
    y = wave({batch, seq, width}, 1.0, 0.75);
  }
  static tf::Tensor layer_norm(const tf::Tensor& x, const tf::Tensor& gamma,
                               const tf::Tensor& beta) {
    auto mean = tf::reduce_mean(x, -1, true);
    auto centered = x - mean;
    auto variance = tf::reduce_mean(tf::square(centered), -1, true);
    return centered * tf::rsqrt(variance + 1e-5f) * gamma + beta;
  }
  // (batch*seq, width) -> (batch*heads, seq, width/heads), and back.
  tf::Tensor split_heads(const tf::Tensor& t) const {
    auto h = tf::reshape(t, {batch, seq, heads, width / heads});
    return tf::reshape(tf::transpose(h, {0, 2, 1, 3}), {batch * heads, seq, width / heads});
  }
  tf::Tensor merge_heads(const tf::Tensor& t) const {
    auto h = tf::reshape(t, {batch, heads, seq, width / heads});
    return tf::reshape(tf::transpose(h, {0, 2, 1, 3}), {batch * seq, width});
  }
  tf::Tensor forward(const tf::Tensor& in) const {
    auto p = [&](int i) { return params[static_cast<size_t>(i)].read_value(); };
    auto h = tf::reshape(layer_norm(in, p(8), p(9)), {batch * seq, width});
    auto q = split_heads(tf::matmul(h, p(0))), k = split_heads(tf::matmul(h, p(1))),
         v = split_heads(tf::matmul(h, p(2)));
    auto scores = tf::matmul(q, k, false, true) * float(1.0 / std::sqrt(double(width / heads)));
    auto attention = merge_heads(tf::matmul(tf::softmax(scores, -1), v));
    auto x1 = in + tf::reshape(tf::matmul(attention, p(3)), {batch, seq, width});
    auto h2 = tf::reshape(layer_norm(x1, p(10), p(11)), {batch * seq, width});
    auto f = tf::matmul(tf::relu(tf::matmul(h2, p(4)) + p(5)), p(6)) + p(7);
    return x1 + tf::reshape(f, {batch, seq, width});
  }
  tf::Tensor loss(const tf::Tensor& in, const tf::Tensor& target) const override {
    return tf::reduce_mean(tf::square(forward(in) - target));
  }
};

// A small CNN: two (3x3 SAME convolution + bias, ReLU, 2x2 max pooling) stages, then a dense
// layer and softmax cross-entropy. NHWC inputs, HWIO filters, the dense rows in (h, w, c) order.
// Digits-size (28x28x1, 16 and 32 filters) and CIFAR-size (32x32x3, 32 and 64 filters).
struct Cnn : Model {
  int64_t batch;
  Cnn(int64_t size, int64_t channels, int64_t f1, int64_t f2, int64_t batch, int64_t classes = 10)
      : batch(batch) {
    name = "cnn " + std::to_string(size) + "x" + std::to_string(size) + "x" +
           std::to_string(channels) + " b" + std::to_string(batch);
    const int64_t flat = (size / 4) * (size / 4) * f2;
    add("w1", wave({3, 3, channels, f1}, std::sqrt(2.0 / double(9 * channels)), 0));
    add("b1", tf::zeros({f1}));
    add("w2", wave({3, 3, f1, f2}, std::sqrt(2.0 / double(9 * f1)), 1));
    add("b2", tf::zeros({f2}));
    add("wd", wave({flat, classes}, std::sqrt(1.0 / double(flat)), 2));
    add("bd", tf::zeros({classes}));
    x = wave({batch, size, size, channels}, 1.0, 0.5);
    y = one_hot_targets(batch, classes);
  }
  tf::Tensor logits(const tf::Tensor& in) const {
    auto p = [&](int i) { return params[static_cast<size_t>(i)].read_value(); };
    auto stage = [](const tf::Tensor& h, const tf::Tensor& w, const tf::Tensor& b) {
      return tf::nn::max_pool2d(tf::relu(tf::nn::conv2d(h, w, {1}, "SAME") + b), {2}, {2}, "VALID");
    };
    auto h = stage(stage(in, p(0), p(1)), p(2), p(3));
    return tf::matmul(tf::reshape(h, {batch, -1}), p(4)) + p(5);
  }
  tf::Tensor loss(const tf::Tensor& in, const tf::Tensor& target) const override {
    return -tf::reduce_mean(tf::reduce_sum(target * tf::log_softmax(logits(in)), 1));
  }
};

}  // namespace workloads
