// The convolution primitive's GPU kernel (runtime/primitives/conv.h) for float32, float64,
// float16 and bfloat16, registered when cuDNN loads (cudnn.h); without cuDNN there is no GPU
// kernel and eager convolutions run on the CPU (placement falls back), while compiled functions
// generate theirs. tfjit's layouts are channels last with HWIO filters; cuDNN's legacy API takes
// channels-last activations but wants filters (out, spatial..., in), so the filter (or filter
// gradient) is transposed on the device around the call. Where a padding differs between the two
// sides of a dim (SAME with an even window, or a stride that leaves a remainder), which the
// legacy API cannot express, the input is padded on the device by the difference (TensorFlow's
// way), and an input gradient computed at the padded size is cropped. A configuration cuDNN
// refuses runs on the CPU's kernel, its operands copied over and back. A forward convolution
// from compiled code may carry an epilogue (bias, residual, ReLU: rt::ConvEpilogue), which cuDNN
// applies in the same call (cudnn.h).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "backends/cuda/cudnn.h"
#include "backends/cuda/device.h"
#include "backends/cuda/driver.h"
#include "core/shape_rules.h"
#include "runtime/gpu.h"
#include "runtime/kernels.h"
#include "runtime/primitives/conv.h"
#include "tfjit/errors.h"

