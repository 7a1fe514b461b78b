// tfjit-bench's convolution rows: conv2d on ResNet's shapes (batch 32), the forward pass and a
// training step's three convolutions (forward, input gradient, filter gradient), eager and
// compiled, next to the same oneDNN primitives called directly on preallocated buffers (the
// reference: what tfjit adds around the library is the difference). Every row checks its result
// against the direct call's first.
#include <dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "backends/cpu/conv_fused.h"
#include "tools/bench.h"
#include "tools/workloads.h"

namespace {

struct Shape {
  int64_t batch, size, in, out, k;
  std::string name() const {
    return "conv2d " + std::to_string(size) + "x" + std::to_string(size) + "x" +
           std::to_string(in) + " " + std::to_string(k) + "x" + std::to_string(k) + "x" +
           std::to_string(out) + " b" + std::to_string(batch);
  }
};

// The three oneDNN primitives of one shape (stride 1, SAME), NHWC activations, HWIO filters
// reordered to the primitives' layout at each call (as a training step must: they change).
struct Direct {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::memory x, w, y, dy, dx, dw, w_prim, dw_prim;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights;
  dnnl::reorder w_to_prim, w_to_prim_bwd, dw_from_prim;
  dnnl::memory w_prim_bwd;

  Direct(const Shape& s, const float* xv, const float* wv, const float* dyv) {
    using tag = dnnl::memory::format_tag;
    const auto f32 = dnnl::memory::data_type::f32;
    dnnl::memory::desc xd({s.batch, s.in, s.size, s.size}, f32, tag::nhwc),
        yd({s.batch, s.out, s.size, s.size}, f32, tag::nhwc),
        wd({s.out, s.in, s.k, s.k}, f32, tag::hwio), any({s.out, s.in, s.k, s.k}, f32, tag::any);
    const int64_t pad = (s.k - 1) / 2;
    dnnl::memory::dims strides = {1, 1}, dilates = {0, 0}, lo = {pad, pad},
                       hi = {s.k - 1 - pad, s.k - 1 - pad};
    auto algo = dnnl::algorithm::convolution_direct;
    dnnl::convolution_forward::primitive_desc fpd(
        {dnnl::prop_kind::forward_training, algo, xd, any, yd, strides, dilates, lo, hi}, engine);
    dnnl::convolution_backward_data::primitive_desc bpd(
        {algo, xd, any, yd, strides, dilates, lo, hi}, engine, fpd);
    dnnl::convolution_backward_weights::primitive_desc wpd(
        {algo, xd, any, yd, strides, dilates, lo, hi}, engine, fpd);
    forward = dnnl::convolution_forward(fpd);
    backward_data = dnnl::convolution_backward_data(bpd);
    backward_weights = dnnl::convolution_backward_weights(wpd);
    x = dnnl::memory(xd, engine, const_cast<float*>(xv));
    w = dnnl::memory(wd, engine, const_cast<float*>(wv));
    dy = dnnl::memory(yd, engine, const_cast<float*>(dyv));
    y = dnnl::memory(yd, engine);
    dx = dnnl::memory(xd, engine);
    dw = dnnl::memory(wd, engine);
    w_prim = dnnl::memory(fpd.weights_desc(), engine);
    w_prim_bwd = dnnl::memory(bpd.weights_desc(), engine);
    dw_prim = dnnl::memory(wpd.diff_weights_desc(), engine);
    w_to_prim = dnnl::reorder(w, w_prim);
    w_to_prim_bwd = dnnl::reorder(w, w_prim_bwd);
    dw_from_prim = dnnl::reorder(dw_prim, dw);
  }
  void run_forward() {
    onednn_reference_threads();
    w_to_prim.execute(stream, w, w_prim);
    forward.execute(stream, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w_prim}, {DNNL_ARG_DST, y}});
    stream.wait();
  }
  void run_step() {  // forward, input gradient, filter gradient
    run_forward();
    w_to_prim_bwd.execute(stream, w, w_prim_bwd);
    backward_data.execute(
        stream, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w_prim_bwd}, {DNNL_ARG_DIFF_SRC, dx}});
    backward_weights.execute(
        stream, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw_prim}});
    dw_from_prim.execute(stream, dw_prim, dw);
    stream.wait();
  }
};

// max |a - b| / (1 + max |b|) over the elements.
double difference(const tf::Tensor& got, const dnnl::memory& want) {
  auto g = got.to_vector<float>();
  const auto* w = static_cast<const float*>(want.get_data_handle());
  double worst = 0, scale = 1;
  for (size_t i = 0; i < g.size(); ++i) {
    worst = std::max(worst, double(std::abs(g[i] - w[i])));
    scale = std::max(scale, double(std::abs(w[i])));
  }
  return worst / scale;
}

std::string ratio_note(double reference_us, double us) {
  std::ostringstream s;
  s.precision(3);
  s << reference_us / us << "x oneDNN direct";
  return s.str();
}

