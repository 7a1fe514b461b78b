#include "backends/cuda/cudnn.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "backends/cuda/cudnn_abi.h"
#include "backends/cuda/device.h"
#include "backends/cuda/driver.h"
#include "runtime/gpu.h"
#include "tfjit/errors.h"

namespace tf::cuda {

namespace {

using namespace dnn;

struct Cudnn {
#define TFJIT_MEMBER(member, symbol, type) std::type_identity_t<type> member = nullptr;
  TFJIT_CUDNN_ENTRY_POINTS(TFJIT_MEMBER)
#undef TFJIT_MEMBER
  std::string error;  // why it is unusable, "" when loaded
};

const Cudnn& load_cudnn() {
  static const Cudnn lib = [] {
    Cudnn c;
    // Only where a driver found a GPU: cuDNN's libraries are large, and useless without one.
    if (!driver()) {
      c.error = "cuDNN not loaded: " + driver_unavailable_reason();
      return c;
    }
    // $TFJIT_CUDNN alone when set (tests name the stand-in, or a missing file to turn cuDNN
    // off); else cuDNN 9, the major version whose API cudnn_abi.h declares.
    const char* env = std::getenv("TFJIT_CUDNN");
    const std::string name = env && *env ? env : "libcudnn.so.9";
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      c.error = "cuDNN could not be loaded (" + (why ? std::string(why) : name) + ")";
      return c;
    }
    std::string missing;
#define TFJIT_LOOKUP(member, symbol, type)                  \
  c.member = reinterpret_cast<type>(dlsym(handle, symbol)); \
  if (!c.member) missing += (missing.empty() ? "" : ", ") + std::string(symbol);
    TFJIT_CUDNN_ENTRY_POINTS(TFJIT_LOOKUP)
#undef TFJIT_LOOKUP
    if (!missing.empty()) {
      c.error = name + " lacks " + missing;
      return c;
    }
    // Status codes and the legacy API as declared are cuDNN 9's.
    if (const size_t version = c.GetVersion(); version / 10000 != 9)
      c.error = name + " is cuDNN " + std::to_string(version) + ", not cuDNN 9";
    return c;
  }();
  return lib;
}

const Cudnn& cudnn() { return load_cudnn(); }  // only called once cudnn_available()

std::string status_text(Status s) {
  const char* text = cudnn().GetErrorString(s);
  return std::string(text ? text : "unknown status") + " (" + std::to_string(s) + ")";
}

// A typed error for a failed cuDNN call: out of memory, cuDNN unable to run on this GPU, or
// anything else (internal).
[[noreturn]] void fail(Status s, std::string_view op, const char* call) {
  const std::string message =
      std::string(op) + " on GPU: cuDNN's " + call + " failed: " + status_text(s);
  if (s == kHostAllocationFailed || s == kDeviceAllocationFailed)
    throw ResourceExhaustedError(message);
  if (status_category(s) == 1) throw UnavailableError(message);
  throw InternalError(message);
}
void check_status(Status s, std::string_view op, const char* call) {
  if (s != kSuccess) fail(s, op, call);
}

// One handle per stream, created on first use with the device's context current and kept for
// the process (the eager device streams live as long; cuDNN's teardown at exit would race the
// driver's), or, for a CUDA Graph's capture stream, from prepare_cudnn_stream to
// release_cudnn_stream. cuDNN forbids two threads in one handle at once: every call holds its
// mutex.
struct StreamHandle {
  Handle handle = nullptr;
  std::mutex mutex;
};
std::mutex handles_mutex;
std::unordered_map<CUstream, StreamHandle>& handles() {
  static auto& h = *std::make_unique<std::unordered_map<CUstream, StreamHandle>>().release();
  return h;
}
StreamHandle& handle_for(int ordinal, CUstream stream, std::string_view op) {
  Device& device = Device::get(ordinal);
  std::lock_guard lock(handles_mutex);
  StreamHandle& h = handles()[stream];  // a node: its address outlives rehashing
  if (!h.handle) {
    // cudnnCreate allocates: never while recording a graph (prepare_cudnn_stream comes first).
    if (device.recording())
      throw UnavailableError(std::string(op) +
                             " on GPU: no cuDNN handle for the CUDA Graph's stream");
    Handle created = nullptr;
    if (Status s = cudnn().Create(&created); s != kSuccess) {
      // cuDNN present but unable to run here (a CUDA runtime or driver too old for it).
      throw UnavailableError(std::string(op) + " on GPU: cuDNN could not initialise on GPU:" +
                             std::to_string(ordinal) + ": " + status_text(s));
    }
    if (Status s = cudnn().SetStream(created, stream); s != kSuccess) {
      cudnn().Destroy(created);
      fail(s, op, "cudnnSetStream");
    }
    h.handle = created;
  }
  return h;
}

// The descriptors of one configuration, destroyed with it.
struct Descriptors {
  TensorDesc x = nullptr, y = nullptr;  // input and output (or their gradients)
  FilterDesc w = nullptr;
  ConvDesc conv = nullptr;
  TensorDesc bias = nullptr;      // forward: (1, out channels, 1...), for an epilogue
  ActivationDesc relu = nullptr;  // forward: ReLU, for an epilogue
  Descriptors() = default;
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
  ~Descriptors() {
    if (x) cudnn().DestroyTensorDescriptor(x);
    if (y) cudnn().DestroyTensorDescriptor(y);
    if (w) cudnn().DestroyFilterDescriptor(w);
    if (conv) cudnn().DestroyConvolutionDescriptor(conv);
    if (bias) cudnn().DestroyTensorDescriptor(bias);
    if (relu) cudnn().DestroyActivationDescriptor(relu);
  }
};

// A configuration's choice: cuDNN refuses it, or runs it with `algo` in `workspace` bytes.
struct Plan {
  Descriptors d;
  bool supported = false;
  int algo = 0;
  size_t workspace = 0;
  std::atomic<bool> fused_refused{false};  // cuDNN refused the fused call: separate calls
  // A supported forward convolution's zero bias, for a fused call without a bias (cuDNN requires
  // one): made with the plan, never while a CUDA Graph is recorded, and kept as long as the plan
  // (the process).
  std::unique_ptr<rt::gpu::DeviceMemory> zero_bias;
};

int data_type(DType dtype) {
  switch (dtype) {
    case float64:
      return kDataDouble;
    case float16:
      return kDataHalf;
    case bfloat16:
      return kDataBfloat16;
    default:
      return kDataFloat;
  }
}

// Dims as cuDNN takes them, batch and channels first: (n, c, spatial...) from (n, spatial..., c),
// with the strides of the channels-last layout; false past int32.
bool nchw_dims(const std::vector<int64_t>& shape, std::vector<int>& dims,
               std::vector<int>& strides) {
  const size_t rank = shape.size();
  std::vector<int64_t> d = {shape[0], shape[rank - 1]}, s(rank);
  d.insert(d.end(), shape.begin() + 1, shape.end() - 1);
  s[1] = 1;  // channels, innermost
  int64_t stride = d[1];
  for (size_t i = rank; i-- > 2;) {  // spatial, last first
    s[i] = stride;
    stride *= d[i];
  }
  s[0] = stride;
  if (stride * d[0] > INT_MAX) return false;  // the legacy API's strides and sizes are int
  dims.assign(d.begin(), d.end());
  strides.assign(s.begin(), s.end());
  return true;
}

// The configuration's descriptors; a status outside success when cuDNN cannot describe it.
Status describe(const CudnnConv& c, Descriptors& d) {
  const Cudnn& lib = cudnn();
  const int type = data_type(c.dtype), rank = static_cast<int>(c.input.size());
  std::vector<int> dims, strides;
  if (Status s = lib.CreateTensorDescriptor(&d.x); s != kSuccess) return s;
  if (Status s = lib.CreateTensorDescriptor(&d.y); s != kSuccess) return s;
  if (Status s = lib.CreateFilterDescriptor(&d.w); s != kSuccess) return s;
  if (Status s = lib.CreateConvolutionDescriptor(&d.conv); s != kSuccess) return s;
  if (!nchw_dims(c.input, dims, strides)) return kNotSupported;
  if (Status s = lib.SetTensorNdDescriptor(d.x, type, rank, dims.data(), strides.data())) return s;
  if (!nchw_dims(c.output, dims, strides)) return kNotSupported;
  if (Status s = lib.SetTensorNdDescriptor(d.y, type, rank, dims.data(), strides.data())) return s;
  // The filter's dims in cuDNN's order (k, c, spatial...); kTensorNhwc says it is stored
  // (k, spatial..., c).
  if (!nchw_dims(c.filter, dims, strides)) return kNotSupported;
  if (Status s = lib.SetFilterNdDescriptor(d.w, type, kTensorNhwc, rank, dims.data())) return s;
  std::vector<int> pad, stride, dilation;
  for (size_t i = 0; i < c.strides.size(); ++i) {
    if (std::max({c.padding[i], c.strides[i], c.dilations[i]}) > INT_MAX) return kNotSupported;
    pad.push_back(static_cast<int>(c.padding[i]));
    stride.push_back(static_cast<int>(c.strides[i]));
    dilation.push_back(static_cast<int>(c.dilations[i]));
  }
  // float16 and bfloat16 accumulate in float32, as on the CPU.
  const int compute = c.dtype == float64 ? kDataDouble : kDataFloat;
  if (Status s = lib.SetConvolutionNdDescriptor(d.conv, rank - 2, pad.data(), stride.data(),
                                                dilation.data(), kCrossCorrelation, compute))
    return s;
  if (c.groups > INT_MAX) return kNotSupported;
  if (Status s = lib.SetConvolutionGroupCount(d.conv, static_cast<int>(c.groups))) return s;
  // float32 without TF32 (full-precision FMAs, as cuBLAS's Sgemm here); tensor cores for the
  // half types.
  const bool half = c.dtype == float16 || c.dtype == bfloat16;
  if (Status s = lib.SetConvolutionMathType(d.conv, half ? kTensorOpMath : kFmaMath)) return s;
  if (c.kind != rt::ConvKind::kForward) return kSuccess;
  // An epilogue's bias, broadcast over batch and positions, and its ReLU (NaN not propagated:
  // the only option cudnnConvolutionBiasActivationForward takes).
  if (c.output.back() > INT_MAX) return kNotSupported;
  std::vector<int> bias_dims(static_cast<size_t>(rank), 1), bias_strides(bias_dims.size(), 1);
  bias_dims[1] = bias_strides[0] = static_cast<int>(c.output.back());
  if (Status s = lib.CreateTensorDescriptor(&d.bias)) return s;
  if (Status s =
          lib.SetTensorNdDescriptor(d.bias, type, rank, bias_dims.data(), bias_strides.data()))
    return s;
  if (Status s = lib.CreateActivationDescriptor(&d.relu)) return s;
  return lib.SetActivationDescriptor(d.relu, kActivationRelu, kNotPropagateNan, 0.0);
}

// TensorFlow's knobs: TF_CUDNN_USE_AUTOTUNE=0 takes cuDNN's heuristic choice without timing
// candidates; TF_CUDNN_WORKSPACE_LIMIT_IN_MB bounds an algorithm's workspace (4 GiB).
bool autotune() {
  static const bool on = [] {
    const char* v = std::getenv("TF_CUDNN_USE_AUTOTUNE");
    return !(v && (std::string(v) == "0" || std::string(v) == "false"));
  }();
  return on;
}
size_t workspace_limit() {
  static const size_t limit = [] {
    const char* v = std::getenv("TF_CUDNN_WORKSPACE_LIMIT_IN_MB");
    const long long mb = v && *v ? std::atoll(v) : 4096;
    return static_cast<size_t>(std::max(0LL, mb)) << 20;
  }();
  return limit;
}

std::atomic<int64_t> searches{0}, fused_refusals{0};

// Chooses the algorithm of a described configuration: cuDNN's heuristic candidates, then (with
// autotuning) cudnnFind*Ex timing them on the call's own operands within the workspace that
// could be had. Leaves plan.supported false when no algorithm runs it.
void choose(int ordinal, Handle h, const CudnnConv& c, const void* a, const void* b, void* out,
            Plan& plan, std::string_view op) {
  const Cudnn& lib = cudnn();
  const Descriptors& d = plan.d;
  int max = 0, count = 0;
  Status s = kSuccess;
  std::vector<AlgoPerf> heuristic;
  const auto kind = c.kind;
  s = kind == rt::ConvKind::kForward ? lib.GetConvolutionForwardAlgorithmMaxCount(h, &max)
      : kind == rt::ConvKind::kBackpropInput
          ? lib.GetConvolutionBackwardDataAlgorithmMaxCount(h, &max)
          : lib.GetConvolutionBackwardFilterAlgorithmMaxCount(h, &max);
  check_status(s, op, "cudnnGetConvolution*AlgorithmMaxCount");
  heuristic.resize(static_cast<size_t>(std::max(max, 1)));
  if (kind == rt::ConvKind::kForward)
    s = lib.GetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, max, &count,
                                              heuristic.data());
  else if (kind == rt::ConvKind::kBackpropInput)
    s = lib.GetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, max, &count,
                                                   heuristic.data());
  else
    s = lib.GetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, max, &count,
                                                     heuristic.data());
  ++searches;
  if (status_category(s) == 2 || status_category(s) == 3) return;  // cuDNN refuses the config
  check_status(s, op, "cudnnGetConvolution*Algorithm_v7");
  heuristic.resize(static_cast<size_t>(std::clamp(count, 0, max)));
  // float32 and float64 take only algorithms of full-precision math (see below).
  const bool half = c.dtype == float16 || c.dtype == bfloat16;
  auto usable = [half](const AlgoPerf& p) {
    return p.status == kSuccess && (half || p.math_type == kDefaultMath || p.math_type == kFmaMath);
  };
  std::erase_if(heuristic,
                [&](const AlgoPerf& p) { return !usable(p) || p.memory > workspace_limit(); });
  if (heuristic.empty()) return;
  const AlgoPerf* chosen = &heuristic.front();  // the heuristics' best
  std::vector<AlgoPerf> timed;
  if (autotune()) {
    size_t wanted = 0;
    for (const AlgoPerf& p : heuristic) wanted = std::max(wanted, p.memory);
    std::unique_ptr<rt::gpu::DeviceMemory> ws;
    try {
      ws = std::make_unique<rt::gpu::DeviceMemory>(ordinal, wanted);
    } catch (const ResourceExhaustedError&) {  // time the candidates that need none
      ws = std::make_unique<rt::gpu::DeviceMemory>(ordinal, 0);
    }
    timed.resize(heuristic.size() + 8);  // Find may list algorithms the heuristics left out
    const int requested = static_cast<int>(timed.size());
    int found = 0;
    if (kind == rt::ConvKind::kForward)
      s = lib.FindConvolutionForwardAlgorithmEx(h, d.x, a, d.w, b, d.conv, d.y, out, requested,
                                                &found, timed.data(), ws->get(), ws->bytes());
    else if (kind == rt::ConvKind::kBackpropInput)
      s = lib.FindConvolutionBackwardDataAlgorithmEx(h, d.w, a, d.y, b, d.conv, d.x, out, requested,
                                                     &found, timed.data(), ws->get(), ws->bytes());
    else
      s = lib.FindConvolutionBackwardFilterAlgorithmEx(h, d.x, a, d.y, b, d.conv, d.w, out,
                                                       requested, &found, timed.data(), ws->get(),
                                                       ws->bytes());
    if (s == kSuccess) {  // sorted fastest first; else the heuristics' choice stands
      timed.resize(static_cast<size_t>(std::clamp(found, 0, requested)));
      auto best = std::find_if(timed.begin(), timed.end(), [&](const AlgoPerf& p) {
        return usable(p) && p.memory <= ws->bytes();
      });
      if (best != timed.end()) chosen = &*best;
    } else if (status_category(s) != 3) {
      check_status(s, op, "cudnnFindConvolution*AlgorithmEx");
    }
  }
  plan.supported = true;
  plan.algo = chosen->algo;
  plan.workspace = chosen->memory;
  // The half types run in the algorithm's own math mode (with or without tensor cores, as
  // cuDNN reports it). float32 and float64 stay in FMA mode: the default mode would let an
  // algorithm round float32 operands to TF32 on Ampere and newer.
  if (c.dtype == float16 || c.dtype == bfloat16)
    check_status(lib.SetConvolutionMathType(d.conv, chosen->math_type), op,
                 "cudnnSetConvolutionMathType");
}