namespace tf::cuda {

namespace {

using rt::ConvKind;

// The primitive's graph ops, as errors name them.
const char* op_name(ConvKind kind) {
  switch (kind) {
    case ConvKind::kForward:
      return "conv";
    case ConvKind::kBackpropInput:
      return "conv_backprop_input";
    case ConvKind::kBackpropFilter:
      return "conv_backprop_filter";
  }
  return "conv";
}

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// dst = src (dense, of `shape`) with its dims permuted: dst's dim i is src's dim perm[i].
void permute(DType dtype, const void* src, void* dst, const std::vector<int64_t>& shape,
             const std::vector<size_t>& perm) {
  if (elements(shape) == 0) return;
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  core::ElementwisePlan plan;
  for (size_t i : perm) {
    plan.dims.push_back(shape[i]);
    plan.strides[0].push_back(strides[i]);
    plan.strides[1].push_back(0);
  }
  auto copy = rt::kernels(rt::DeviceType::kGPU)
                  .get<rt::StridedCopyKernel>(ops::Primitive::strided_copy, dtype);
  if (!copy) throw InternalError("conv on GPU: no strided copy kernel for the filter's layout");
  copy(src, dst, dtype_size(dtype), plan);
}

// HWIO (spatial..., in, out) <-> cuDNN's (out, spatial..., in).
std::vector<int64_t> to_cudnn_filter(const std::vector<int64_t>& hwio) {
  std::vector<int64_t> f = {hwio.back()};
  f.insert(f.end(), hwio.begin(), hwio.end() - 1);
  return f;
}
std::vector<size_t> hwio_to_cudnn(size_t rank) {
  std::vector<size_t> perm = {rank - 1};
  for (size_t i = 0; i + 1 < rank; ++i) perm.push_back(i);
  return perm;
}
std::vector<size_t> cudnn_to_hwio(size_t rank) {
  std::vector<size_t> perm;
  for (size_t i = 1; i < rank; ++i) perm.push_back(i);
  perm.push_back(0);
  return perm;
}

// Copies the channels-last tensor `small` to or from the box of `big` (same rank, each spatial
// dim at least as large) that starts `offset[d]` into spatial dim d: rows of (last spatial dim x
// channels) as pitched 2-D copies over the dim before them, one per index of the dims before
// that.
void copy_box(const Device& device, DType dtype, const void* small, void* big,
              const std::vector<int64_t>& small_shape, const std::vector<int64_t>& big_shape,
              const std::vector<int64_t>& offset, bool into_big, const char* op) {
  if (elements(small_shape) == 0) return;
  const size_t rank = small_shape.size(), size = dtype_size(dtype);
  std::vector<int64_t> ss(rank), bs(rank);
  ss[rank - 1] = bs[rank - 1] = 1;
  for (size_t i = rank - 1; i-- > 0;) {
    ss[i] = ss[i + 1] * small_shape[i + 1];
    bs[i] = bs[i + 1] * big_shape[i + 1];
  }
  int64_t base = 0;  // the box's first element in big
  for (size_t d = 1; d + 1 < rank; ++d) base += offset[d - 1] * bs[d];
  const size_t height_dim = rank - 3;  // batch for 1-D convolutions, else a spatial dim
  const auto row = static_cast<size_t>(small_shape[rank - 2] * small_shape[rank - 1]) * size;
  const auto height = static_cast<size_t>(small_shape[height_dim]);
  const size_t small_pitch = static_cast<size_t>(ss[height_dim]) * size;
  const size_t big_pitch = static_cast<size_t>(bs[height_dim]) * size;
  const Driver& d = *driver();
  const std::string what = std::string(op) + " on GPU: padding for cuDNN";
  auto at = [](const void* p, int64_t bytes) {
    return reinterpret_cast<CUdeviceptr>(static_cast<const char*>(p) + bytes);
  };
  std::vector<int64_t> index(height_dim, 0);  // over the dims before height_dim
  for (;;) {
    int64_t s = 0, b = base;
    for (size_t i = 0; i < height_dim; ++i) s += index[i] * ss[i], b += index[i] * bs[i];
    const int64_t sb = s * static_cast<int64_t>(size), bb = b * static_cast<int64_t>(size);
    if (std::max(small_pitch, big_pitch) > device.max_pitch()) {  // row by row
      for (size_t r = 0; r < height; ++r) {
        const auto rs = sb + static_cast<int64_t>(r * small_pitch);
        const auto rb = bb + static_cast<int64_t>(r * big_pitch);
        check(into_big ? d.MemcpyDtoDAsync(at(big, rb), at(small, rs), row, device.stream())
                       : d.MemcpyDtoDAsync(at(small, rs), at(big, rb), row, device.stream()),
              what);
      }
    } else {
      Memcpy2D copy{};
      copy.srcMemoryType = copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
      copy.srcDevice = into_big ? at(small, sb) : at(big, bb);
      copy.srcPitch = into_big ? small_pitch : big_pitch;
      copy.dstDevice = into_big ? at(big, bb) : at(small, sb);
      copy.dstPitch = into_big ? big_pitch : small_pitch;
      copy.WidthInBytes = row;
      copy.Height = height;
      check(d.Memcpy2DAsync(&copy, device.stream()), what);
    }
    size_t i = height_dim;  // next index, last dim fastest
    while (i > 0 && ++index[i - 1] == small_shape[i - 1]) index[--i] = 0;
    if (i == 0) break;
  }
}

// The CPU's kernel on copies of the operands: for configurations cuDNN refuses.
void on_cpu(int ordinal, DType dtype, const void* a, const void* b, void* out,
            const rt::ConvPlan& plan) {
  auto kernel = rt::kernels(rt::DeviceType::kCPU).get<rt::ConvKernel>(ops::Primitive::conv, dtype);
  if (!kernel)
    throw UnimplementedError(std::string(op_name(plan.kind)) + ": no kernel for dtype " +
                             std::string(dtype_name(dtype)));
  // a, b, out in the kind's order.
  const std::vector<int64_t>* shapes[3] = {&plan.input, &plan.filter, &plan.output};
  switch (plan.kind) {
    case ConvKind::kForward:
      break;
    case ConvKind::kBackpropInput:
      shapes[0] = &plan.filter, shapes[1] = &plan.output, shapes[2] = &plan.input;
      break;
    case ConvKind::kBackpropFilter:
      shapes[0] = &plan.input, shapes[1] = &plan.output, shapes[2] = &plan.filter;
      break;
  }
  const size_t size = dtype_size(dtype);
  std::vector<char> ha(static_cast<size_t>(elements(*shapes[0])) * size),
      hb(static_cast<size_t>(elements(*shapes[1])) * size),
      hout(static_cast<size_t>(elements(*shapes[2])) * size);
  rt::gpu::copy_to_host(ordinal, ha.data(), a, ha.size());
  rt::gpu::copy_to_host(ordinal, hb.data(), b, hb.size());
  // The epilogue's operands too: the CPU's kernel applies it.
  rt::ConvPlan host_plan = plan;
  std::vector<char> hbias, hresidual;
  if (const void* bias = plan.epilogue.bias) {
    hbias.resize(static_cast<size_t>(plan.output.back()) * size);
    rt::gpu::copy_to_host(ordinal, hbias.data(), bias, hbias.size());
    host_plan.epilogue.bias = hbias.data();
  }
  if (const void* residual = plan.epilogue.residual) {
    hresidual.resize(hout.size());
    rt::gpu::copy_to_host(ordinal, hresidual.data(), residual, hresidual.size());
    host_plan.epilogue.residual = hresidual.data();
  }
  kernel(ha.data(), hb.data(), hout.data(), host_plan);
  rt::gpu::copy_to_device(ordinal, out, hout.data(), hout.size());
}

void convolve(DType dtype, const void* a, const void* b, void* out, const rt::ConvPlan& p) {
  const int ordinal = rt::gpu::current_device();
  const Device& device = Device::get(ordinal);
  const char* op = op_name(p.kind);
  const size_t rank = p.input.size(), size = dtype_size(dtype);
  CudnnConv c{p.kind,      dtype, p.input, to_cudnn_filter(p.filter), p.output, p.strides,
              p.dilations, {},    p.groups};
  // cuDNN's padding is the smaller side's; the input grows by the rest, on the larger side.
  std::vector<int64_t> padded = p.input, offset(rank - 2);
  bool asymmetric = false;
  for (size_t d = 0; d + 2 < rank; ++d) {
    c.padding.push_back(std::min(p.low[d], p.high[d]));
    offset[d] = p.low[d] - c.padding[d];
    padded[d + 1] += p.low[d] + p.high[d] - 2 * c.padding[d];
    asymmetric |= p.low[d] != p.high[d];
  }
  c.input = padded;
  // A fused convolution's epilogue (compiled code's), which cuDNN applies with ReLU or none.
  std::optional<CudnnEpilogue> epilogue;
  if (!p.epilogue.empty()) {
    const auto act = p.epilogue.activation;
    if (p.kind != ConvKind::kForward || dtype != float32 ||
        (act != rt::abi::Epilogue::kNone && act != rt::abi::Epilogue::kRelu))
      throw InternalError(std::string(op) +
                          " on GPU: cuDNN takes a float32 forward convolution's epilogue with "
                          "ReLU or no activation only");
    epilogue = CudnnEpilogue{act == rt::abi::Epilogue::kRelu, p.epilogue.bias, p.epilogue.residual};
  }
  const size_t input_bytes = static_cast<size_t>(elements(padded)) * size;
  const size_t filter_bytes = static_cast<size_t>(elements(p.filter)) * size;
  rt::gpu::DeviceMemory x_padded(ordinal, asymmetric ? input_bytes : 0);
  rt::gpu::DeviceMemory filter(ordinal, filter_bytes);
  const void* x = nullptr;  // the input, padded where needed (forward, filter gradient)
  if (p.kind != ConvKind::kBackpropInput) {
    x = a;
    if (asymmetric) {
      check(driver()->MemsetD8Async(reinterpret_cast<CUdeviceptr>(x_padded.get()), 0, input_bytes,
                                    device.stream()),
            std::string(op) + " on GPU: padding for cuDNN");
      copy_box(device, dtype, a, x_padded.get(), p.input, padded, offset, true, op);
      x = x_padded.get();
    }
  }
  bool done = false;
  switch (p.kind) {
    case ConvKind::kForward:
      permute(dtype, b, filter.get(), p.filter, hwio_to_cudnn(rank));
      done =
          cudnn_convolution(ordinal, c, x, filter.get(), out, op, epilogue ? &*epilogue : nullptr);
      break;
    case ConvKind::kBackpropInput:
      permute(dtype, a, filter.get(), p.filter, hwio_to_cudnn(rank));
      done = cudnn_convolution(ordinal, c, filter.get(), b, asymmetric ? x_padded.get() : out, op);
      if (done && asymmetric)
        copy_box(device, dtype, out, x_padded.get(), p.input, padded, offset, false, op);
      break;
    case ConvKind::kBackpropFilter:
      done = cudnn_convolution(ordinal, c, x, b, filter.get(), op);
      if (done) permute(dtype, filter.get(), out, c.filter, cudnn_to_hwio(rank));
      break;
  }
  if (done) return;
  // The CPU's kernel works on copies read back at once, which a CUDA Graph cannot record.
  if (device.recording())
    throw UnimplementedError(std::string(op) +
                             " on GPU: cuDNN refuses this convolution, and the CPU kernel that "
                             "runs it instead cannot be recorded into a CUDA Graph");
  on_cpu(ordinal, dtype, a, b, out, p);
}

template <DType D>
void conv_kernel(const void* a, const void* b, void* out, const rt::ConvPlan& plan) {
  convolve(D, a, b, out, plan);
}

void register_conv(rt::KernelTable& table) {
  if (!cudnn_available()) return;
  table.set(ops::Primitive::conv, float32, &conv_kernel<float32>);
  table.set(ops::Primitive::conv, float64, &conv_kernel<float64>);
  table.set(ops::Primitive::conv, float16, &conv_kernel<float16>);
  table.set(ops::Primitive::conv, bfloat16, &conv_kernel<bfloat16>);
}
const bool registered = rt::register_kernels(rt::DeviceType::kGPU, &register_conv);

}  // namespace

}  // namespace tf::cuda