// A convolution with its epilogue act(conv(x, w) + bias [+ residual]) (relu), stride 1, SAME,
// as one oneDNN primitive with the bias and post-ops on preallocated buffers, the filter
// reordered at each call as compiled code must (it changes).
struct DirectFused {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::memory x, w, b, y, w_prim;
  dnnl::convolution_forward forward;
  dnnl::reorder w_to_prim;
  const float* residual = nullptr;
  size_t size = 0;

  DirectFused(const Shape& s, const float* xv, const float* wv, const float* bv, const float* rv)
      : residual(rv), size(static_cast<size_t>(s.batch * s.size * s.size * s.out)) {
    using tag = dnnl::memory::format_tag;
    const auto f32 = dnnl::memory::data_type::f32;
    dnnl::memory::desc xd({s.batch, s.in, s.size, s.size}, f32, tag::nhwc),
        yd({s.batch, s.out, s.size, s.size}, f32, tag::nhwc),
        wd({s.out, s.in, s.k, s.k}, f32, tag::hwio), any({s.out, s.in, s.k, s.k}, f32, tag::any),
        bd({s.out}, f32, tag::a);
    const int64_t pad = (s.k - 1) / 2;
    dnnl::post_ops ops;
    if (rv) ops.append_sum(1.0f);
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, INFINITY);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    dnnl::convolution_forward::primitive_desc pd({dnnl::prop_kind::forward_inference,
                                                  dnnl::algorithm::convolution_direct,
                                                  xd,
                                                  any,
                                                  bd,
                                                  yd,
                                                  {1, 1},
                                                  {0, 0},
                                                  {pad, pad},
                                                  {s.k - 1 - pad, s.k - 1 - pad}},
                                                 attr, engine);
    forward = dnnl::convolution_forward(pd);
    x = dnnl::memory(xd, engine, const_cast<float*>(xv));
    w = dnnl::memory(wd, engine, const_cast<float*>(wv));
    b = dnnl::memory(bd, engine, const_cast<float*>(bv));
    y = dnnl::memory(yd, engine);
    w_prim = dnnl::memory(pd.weights_desc(), engine);
    w_to_prim = dnnl::reorder(w, w_prim);
  }
  void run() {
    onednn_reference_threads();
    if (residual) std::copy_n(residual, size, static_cast<float*>(y.get_data_handle()));
    w_to_prim.execute(stream, w, w_prim);
    forward.execute(
        stream,
        {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w_prim}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}});
    stream.wait();
  }
};

// Compiled conv + bias (+ residual) + relu: unfused (the convolution's call, then a generated
// loop), and fused (one call; tf::cpu::conv_bias_act's three ways to run it), next to oneDNN's
// fused primitive called directly. The small shapes are the CNN training step's
// (tools/workloads.h), the last a ResNet block's end.
void conv_epilogue_benchmarks(int scale, std::vector<Row>& rows,
                              const std::function<void(Row&, const std::string&)>& fail) {
  struct Case {
    Shape shape;
    bool residual;
  };
  const Case cases[] = {{{32, 28, 1, 16, 3}, false},
                        {{32, 14, 16, 32, 3}, false},
                        {{32, 32, 3, 32, 3}, false},
                        {{32, 16, 32, 64, 3}, false},
                        {{8, 28, 128, 128, 3}, true}};
  for (const auto& [s, with_residual] : cases) {
    const std::string name = s.name() + (with_residual ? " +bias+residual+relu" : " +bias+relu");
    std::fprintf(stderr, "[tfjit-bench] %s: unfused, fused, oneDNN direct...\n", name.c_str());
    tf::Tensor x = workloads::wave({s.batch, s.size, s.size, s.in}, 1.0, 0.1);
    tf::Tensor w = workloads::wave({s.k, s.k, s.in, s.out}, 0.05, 0.2);
    tf::Tensor b = workloads::wave({s.out}, 0.5, 0.4);
    tf::Tensor r = workloads::wave({s.batch, s.size, s.size, s.out}, 1.0, 0.3);
    auto f32 = [](const tf::Tensor& t) { return static_cast<const float*>(t.data()); };
    DirectFused direct(s, f32(x), f32(w), f32(b), with_residual ? f32(r) : nullptr);
    const double flops = 2.0 * double(s.batch * s.size * s.size * s.out * s.in * s.k * s.k);
    const int n = std::max(1, static_cast<int>(std::min(200.0, 2e8 / flops)) / scale);
    auto layer = [with_residual](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b,
                                 const tf::Tensor& r) {
      tf::Tensor y = tf::nn::conv2d(x, w, {1}, "SAME") + b;
      return tf::relu(with_residual ? y + r : y);
    };
    Timing ref = time_stats([&] { direct.run(); }, n);
    rows.push_back({name, "oneDNN direct, post-ops", ref.median, "", ref.min, ref.max});
    auto unfused = tf::function(layer, tf::FunctionOptions{.fuse_conv_epilogue = false});
    auto fused = tf::function(layer);
    using S = tf::cpu::ConvEpilogueStrategy;
    const S saved = tf::cpu::conv_epilogue_strategy();
    struct Variant {
      const char* name;
      std::function<tf::Tensor()> run;
      S strategy;
    };
    auto run_unfused = [&] { return unfused(x, w, b, r); };
    auto run_fused = [&] { return fused(x, w, b, r); };
    const Variant variants[] = {
        {"tf::function unfused", run_unfused, S::kMeasure},
        {"tf::function fused: post-ops", run_fused, S::kFused},
        {"tf::function fused: conv, then a pass", run_fused, S::kSeparatePass},
        {"tf::function fused: measured", run_fused, S::kMeasure}};
    for (const Variant& v : variants) {
      tf::cpu::set_conv_epilogue_strategy(v.strategy);
      Timing t = time_stats([&] { v.run(); }, n);
      rows.push_back({name, v.name, t.median, ratio_note(ref.median, t.median), t.min, t.max});
      direct.run();
      const double diff = difference(v.run(), direct.y);
      if (!(diff < 1e-5))
        fail(rows.back(), "result differs from oneDNN's by " + std::to_string(diff));
    }
    tf::cpu::set_conv_epilogue_strategy(saved);
  }
}

}  // namespace