std::string key_of(int ordinal, const CudnnConv& c) {
  std::string key;
  auto add = [&](int64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  add(ordinal);
  add(static_cast<int64_t>(c.kind));
  add(static_cast<int64_t>(c.dtype));
  add(c.groups);
  for (const auto* l : {&c.input, &c.filter, &c.output, &c.strides, &c.dilations, &c.padding}) {
    add(static_cast<int64_t>(l->size()));
    for (int64_t v : *l) add(v);
  }
  return key;
}

int64_t elements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// A 1-D convolution as a 2-D one over a unit first spatial dim: cuDNN's tensors have rank 4+.
CudnnConv as_2d(const CudnnConv& c) {
  CudnnConv c2 = c;
  for (auto* shape : {&c2.input, &c2.filter, &c2.output}) shape->insert(shape->begin() + 1, 1);
  c2.strides.insert(c2.strides.begin(), 1);
  c2.dilations.insert(c2.dilations.begin(), 1);
  c2.padding.insert(c2.padding.begin(), 0);
  return c2;
}

}  // namespace

bool cudnn_available() { return load_cudnn().error.empty(); }

const std::string& cudnn_unavailable_reason() { return load_cudnn().error; }

int64_t cudnn_algorithm_searches() { return searches.load(); }

int64_t cudnn_fused_refusals() { return fused_refusals.load(); }

