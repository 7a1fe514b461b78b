// A stand-in for libcudnn.so.9's legacy convolution API (with the fused convolution and the bias
// and activation calls of its fallback), built into the stand-in driver's library
// (tests name it with $TFJIT_CUDNN), so that the cuDNN path of backends/cuda runs without a GPU.
// Each convolution is computed from its descriptors by the definition, in double: cuDNN's
// (n, c, spatial...) dims read through the tensor descriptors' strides, filters in either of
// cuDNN's formats, groups, padding, strides, dilations, cross-correlation or convolution. It is
// written from cuDNN's documented semantics, independently of tfjit's CPU kernels, and checks what
// cuDNN checks: matching dims and dtypes, the output size, a workspace as large as the algorithm
// asked for. Work is ordered on the handle's stream like the fake driver's.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "backends/cuda/cudnn_abi.h"
#include "core/half.h"
#include "tests/fake_cuda/fake_internal.h"

using namespace tf::cuda::dnn;

struct cudnnContext {
  void* stream = nullptr;
};
struct cudnnTensorStruct {
  int type = -1;
  std::vector<int> dims, strides;
};
struct cudnnFilterStruct {
  int type = -1, format = 0;
  std::vector<int> dims;  // (k, c, spatial...)
};
struct cudnnConvolutionStruct {
  std::vector<int> pad, stride, dilation;
  int mode = kCrossCorrelation, compute = kDataFloat, groups = 1, math = kDefaultMath;
};
struct cudnnActivationStruct {
  int mode = -1, nan = 0;
  double coef = 0;
};

extern "C" {
// What tests read back.
struct TfjitFakeCudnnStats {
  int64_t handles = 0, forward = 0, backward_data = 0, backward_filter = 0;
  int64_t heuristic_queries = 0, find_calls = 0;
  int64_t largest_workspace = 0;  // bytes passed to a convolution
  int64_t fused_forward = 0, add_tensor = 0, activation = 0;
};
TfjitFakeCudnnStats tfjit_fake_cudnn_stats_value;
TfjitFakeCudnnStats* tfjit_fake_cudnn_stats() { return &tfjit_fake_cudnn_stats_value; }
}

namespace {

TfjitFakeCudnnStats& stats() { return tfjit_fake_cudnn_stats_value; }

// The workspace each algorithm of the fake asks for: algorithm 1 needs some, so that the caller's
// workspace handling is exercised; 0 needs none.
constexpr size_t kAlgoWorkspace[] = {0, 4096, 256};
constexpr int kNumAlgos = 3;

double load(const void* p, int type, int64_t i) {
  switch (type) {
    case kDataDouble:
      return static_cast<const double*>(p)[i];
    case kDataHalf:
      return tf::half::float_from_float16(static_cast<const uint16_t*>(p)[i]);
    case kDataBfloat16:
      return tf::half::float_from_bfloat16(static_cast<const uint16_t*>(p)[i]);
    default:
      return static_cast<const float*>(p)[i];
  }
}
void store(void* p, int type, int64_t i, double v) {
  switch (type) {
    case kDataDouble:
      static_cast<double*>(p)[i] = v;
      return;
    case kDataHalf:
      static_cast<uint16_t*>(p)[i] = tf::half::float16_from_float(static_cast<float>(v));
      return;
    case kDataBfloat16:
      static_cast<uint16_t*>(p)[i] = tf::half::bfloat16_from_float(static_cast<float>(v));
      return;
    default:
      static_cast<float*>(p)[i] = static_cast<float>(v);
  }
}

bool known_type(int type) {
  return type == kDataFloat || type == kDataDouble || type == kDataHalf || type == kDataBfloat16;
}

// One convolution's geometry, checked as cuDNN checks it.
struct Problem {
  cudnnTensorStruct x, y;
  cudnnFilterStruct w;
  cudnnConvolutionStruct conv;
  int spatial = 0;
  int64_t filter_stride[8] = {};  // elements, by (k, c, spatial...) dim

