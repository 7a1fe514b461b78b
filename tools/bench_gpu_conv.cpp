// tfjit-bench's gpu-conv section (only when named: --only gpu-conv): conv2d on ResNet shapes,
// batch 32, float32, on the GPU: cuDNN called directly (backends/cuda/cudnn.h, on operands already
// in its layout), the eager op (cuDNN, with the filter transposed to cuDNN's layout and uneven
// padding applied on the device around the call), the eager forward and backward pass, and a
// tf::function, whose launch plan runs the convolution as a cuDNN step (the eager kernel, without
// the per-op dispatch); then the layer conv + bias + ReLU compiled with its epilogue in the cuDNN
// call, against the convolution step followed by a generated kernel. Compiled results are checked
// against the eager (or unfused) ones.
#include <tfjit/tfjit.h>

#include <cstdio>
#include <sstream>

#include "backends/cuda/cudnn.h"
#include "runtime/gpu.h"
#include "tools/bench.h"

namespace {

struct Shape {
  const char* name;
  int64_t size, channels, window, out, stride;
};

}  // namespace

void gpu_conv_benchmarks(int scale, std::vector<Row>& rows,
                         const std::function<void(Row&, const std::string&)>& fail) {
  auto on_gpu = tf::device_scope("/GPU:0");
  const std::function<void()> sync = [] { tf::test::sync_devices(); };
  if (!tf::cuda::cudnn_available()) {
    Row row{"gpu conv2d", "(section)", -1, ""};
    fail(row, "cuDNN unavailable: " + tf::cuda::cudnn_unavailable_reason());
    rows.push_back(row);
    return;
  }
  const Shape shapes[] = {{"56x56x64 3x3", 56, 64, 3, 64, 1},
                          {"56x56x64 3x3 stride 2", 56, 64, 3, 128, 2},
                          {"28x28x128 3x3", 28, 128, 3, 128, 1},
                          {"7x7x512 1x1", 7, 512, 1, 2048, 1}};
  const int64_t batch = 32;
  for (const Shape& s : shapes) {
    const std::string name = std::string("gpu conv2d ") + s.name;
    std::fprintf(stderr, "[tfjit-bench] GPU: %s (cuDNN direct, eager, tf::function)...\n",
                 name.c_str());
    auto x = tf::random::uniform({batch, s.size, s.size, s.channels}, -1, 1);
    auto w = tf::random::uniform({s.window, s.window, s.channels, s.out}, -0.1, 0.1);
    auto conv = [&](const tf::Tensor& a, const tf::Tensor& f) {
      return tf::nn::conv2d(a, f, {s.stride}, "SAME");
    };
    auto y = conv(x, w);
    const int64_t out_size = y.shape()[1];
    const double flop =
        2.0 * batch * out_size * out_size * s.out * s.channels * s.window * s.window;
    auto note = [&](double us, double reference, const char* what) {
      std::ostringstream o;
      o.precision(4);
      o << flop / us / 1e6 << " TFLOP/s";
      if (reference > 0) o << ", " << reference / us * 100 << "% of " << what;
      return o.str();
    };
    const int iters = std::max(2, 50 / scale);

    // cuDNN on operands in its layout (the filter (out, h, w, in)), padding even where SAME
    // leaves it uneven (a stride-2 row the eager op pads on the device first).
    tf::cuda::CudnnConv c;
    c.dtype = tf::float32;
    c.input = {batch, s.size, s.size, s.channels};
    c.filter = {s.out, s.window, s.window, s.channels};
    c.output = {batch, out_size, out_size, s.out};
    c.strides = {s.stride, s.stride};
    c.dilations = {1, 1};
    const int64_t pad = s.stride == 1 ? (s.window - 1) / 2 : 0;
    c.padding = {pad, pad};
    if (s.stride != 1) {  // VALID-like geometry with the same output size
      c.input = {batch, (out_size - 1) * s.stride + s.window, (out_size - 1) * s.stride + s.window,
                 s.channels};
    }
    const size_t in_bytes =
        static_cast<size_t>(c.input[0] * c.input[1] * c.input[2] * c.input[3]) * 4;
    tf::rt::gpu::DeviceMemory xin(0, in_bytes), filt(0, static_cast<size_t>(w.num_elements()) * 4),
        out(0, static_cast<size_t>(y.num_elements()) * 4);
    double direct = time_us(
        [&] {
          if (!tf::cuda::cudnn_convolution(0, c, xin.get(), filt.get(), out.get(), "conv (direct)"))
            throw tf::UnimplementedError("cuDNN refused " + name);
        },
        iters, 5, sync);
    rows.push_back({name, "cuDNN direct", direct, note(direct, -1, "")});
    double eager = time_us([&] { conv(x, w); }, iters, 5, sync);
    rows.push_back({name, "eager (cuDNN)", eager, note(eager, direct, "cuDNN direct")});

    double step = time_us(
        [&] {
          tf::GradientTape tape;
          tape.watch(x);
          tape.watch(w);
          auto g = tape.gradient(tf::reduce_sum(conv(x, w)), std::vector<tf::Source>{x, w});
        },
        iters, 5, sync);
    rows.push_back({name, "eager forward + both gradients (cuDNN)", step,
                    note(step / 3, direct, "cuDNN direct per convolution")});

    auto compiled = tf::function(conv);
    compiled(x, w);  // compiles
    double traced = time_us([&] { compiled(x, w); }, iters, 5, sync);
    Row row{name, "tf::function (cuDNN step)", traced, note(traced, eager, "eager (cuDNN)")};
    const float scale_of_y = tf::reduce_max(tf::abs(y)).item<float>();
    if (float d = tf::reduce_max(tf::abs(compiled(x, w) - y)).item<float>();
        !(d <= 1e-4f * std::max(1.0f, scale_of_y)))
      fail(row, "the compiled convolution differs from the eager one by " + std::to_string(d));
    rows.push_back(row);

    // A layer's bias and ReLU: in the convolution's cuDNN call (cudnnConvolutionBiasActivation-
    // Forward), against the convolution followed by a generated kernel.
    auto b = tf::random::uniform({s.out}, -1, 1);
    auto layer = [&](const tf::Tensor& a, const tf::Tensor& f, const tf::Tensor& bias) {
      return tf::nn::relu(tf::nn::bias_add(conv(a, f), bias));
    };
    auto separate = tf::function(layer, tf::FunctionOptions{.fuse_conv_epilogue = false});
    auto fused = tf::function(layer);
    const tf::Tensor expected = separate(x, w, b);
    double apart = time_us([&] { separate(x, w, b); }, iters, 5, sync);
    rows.push_back({name + " +bias+relu", "tf::function, conv step then a kernel", apart,
                    note(apart, direct, "cuDNN direct (no epilogue)")});
    const int64_t refusals = tf::cuda::cudnn_fused_refusals();
    double together = time_us([&] { fused(x, w, b); }, iters, 5, sync);
    Row one{name + " +bias+relu", "tf::function, one fused cuDNN call", together,
            note(together, apart, "conv step then a kernel")};
    if (tf::cuda::cudnn_fused_refusals() != refusals)
      one.note += "; cuDNN refused the fused call: conv, AddTensor, Activation";
    if (float d = tf::reduce_max(tf::abs(fused(x, w, b) - expected)).item<float>();
        !(d <= 1e-4f * std::max(1.0f, scale_of_y)))
      fail(one, "the fused convolution differs from the separate one by " + std::to_string(d));
    rows.push_back(one);
  }
}