void prepare_cudnn_stream(int ordinal, CUstream stream) {
  if (cudnn_available()) handle_for(ordinal, stream, "a compiled convolution");
}

void release_cudnn_stream(CUstream stream) {
  std::lock_guard lock(handles_mutex);
  auto it = handles().find(stream);
  if (it == handles().end()) return;
  if (it->second.handle) cudnn().Destroy(it->second.handle);
  handles().erase(it);
}

bool cudnn_convolution(int ordinal, const CudnnConv& conv, const void* a, const void* b, void* out,
                       std::string_view op, const CudnnEpilogue* epilogue) {
  if (!cudnn_available()) return false;
  if (epilogue && conv.kind != rt::ConvKind::kForward)
    throw InternalError(std::string(op) + " on GPU: only a forward convolution takes an epilogue");
  if (conv.input.size() == 3)
    return cudnn_convolution(ordinal, as_2d(conv), a, b, out, op, epilogue);
  const std::vector<int64_t>& result = conv.kind == rt::ConvKind::kForward         ? conv.output
                                       : conv.kind == rt::ConvKind::kBackpropInput ? conv.input
                                                                                   : conv.filter;
  Device& device = Device::get(ordinal);
  if (elements(conv.input) == 0 || elements(conv.output) == 0 || elements(conv.filter) == 0) {
    // An epilogue of an empty sum still adds and activates (the caller's other way), unless
    // there is nothing to write.
    if (epilogue && elements(result) > 0) return false;
    // An empty sum (no batch, or no output positions for a gradient): zeros, as cuDNN refuses
    // empty tensors.
    check(driver()->MemsetD8Async(reinterpret_cast<CUdeviceptr>(out), 0,
                                  static_cast<size_t>(elements(result)) * dtype_size(conv.dtype),
                                  device.stream()),
          std::string(op) + " on GPU: zeroing the result");
    return true;
  }
  StreamHandle& stream_handle = handle_for(ordinal, device.stream(), op);
  const Handle h = stream_handle.handle;
  std::shared_ptr<Plan> plan;
  {
    // Held while choosing: a configuration is searched once even when threads race to it.
    static std::mutex mutex;
    static auto& plans =
        *std::make_unique<std::map<std::string, std::shared_ptr<Plan>>>().release();
    std::lock_guard lock(mutex);
    auto& slot = plans[key_of(ordinal, conv)];
    if (!slot) {
      auto fresh = std::make_shared<Plan>();
      if (Status s = describe(conv, fresh->d); s == kSuccess) {
        // Timing candidates runs and waits for them: never while recording a graph (the
        // program's first call, step by step, chose this configuration's algorithm).
        if (device.recording())
          throw UnavailableError(std::string(op) +
                                 " on GPU: a convolution not yet run cannot be recorded into a "
                                 "CUDA Graph (its algorithm is chosen by timing)");
        // Timing writes the output: not where it is the residual the epilogue adds.
        const bool aliased = epilogue && epilogue->residual == out;
        rt::gpu::DeviceMemory scratch(
            ordinal, aliased ? static_cast<size_t>(elements(result)) * dtype_size(conv.dtype) : 0);
        std::lock_guard in_handle(stream_handle.mutex);
        choose(ordinal, h, conv, a, b, aliased ? scratch.get() : out, *fresh, op);
        if (fresh->supported && conv.kind == rt::ConvKind::kForward) {
          const size_t bias_bytes =
              static_cast<size_t>(conv.output.back()) * dtype_size(conv.dtype);
          fresh->zero_bias = std::make_unique<rt::gpu::DeviceMemory>(ordinal, bias_bytes);
          check(driver()->MemsetD8Async(reinterpret_cast<CUdeviceptr>(fresh->zero_bias->get()), 0,
                                        bias_bytes, device.stream()),
                std::string(op) + " on GPU: a zero bias for cuDNN");
        }
      } else if (status_category(s) != 2 && status_category(s) != 3)
        fail(s, op, "describing the convolution");
      slot = std::move(fresh);
    }
    plan = slot;
  }
  if (!plan->supported) return false;
  rt::gpu::DeviceMemory ws(ordinal, plan->workspace);
  const float one_f = 1, zero_f = 0;
  const double one_d = 1, zero_d = 0;
  const bool wide = conv.dtype == float64;
  const void* one = wide ? static_cast<const void*>(&one_d) : &one_f;
  const void* zero = wide ? static_cast<const void*>(&zero_d) : &zero_f;
  const Cudnn& lib = cudnn();
  const Descriptors& d = plan->d;
  Status s = kSuccess;
  const char* call = "";
  std::lock_guard in_handle(stream_handle.mutex);
  if (epilogue && epilogue->relu && !plan->fused_refused.load()) {
    // y = relu(conv(x) + 1 * z + bias): z is the output itself (unread) without a residual, the
    // bias the plan's zeros without a bias (cuDNN requires both).
    s = lib.ConvolutionBiasActivationForward(
        h, one, d.x, a, d.w, b, d.conv, plan->algo, ws.get(), ws.bytes(),
        epilogue->residual ? one : zero, d.y, epilogue->residual ? epilogue->residual : out, d.bias,
        epilogue->bias ? epilogue->bias : plan->zero_bias->get(), d.relu, d.y, out);
    // Refused (unsupported, or parameters this configuration's fused call does not take): the
    // separate calls, now and from now on.
    if (status_category(s) != 2 && status_category(s) != 3) {
      check_status(s, op, "cudnnConvolutionBiasActivationForward");
      return true;
    }
    if (!plan->fused_refused.exchange(true)) ++fused_refusals;
  }
  const void* beta = zero;  // the forward convolution accumulates onto a residual
  if (epilogue && epilogue->residual) {
    beta = one;
    if (epilogue->residual != out)
      check(
          driver()->MemcpyDtoDAsync(
              reinterpret_cast<CUdeviceptr>(out), reinterpret_cast<CUdeviceptr>(epilogue->residual),
              static_cast<size_t>(elements(conv.output)) * dtype_size(conv.dtype), device.stream()),
          std::string(op) + " on GPU: the residual for cuDNN");
  }
  switch (conv.kind) {
    case rt::ConvKind::kForward:
      call = "cudnnConvolutionForward";
      s = lib.ConvolutionForward(h, one, d.x, a, d.w, b, d.conv, plan->algo, ws.get(), ws.bytes(),
                                 beta, d.y, out);
      break;
    case rt::ConvKind::kBackpropInput:
      call = "cudnnConvolutionBackwardData";
      s = lib.ConvolutionBackwardData(h, one, d.w, a, d.y, b, d.conv, plan->algo, ws.get(),
                                      ws.bytes(), zero, d.x, out);
      break;
    case rt::ConvKind::kBackpropFilter:
      call = "cudnnConvolutionBackwardFilter";
      s = lib.ConvolutionBackwardFilter(h, one, d.x, a, d.y, b, d.conv, plan->algo, ws.get(),
                                        ws.bytes(), zero, d.w, out);
      break;
  }
  if (status_category(s) == 3) return false;  // refused after all: the caller computes it
  check_status(s, op, call);
  if (epilogue && epilogue->bias)
    check_status(lib.AddTensor(h, one, d.bias, epilogue->bias, one, d.y, out), op,
                 "cudnnAddTensor");
  if (epilogue && epilogue->relu)
    check_status(lib.ActivationForward(h, d.relu, one, d.y, out, zero, d.y, out), op,
                 "cudnnActivationForward");
  return true;
}

}  // namespace tf::cuda

namespace tf::rt::gpu {
bool conv_library_available() { return cuda::cudnn_available(); }
}  // namespace tf::rt::gpu