void conv_benchmarks(int scale, std::vector<Row>& rows,
                     const std::function<void(Row&, const std::string&)>& fail) {
  conv_epilogue_benchmarks(scale, rows, fail);
  const Shape shapes[] = {{32, 56, 64, 64, 3}, {32, 28, 128, 128, 3}, {32, 7, 512, 512, 1}};
  for (const Shape& s : shapes) {
    std::fprintf(stderr, "[tfjit-bench] %s: oneDNN direct, eager, tf::function...\n",
                 s.name().c_str());
    tf::Tensor x = workloads::wave({s.batch, s.size, s.size, s.in}, 1.0, 0.1);
    tf::Tensor w = workloads::wave({s.k, s.k, s.in, s.out}, 0.05, 0.2);
    tf::Tensor dy = workloads::wave({s.batch, s.size, s.size, s.out}, 1.0, 0.3);
    auto f32 = [](const tf::Tensor& t) { return static_cast<const float*>(t.data()); };
    Direct direct(s, f32(x), f32(w), f32(dy));
    const int n = std::max(1, 5 / scale);

    auto forward = [](const tf::Tensor& a, const tf::Tensor& b) {
      return tf::nn::conv2d(a, b, {1}, "SAME");
    };
    // The step's convolutions: the forward result and both gradients of sum(y * dy).
    auto step = [&](const tf::Tensor& a, const tf::Tensor& b, const tf::Tensor& g) {
      tf::GradientTape tape;
      tape.watch(a);
      tape.watch(b);
      tf::Tensor y = forward(a, b);
      auto grads = tape.gradient(tf::reduce_sum(y * g), std::vector<tf::Source>{a, b});
      return std::vector<tf::Tensor>{y, grads[0], grads[1]};
    };
    auto compiled_forward = tf::function(forward);
    auto compiled_step = tf::function(step);

    Timing ref = time_stats([&] { direct.run_forward(); }, n);
    rows.push_back({s.name() + " forward", "oneDNN direct", ref.median, "", ref.min, ref.max});
    for (bool is_compiled : {false, true}) {
      Timing t = time_stats([&] { is_compiled ? compiled_forward(x, w) : forward(x, w); }, n);
      rows.push_back({s.name() + " forward", is_compiled ? "tf::function" : "eager", t.median,
                      ratio_note(ref.median, t.median), t.min, t.max});
      const double diff =
          difference(is_compiled ? compiled_forward(x, w) : forward(x, w), direct.y);
      if (!(diff < 1e-5))
        fail(rows.back(), "result differs from oneDNN's by " + std::to_string(diff));
    }

    Timing ref_step = time_stats([&] { direct.run_step(); }, n);
    rows.push_back({s.name() + " fwd+bwd", "oneDNN direct", ref_step.median,
                    "forward, backward data, backward weights", ref_step.min, ref_step.max});
    for (bool is_compiled : {false, true}) {
      auto run = [&] { return is_compiled ? compiled_step(x, w, dy) : step(x, w, dy); };
      Timing t = time_stats([&] { run(); }, n);
      rows.push_back({s.name() + " fwd+bwd", is_compiled ? "tf::function" : "eager", t.median,
                      ratio_note(ref_step.median, t.median) + " (tape: y * dy, its sum)", t.min,
                      t.max});
      auto r = run();
      const double diff = std::max(difference(r[1], direct.dx), difference(r[2], direct.dw));
      // The filter gradient sums batch * H * W (1e5) terms; tfjit adds its sub-batches' partial
      // sums, oneDNN its own partials: float32 sums in different orders differ by ~sqrt(N) ulps.
      if (!(diff < 1e-4))
        fail(rows.back(), "gradients differ from oneDNN's by " + std::to_string(diff));
    }
  }
}