  Status check() {
    const size_t rank = x.dims.size();
    if (rank < 3 || rank > 8 || y.dims.size() != rank || w.dims.size() != rank ||
        conv.pad.size() + 2 != rank)
      return kBadParam;
    if (x.type != y.type || x.type != w.type || !known_type(x.type)) return kBadParam;
    // Float math for float, half and bfloat16 (PSEUDO_HALF configs), double for double.
    if ((x.type == kDataDouble) != (conv.compute == kDataDouble)) return kNotSupported;
    const int g = conv.groups;
    if (g < 1 || w.dims[0] % g || x.dims[1] != w.dims[1] * g || y.dims[1] != w.dims[0] ||
        x.dims[0] != y.dims[0])
      return kBadParam;
    spatial = static_cast<int>(rank) - 2;
    for (int d = 0; d < spatial; ++d) {
      const int64_t span = int64_t{w.dims[d + 2] - 1} * conv.dilation[d] + 1;
      const int64_t out = (x.dims[d + 2] + 2 * int64_t{conv.pad[d]} - span) / conv.stride[d] + 1;
      if (out != y.dims[d + 2]) return kBadParam;
    }
    // The filter is dense: (k, c, spatial...) for NCHW, (k, spatial..., c) for NHWC.
    std::vector<int> order;  // memory order, outermost first
    order.push_back(0);
    if (w.format == kTensorNhwc) {
      for (int d = 0; d < spatial; ++d) order.push_back(d + 2);
      order.push_back(1);
    } else {
      for (size_t d = 1; d < rank; ++d) order.push_back(static_cast<int>(d));
    }
    int64_t s = 1;
    for (size_t i = rank; i-- > 0;) {
      filter_stride[order[i]] = s;
      s *= w.dims[order[i]];
    }
    return kSuccess;
  }

  // Calls f(n, k, c, g-relative offsets, x index, y index, w index) for every product term of
  // the convolution: y[n, k, o] += x[n, group(k) * C + c, o * s - p + r * dil] * w[k, c, r].
  template <class F>
  void for_each_term(F f) const {
    const int cpg = w.dims[1], kpg = w.dims[0] / conv.groups;
    std::vector<int> o(static_cast<size_t>(spatial)), r(static_cast<size_t>(spatial));
    for (int n = 0; n < y.dims[0]; ++n)
      for (int k = 0; k < y.dims[1]; ++k) {
        std::fill(o.begin(), o.end(), 0);
        for (;;) {
          for (int c = 0; c < cpg; ++c) {
            std::fill(r.begin(), r.end(), 0);
            for (;;) {
              int64_t xi = int64_t{n} * x.strides[0] + int64_t{k / kpg * cpg + c} * x.strides[1];
              int64_t wi = k * filter_stride[0] + c * filter_stride[1];
              bool inside = true;
              for (int d = 0; d < spatial; ++d) {
                // Convolution mode flips the filter; cross-correlation (what frameworks call
                // convolution) does not.
                const int tap = conv.mode == kCrossCorrelation ? r[d] : w.dims[d + 2] - 1 - r[d];
                const int64_t at =
                    int64_t{o[d]} * conv.stride[d] - conv.pad[d] + int64_t{r[d]} * conv.dilation[d];
                inside &= at >= 0 && at < x.dims[d + 2];
                xi += at * x.strides[d + 2];
                wi += tap * filter_stride[d + 2];
              }
              if (inside) {
                int64_t yi = int64_t{n} * y.strides[0] + int64_t{k} * y.strides[1];
                for (int d = 0; d < spatial; ++d) yi += int64_t{o[d]} * y.strides[d + 2];
                f(xi, yi, wi);
              }
              int d = spatial;
              while (d > 0 && ++r[d - 1] == w.dims[d + 1]) r[--d] = 0;
              if (d == 0) break;
            }
          }
          int d = spatial;
          while (d > 0 && ++o[d - 1] == y.dims[d + 1]) o[--d] = 0;
          if (d == 0) break;
        }
      }
  }
};

int64_t tensor_elements(const cudnnTensorStruct& t) {
  int64_t extent = 1;  // the furthest element + 1
  for (size_t d = 0; d < t.dims.size(); ++d) extent += int64_t{t.dims[d] - 1} * t.strides[d];
  return extent;
}
int64_t filter_elements(const cudnnFilterStruct& w) {
  int64_t n = 1;
  for (int d : w.dims) n *= d;
  return n;
}

// out = alpha * sums + beta * out, beta 0 not reading out (it may hold NaNs), as cuDNN.
void blend(void* out, int type, const std::vector<double>& sums, const std::vector<int64_t>& where,
           double alpha, double beta) {
  for (size_t i = 0; i < where.size(); ++i) {
    const double old = beta == 0 ? 0 : beta * load(out, type, where[i]);
    store(out, type, where[i], alpha * sums[i] + old);
  }
}

double scalar(const void* p, int type) {
  return type == kDataDouble ? *static_cast<const double*>(p) : *static_cast<const float*>(p);
}

// Every element index of a tensor (strided) or filter (dense).
std::vector<int64_t> indices(const cudnnTensorStruct& t) {
  std::vector<int64_t> out;
  std::vector<int> i(t.dims.size(), 0);
  for (;;) {
    int64_t at = 0;
    for (size_t d = 0; d < i.size(); ++d) at += int64_t{i[d]} * t.strides[d];
    out.push_back(at);
    size_t d = i.size();
    while (d > 0 && ++i[d - 1] == t.dims[d - 1]) i[--d] = 0;
    if (d == 0) break;
  }
  return out;
}

// Sums over the convolution's terms at the elements `where` of a dense (in some order) tensor
// of `extent` elements: term(x, y, w indices) gives the element a term adds to and its value.
template <class Term>
std::vector<double> sums_at(const Problem& p, const std::vector<int64_t>& where, int64_t extent,
                            Term term) {
  std::vector<double> sums(where.size());
  std::vector<int64_t> slot(static_cast<size_t>(extent), -1);  // element -> its place in sums
  for (size_t i = 0; i < where.size(); ++i)
    slot[static_cast<size_t>(where[i])] = static_cast<int64_t>(i);
  p.for_each_term([&](int64_t xi, int64_t yi, int64_t wi) {
    const auto [at, value] = term(xi, yi, wi);
    sums[static_cast<size_t>(slot[static_cast<size_t>(at)])] += value;
  });
  return sums;
}

// The forward convolution's sums at y's elements `where`.
std::vector<double> forward_sums(const Problem& p, const void* x, const void* w,
                                 const std::vector<int64_t>& where) {
  const int type = p.x.type;
  return sums_at(p, where, tensor_elements(p.y), [&](int64_t xi, int64_t yi, int64_t wi) {
    return std::pair{yi, load(x, type, xi) * load(w, type, wi)};
  });
}

// Whether `a` broadcasts to `c`: the same rank, each dim c's or 1.
bool broadcasts(const cudnnTensorStruct& a, const cudnnTensorStruct& c) {
  if (a.dims.size() != c.dims.size()) return false;
  for (size_t d = 0; d < a.dims.size(); ++d)
    if (a.dims[d] != 1 && a.dims[d] != c.dims[d]) return false;
  return true;
}

// f(i, a's element) for the i-th element of c in indices(c)'s order, `a` broadcast to c.
template <class F>
void for_each_broadcast(const cudnnTensorStruct& a, const cudnnTensorStruct& c, F f) {
  std::vector<int> i(c.dims.size(), 0);
  for (size_t n = 0;; ++n) {
    int64_t at = 0;
    for (size_t d = 0; d < i.size(); ++d) at += a.dims[d] == 1 ? 0 : int64_t{i[d]} * a.strides[d];
    f(n, at);
    size_t d = i.size();
    while (d > 0 && ++i[d - 1] == c.dims[d - 1]) i[--d] = 0;
    if (d == 0) break;
  }
}

// The activations the stand-in computes; ReLU without NaN propagation makes NaN 0.
double activate(const cudnnActivationStruct& act, double v) {
  if (act.mode == kActivationIdentity) return v;
  if (std::isnan(v)) return act.nan == kNotPropagateNan ? 0.0 : v;
  return v > 0 ? v : 0.0;
}

Status check_workspace(int algo, size_t bytes, const void* ws) {
  if (algo < 0 || algo >= kNumAlgos) return kBadParam;
  if (bytes < kAlgoWorkspace[algo] || (kAlgoWorkspace[algo] && !ws)) return kBadParam;
  stats().largest_workspace = std::max(stats().largest_workspace, static_cast<int64_t>(bytes));
  return kSuccess;
}

// The candidates, as cudnnGet*_v7 and cudnnFind*Ex list them: algorithm 1 first (it needs a
// workspace), then 0.
Status list_algorithms(const Problem& p, int requested, int* returned, AlgoPerf* perf,
                       size_t workspace_available, bool timed) {
  const int order[] = {1, 0, 2};
  int n = 0;
  for (int algo : order) {
    if (n == requested) break;
    AlgoPerf a{};
    a.algo = algo;
    a.memory = kAlgoWorkspace[algo];
    a.status = algo == 2 ? kNotSupported  // listed but not usable, as cuDNN lists some
               : timed && a.memory > workspace_available ? kNotSupported
                                                         : kSuccess;
    a.time = timed ? 0.1f * static_cast<float>(n + 1) : -1.0f;
    a.math_type = p.conv.math;
    perf[n++] = a;
  }
  *returned = n;
  return kSuccess;
}

// Descriptors, owned here from their create call to their destroy call (BAD_PARAM for one never
// created, or destroyed twice).
template <class T>
std::map<T*, std::unique_ptr<T>>& live() {
  static auto& items = *std::make_unique<std::map<T*, std::unique_ptr<T>>>().release();
  return items;
}
std::mutex descriptors_mutex;
template <class T>
T* make() {
  auto item = std::make_unique<T>();
  T* p = item.get();
  std::lock_guard lock(descriptors_mutex);
  live<T>().emplace(p, std::move(item));
  return p;
}
template <class T>
Status destroy(T* p) {
  std::lock_guard lock(descriptors_mutex);
  return live<T>().erase(p) ? kSuccess : kBadParam;
}

}  // namespace

extern "C" {

size_t cudnnGetVersion() { return 91900; }
const char* cudnnGetErrorString(Status s) {
  switch (s) {
    case kSuccess:
      return "CUDNN_STATUS_SUCCESS";
    case kBadParam:
      return "CUDNN_STATUS_BAD_PARAM";
    case kNotSupported:
      return "CUDNN_STATUS_NOT_SUPPORTED";
    case kExecutionFailed:
      return "CUDNN_STATUS_EXECUTION_FAILED";
    case kNotInitialized:
      return "CUDNN_STATUS_NOT_INITIALIZED";
    default:
      return "CUDNN_STATUS_INTERNAL_ERROR";
  }
}

Status cudnnCreate(Handle* h) {
  if (Status e = tfjit_fake::injected_error("cudnnCreate")) return e;
  if (tfjit_fake::refused_while_capturing()) return kExecutionFailed;
  static std::mutex mutex;
  static auto& handles = *std::make_unique<std::vector<std::unique_ptr<cudnnContext>>>().release();
  std::lock_guard lock(mutex);
  *h = handles.emplace_back(std::make_unique<cudnnContext>()).get();
  ++stats().handles;
  return kSuccess;
}
Status cudnnDestroy(Handle h) {  // handles are kept (a freed one must not be reused by a test)
  return h ? kSuccess : kBadParam;
}
Status cudnnSetStream(Handle h, tf::cuda::CUstream stream) {
  h->stream = stream;
  return kSuccess;
}

Status cudnnCreateTensorDescriptor(TensorDesc* d) {
  return *d = make<cudnnTensorStruct>(), kSuccess;
}
Status cudnnDestroyTensorDescriptor(TensorDesc d) { return destroy(d); }
Status cudnnSetTensorNdDescriptor(TensorDesc d, int type, int rank, const int* dims,
                                  const int* strides) {
  if (!known_type(type) || rank < 3 || rank > 8) return kBadParam;
  for (int i = 0; i < rank; ++i)
    if (dims[i] <= 0 || strides[i] <= 0) return kBadParam;
  d->type = type;
  d->dims.assign(dims, dims + rank);
  d->strides.assign(strides, strides + rank);
  return kSuccess;
}
Status cudnnCreateFilterDescriptor(FilterDesc* d) {
  return *d = make<cudnnFilterStruct>(), kSuccess;
}
Status cudnnDestroyFilterDescriptor(FilterDesc d) { return destroy(d); }
Status cudnnSetFilterNdDescriptor(FilterDesc d, int type, int format, int rank, const int* dims) {
  if (!known_type(type) || rank < 3 || rank > 8 || (format != 0 && format != kTensorNhwc))
    return kBadParam;
  for (int i = 0; i < rank; ++i)
    if (dims[i] <= 0) return kBadParam;
  d->type = type;
  d->format = format;
  d->dims.assign(dims, dims + rank);
  return kSuccess;
}
Status cudnnCreateConvolutionDescriptor(ConvDesc* d) {
  return *d = make<cudnnConvolutionStruct>(), kSuccess;
}
Status cudnnDestroyConvolutionDescriptor(ConvDesc d) { return destroy(d); }
Status cudnnSetConvolutionNdDescriptor(ConvDesc d, int n, const int* pad, const int* stride,
                                       const int* dilation, int mode, int compute) {
  if (n < 1 || n > 6) return kBadParam;
  for (int i = 0; i < n; ++i)
    if (pad[i] < 0 || stride[i] < 1 || dilation[i] < 1) return kBadParam;
  d->pad.assign(pad, pad + n);
  d->stride.assign(stride, stride + n);
  d->dilation.assign(dilation, dilation + n);
  d->mode = mode;
  d->compute = compute;
  return kSuccess;
}
Status cudnnSetConvolutionGroupCount(ConvDesc d, int groups) {
  if (groups < 1) return kBadParam;
  return d->groups = groups, kSuccess;
}
Status cudnnSetConvolutionMathType(ConvDesc d, int math) {
  if (math < kDefaultMath || math > kFmaMath) return kBadParam;
  return d->math = math, kSuccess;
}

Status cudnnGetConvolutionForwardAlgorithmMaxCount(Handle, int* count) {
  return *count = kNumAlgos, kSuccess;
}
Status cudnnGetConvolutionBackwardDataAlgorithmMaxCount(Handle, int* count) {
  return *count = kNumAlgos, kSuccess;
}
Status cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(Handle, int* count) {
  return *count = kNumAlgos, kSuccess;
}

}  // extern "C"

namespace {

Problem problem(TensorDesc x, FilterDesc w, ConvDesc conv, TensorDesc y) {
  return Problem{*x, *y, *w, *conv};
}

Status heuristics(const char* call, Problem p, int requested, int* returned, AlgoPerf* perf) {
  if (Status e = tfjit_fake::injected_error(call)) return e;
  ++stats().heuristic_queries;
  if (Status s = p.check()) return s;
  return list_algorithms(p, requested, returned, perf, 0, false);
}

// cudnnFind*Ex: runs synchronously and leaves the output undefined (NaNs here).
Status find(const char* call, Problem p, Handle h, void* out, int out_type, int64_t out_elements,
            int requested, int* returned, AlgoPerf* perf, size_t workspace) {
  if (Status e = tfjit_fake::injected_error(call)) return e;
  if (tfjit_fake::refused_while_capturing()) return kExecutionFailed;  // it synchronises
  ++stats().find_calls;
  if (Status s = p.check()) return s;
  tfjit_fake::run_on_stream(h->stream, [=] {
    for (int64_t i = 0; i < out_elements; ++i)
      store(out, out_type, i, std::numeric_limits<double>::quiet_NaN());
  });
  return list_algorithms(p, requested, returned, perf, workspace, true);
}

}  // namespace

extern "C" {

Status cudnnGetConvolutionForwardAlgorithm_v7(Handle, TensorDesc x, FilterDesc w, ConvDesc conv,
                                              TensorDesc y, int requested, int* returned,
                                              AlgoPerf* perf) {
  return heuristics("cudnnGetConvolutionForwardAlgorithm_v7", problem(x, w, conv, y), requested,
                    returned, perf);
}
Status cudnnGetConvolutionBackwardDataAlgorithm_v7(Handle, FilterDesc w, TensorDesc dy,
                                                   ConvDesc conv, TensorDesc dx, int requested,
                                                   int* returned, AlgoPerf* perf) {
  return heuristics("cudnnGetConvolutionBackwardDataAlgorithm_v7", problem(dx, w, conv, dy),
                    requested, returned, perf);
}
Status cudnnGetConvolutionBackwardFilterAlgorithm_v7(Handle, TensorDesc x, TensorDesc dy,
                                                     ConvDesc conv, FilterDesc dw, int requested,
                                                     int* returned, AlgoPerf* perf) {
  return heuristics("cudnnGetConvolutionBackwardFilterAlgorithm_v7", problem(x, dw, conv, dy),
                    requested, returned, perf);
}

Status cudnnFindConvolutionForwardAlgorithmEx(Handle h, TensorDesc x, const void*, FilterDesc w,
                                              const void*, ConvDesc conv, TensorDesc y, void* out,
                                              int requested, int* returned, AlgoPerf* perf, void*,
                                              size_t workspace) {
  return find("cudnnFindConvolutionForwardAlgorithmEx", problem(x, w, conv, y), h, out, y->type,
              tensor_elements(*y), requested, returned, perf, workspace);
}
Status cudnnFindConvolutionBackwardDataAlgorithmEx(Handle h, FilterDesc w, const void*,
                                                   TensorDesc dy, const void*, ConvDesc conv,
                                                   TensorDesc dx, void* out, int requested,
                                                   int* returned, AlgoPerf* perf, void*,
                                                   size_t workspace) {
  return find("cudnnFindConvolutionBackwardDataAlgorithmEx", problem(dx, w, conv, dy), h, out,
              dx->type, tensor_elements(*dx), requested, returned, perf, workspace);
}
Status cudnnFindConvolutionBackwardFilterAlgorithmEx(Handle h, TensorDesc x, const void*,
                                                     TensorDesc dy, const void*, ConvDesc conv,
                                                     FilterDesc dw, void* out, int requested,
                                                     int* returned, AlgoPerf* perf, void*,
                                                     size_t workspace) {
  return find("cudnnFindConvolutionBackwardFilterAlgorithmEx", problem(x, dw, conv, dy), h, out,
              dw->type, filter_elements(*dw), requested, returned, perf, workspace);
}

Status cudnnConvolutionForward(Handle h, const void* alpha, TensorDesc xd, const void* x,
                               FilterDesc wd, const void* w, ConvDesc conv, int algo, void* ws,
                               size_t ws_bytes, const void* beta, TensorDesc yd, void* y) {
  if (Status e = tfjit_fake::injected_error("cudnnConvolutionForward")) return e;
  Problem p = problem(xd, wd, conv, yd);
  if (Status s = p.check()) return s;
  if (Status s = check_workspace(algo, ws_bytes, ws)) return s;
  const int type = p.x.type, scalars = p.conv.compute;
  const double a = scalar(alpha, scalars), b = scalar(beta, scalars);
  tfjit_fake::run_on_stream(h->stream, [=] {
    ++stats().forward;
    std::vector<int64_t> where = indices(p.y);
    blend(y, type, forward_sums(p, x, w, where), where, a, b);
  });
  return kSuccess;
}

// y = act(alpha1 * conv(x) + alpha2 * z + bias), z not read when alpha2 is 0.
Status cudnnConvolutionBiasActivationForward(Handle h, const void* alpha1, TensorDesc xd,
                                             const void* x, FilterDesc wd, const void* w,
                                             ConvDesc conv, int algo, void* ws, size_t ws_bytes,
                                             const void* alpha2, TensorDesc zd, const void* z,
                                             TensorDesc bd, const void* bias, ActivationDesc act,
                                             TensorDesc yd, void* y) {
  if (Status e = tfjit_fake::injected_error("cudnnConvolutionBiasActivationForward")) return e;
  Problem p = problem(xd, wd, conv, yd);
  if (Status s = p.check()) return s;
  if (Status s = check_workspace(algo, ws_bytes, ws)) return s;
  if (!z || !bias || zd->dims != yd->dims || zd->type != yd->type || !broadcasts(*bd, *yd) ||
      bd->type != yd->type || bd->dims[1] != yd->dims[1])
    return kBadParam;
  // ReLU with any algorithm; identity with IMPLICIT_PRECOMP_GEMM (1) only, as cuDNN documents.
  if (act->mode != kActivationRelu && !(act->mode == kActivationIdentity && algo == 1))
    return kNotSupported;
  const int type = p.x.type, scalars = p.conv.compute;
  const double a1 = scalar(alpha1, scalars), a2 = scalar(alpha2, scalars);
  const cudnnTensorStruct zt = *zd, bt = *bd;
  const cudnnActivationStruct activation = *act;
  tfjit_fake::run_on_stream(h->stream, [=] {
    ++stats().fused_forward;
    std::vector<int64_t> where = indices(p.y);
    std::vector<double> sums = forward_sums(p, x, w, where);
    std::vector<int64_t> z_at = indices(zt);
    for_each_broadcast(bt, p.y, [&](size_t i, int64_t b_at) {
      const double side = a2 == 0 ? 0 : a2 * load(z, type, z_at[i]);
      store(y, type, where[i], activate(activation, a1 * sums[i] + side + load(bias, type, b_at)));
    });
  });
  return kSuccess;
}

// C = alpha * A + beta * C, A broadcast along its dims of 1.
Status cudnnAddTensor(Handle h, const void* alpha, TensorDesc ad, const void* a, const void* beta,
                      TensorDesc cd, void* c) {
  if (Status e = tfjit_fake::injected_error("cudnnAddTensor")) return e;
  if (ad->type != cd->type || !broadcasts(*ad, *cd)) return kBadParam;
  const int type = cd->type, scalars = type == kDataDouble ? kDataDouble : kDataFloat;
  const double al = scalar(alpha, scalars), be = scalar(beta, scalars);
  const cudnnTensorStruct at = *ad, ct = *cd;
  tfjit_fake::run_on_stream(h->stream, [=] {
    ++stats().add_tensor;
    std::vector<int64_t> where = indices(ct);
    for_each_broadcast(at, ct, [&](size_t i, int64_t a_at) {
      const double old = be == 0 ? 0 : be * load(c, type, where[i]);
      store(c, type, where[i], al * load(a, type, a_at) + old);
    });
  });
  return kSuccess;
}

// y = alpha * act(x) + beta * y; x and y may be the same tensor.
Status cudnnActivationForward(Handle h, ActivationDesc act, const void* alpha, TensorDesc xd,
                              const void* x, const void* beta, TensorDesc yd, void* y) {
  if (Status e = tfjit_fake::injected_error("cudnnActivationForward")) return e;
  if (xd->dims != yd->dims || xd->type != yd->type) return kBadParam;
  if (act->mode != kActivationRelu && act->mode != kActivationIdentity) return kNotSupported;
  const int type = yd->type, scalars = type == kDataDouble ? kDataDouble : kDataFloat;
  const double al = scalar(alpha, scalars), be = scalar(beta, scalars);
  const cudnnTensorStruct xt = *xd, yt = *yd;
  const cudnnActivationStruct activation = *act;
  tfjit_fake::run_on_stream(h->stream, [=] {
    ++stats().activation;
    std::vector<int64_t> from = indices(xt), to = indices(yt);
    for (size_t i = 0; i < to.size(); ++i) {
      const double old = be == 0 ? 0 : be * load(y, type, to[i]);
      store(y, type, to[i], al * activate(activation, load(x, type, from[i])) + old);
    }
  });
  return kSuccess;
}

Status cudnnCreateActivationDescriptor(ActivationDesc* d) {
  return *d = make<cudnnActivationStruct>(), kSuccess;
}
Status cudnnDestroyActivationDescriptor(ActivationDesc d) { return destroy(d); }
Status cudnnSetActivationDescriptor(ActivationDesc d, int mode, int nan, double coef) {
  if (mode < 0 || mode > 6 || (nan != 0 && nan != 1)) return kBadParam;
  d->mode = mode;
  d->nan = nan;
  d->coef = coef;
  return kSuccess;
}

Status cudnnConvolutionBackwardData(Handle h, const void* alpha, FilterDesc wd, const void* w,
                                    TensorDesc dyd, const void* dy, ConvDesc conv, int algo,
                                    void* ws, size_t ws_bytes, const void* beta, TensorDesc dxd,
                                    void* dx) {
  if (Status e = tfjit_fake::injected_error("cudnnConvolutionBackwardData")) return e;
  Problem p = problem(dxd, wd, conv, dyd);
  if (Status s = p.check()) return s;
  if (Status s = check_workspace(algo, ws_bytes, ws)) return s;
  const int type = p.x.type, scalars = p.conv.compute;
  const double a = scalar(alpha, scalars), b = scalar(beta, scalars);
  tfjit_fake::run_on_stream(h->stream, [=] {
    ++stats().backward_data;
    std::vector<int64_t> where = indices(p.x);
    auto sums = sums_at(p, where, tensor_elements(p.x), [&](int64_t xi, int64_t yi, int64_t wi) {
      return std::pair{xi, load(dy, type, yi) * load(w, type, wi)};
    });
    blend(dx, type, sums, where, a, b);
  });
  return kSuccess;
}

Status cudnnConvolutionBackwardFilter(Handle h, const void* alpha, TensorDesc xd, const void* x,
                                      TensorDesc dyd, const void* dy, ConvDesc conv, int algo,
                                      void* ws, size_t ws_bytes, const void* beta, FilterDesc dwd,
                                      void* dw) {
  if (Status e = tfjit_fake::injected_error("cudnnConvolutionBackwardFilter")) return e;
  Problem p = problem(xd, dwd, conv, dyd);
  if (Status s = p.check()) return s;
  if (Status s = check_workspace(algo, ws_bytes, ws)) return s;
  const int type = p.x.type, scalars = p.conv.compute;
  const double a = scalar(alpha, scalars), b = scalar(beta, scalars);
  tfjit_fake::run_on_stream(h->stream, [=] {
    ++stats().backward_filter;
    const int64_t n = filter_elements(p.w);
    std::vector<double> sums(static_cast<size_t>(n));
    std::vector<int64_t> where(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) where[static_cast<size_t>(i)] = i;
    p.for_each_term([&](int64_t xi, int64_t yi, int64_t wi) {
      sums[static_cast<size_t>(wi)] += load(x, type, xi) * load(dy, type, yi);
    });
    blend(dw, type, sums, where, a, b);
  });
  return kSuccess;
}

}  // extern "C"
