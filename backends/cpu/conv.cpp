// Eager convolutions on the CPU: oneDNN's convolution primitives for float32 (forward, backward
// data, backward weights; built once per shape and cached), loops accumulating in double for the
// other float dtypes and for shapes oneDNN refuses. Compiled code calls the same kernel
// (backends/cpu/library_calls.cpp), so eager and compiled float32 convolutions are one code.
#include <dnnl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu/conv_fused.h"
#include "backends/cpu/epilogue.h"
#include "backends/cpu/kernels.h"
#include "backends/cpu/matmul_fused.h"
#include "backends/cpu/measure.h"
#include "backends/cpu/onednn.h"
#include "runtime/parallel.h"
#include "runtime/primitives/conv.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

using rt::ConvKind;
using rt::ConvPlan;

int64_t product(const std::vector<int64_t>& v, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= v[i];
  return p;
}

// The spatial multi-index of a flat position in `dims` (row-major).
void unflatten(int64_t flat, const int64_t* dims, size_t n, int64_t* index) {
  for (size_t d = n; d-- > 0;) {
    index[d] = flat % dims[d];
    flat /= dims[d];
  }
}

// The reference: each result element is a sum over its own terms, in double.
template <class T>
void conv_loops(const void* av, const void* bv, void* outv, const ConvPlan& p) {
  const size_t s = p.strides.size();
  const int64_t channels = p.input[s + 1], out_channels = p.output[s + 1];
  const int64_t cg = channels / p.groups, og = out_channels / p.groups;
  const int64_t* in_sp = p.input.data() + 1;
  const int64_t* out_sp = p.output.data() + 1;
  const int64_t* k_sp = p.filter.data();
  const int64_t in_size = product(p.input, 1, s + 1), out_size = product(p.output, 1, s + 1),
                k_size = product(p.filter, 0, s);
  auto* out = static_cast<T*>(outv);
  using C = kernels::compute_t<T>;
  auto at = [](const void* v, int64_t i) {
    return static_cast<double>(static_cast<C>(static_cast<const T*>(v)[i]));
  };
  // Input position of output position o and filter tap k in dim d, or -1 in the padding.
  auto input_at = [&](size_t d, int64_t o, int64_t k) {
    const int64_t i = o * p.strides[d] + k * p.dilations[d] - p.low[d];
    return i >= 0 && i < in_sp[d] ? i : -1;
  };
  auto flat_input = [&](const int64_t* o, const int64_t* k) {
    int64_t flat = 0;
    for (size_t d = 0; d < s; ++d) {
      const int64_t i = input_at(d, o[d], k[d]);
      if (i < 0) return int64_t{-1};
      flat = flat * in_sp[d] + i;
    }
    return flat;
  };
  const int64_t batch = p.input[0];
  int64_t total = 0, work = 0;
  switch (p.kind) {
    case ConvKind::kForward:
      total = batch * out_size * out_channels, work = k_size * cg;
      break;
    case ConvKind::kBackpropInput:
      total = batch * in_size * channels, work = k_size * og;
      break;
    case ConvKind::kBackpropFilter:
      total = k_size * cg * out_channels, work = batch * out_size;
      break;
  }
  rt::parallel_for(
      total, std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(work, 1)),
      [&](int64_t begin, int64_t end) {
        std::vector<int64_t> o(s), k(s), i(s);
        for (int64_t e = begin; e < end; ++e) {
          double acc = 0;
          if (p.kind == ConvKind::kForward) {  // a = input, b = filter
            const int64_t oc = e % out_channels, pos = e / out_channels;
            const int64_t n = pos / out_size, g = oc / og;
            unflatten(pos % out_size, out_sp, s, o.data());
            for (int64_t kf = 0; kf < k_size; ++kf) {
              unflatten(kf, k_sp, s, k.data());
              const int64_t xi = flat_input(o.data(), k.data());
              if (xi < 0) continue;
              const int64_t xb = (n * in_size + xi) * channels + g * cg,
                            wb = kf * cg * out_channels;
              for (int64_t ci = 0; ci < cg; ++ci)
                acc += at(av, xb + ci) * at(bv, wb + ci * out_channels + oc);
            }
          } else if (p.kind == ConvKind::kBackpropInput) {  // a = filter, b = output gradient
            const int64_t c = e % channels, pos = e / channels;
            const int64_t n = pos / in_size, g = c / cg, ci = c % cg;
            unflatten(pos % in_size, in_sp, s, i.data());
            for (int64_t kf = 0; kf < k_size; ++kf) {
              unflatten(kf, k_sp, s, k.data());
              int64_t oflat = 0;
              bool hit = true;
              for (size_t d = 0; d < s && hit; ++d) {
                const int64_t q = i[d] + p.low[d] - k[d] * p.dilations[d];
                hit = q >= 0 && q % p.strides[d] == 0 && q / p.strides[d] < out_sp[d];
                oflat = oflat * out_sp[d] + (hit ? q / p.strides[d] : 0);
              }
              if (!hit) continue;
              const int64_t yb = (n * out_size + oflat) * out_channels + g * og,
                            wb = (kf * cg + ci) * out_channels + g * og;
              for (int64_t oc = 0; oc < og; ++oc) acc += at(bv, yb + oc) * at(av, wb + oc);
            }
          } else {  // a = input, b = output gradient
            const int64_t oc = e % out_channels, rest = e / out_channels;
            const int64_t ci = rest % cg, kf = rest / cg, g = oc / og;
            unflatten(kf, k_sp, s, k.data());
            for (int64_t n = 0; n < batch; ++n)
              for (int64_t of = 0; of < out_size; ++of) {
                unflatten(of, out_sp, s, o.data());
                const int64_t xi = flat_input(o.data(), k.data());
                if (xi < 0) continue;
                acc += at(av, (n * in_size + xi) * channels + g * cg + ci) *
                       at(bv, (n * out_size + of) * out_channels + oc);
              }
          }
          out[e] = static_cast<T>(static_cast<C>(acc));
        }
      });
}

// oneDNN's view of the plan: tensors as (N, C, spatial...) dims with NHWC-style tags, the filter
// as (O, I, spatial...) or, grouped, (G, O/G, I/G, spatial...) with HWIO-style tags.
struct OneDnnDescs {
  dnnl::memory::desc src, weights, dst;
  dnnl::memory::dims strides, dilates, low, high;
};
OneDnnDescs descs_of(const ConvPlan& p) {
  using tag = dnnl::memory::format_tag;
  const size_t s = p.strides.size();
  static constexpr tag kData[] = {tag::nwc, tag::nhwc, tag::ndhwc};
  static constexpr tag kFilter[] = {tag::wio, tag::hwio, tag::dhwio};
  static constexpr tag kGrouped[] = {tag::wigo, tag::hwigo, tag::dhwigo};
  auto data = [&](const std::vector<int64_t>& t) {
    dnnl::memory::dims dims = {t[0], t[s + 1]};
    dims.insert(dims.end(), t.begin() + 1, t.begin() + 1 + static_cast<std::ptrdiff_t>(s));
    return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, kData[s - 1]);
  };
  const int64_t in_per_group = p.filter[s], out = p.filter[s + 1];
  dnnl::memory::dims wdims;
  if (p.groups > 1)
    wdims = {p.groups, out / p.groups, in_per_group};
  else
    wdims = {out, in_per_group};
  wdims.insert(wdims.end(), p.filter.begin(), p.filter.begin() + static_cast<std::ptrdiff_t>(s));
  OneDnnDescs d{data(p.input),
                {wdims, dnnl::memory::data_type::f32, (p.groups > 1 ? kGrouped : kFilter)[s - 1]},
                data(p.output),
                p.strides,
                {},
                p.low,
                p.high};
  for (int64_t r : p.dilations) d.dilates.push_back(r - 1);  // oneDNN counts the gaps
  return d;
}

// A forward convolution's epilogue (conv_bias_act): act < 0 for a plain convolution.
struct Fusion {
  int64_t act = -1;
  bool bias = false, residual = false;
};

// A built primitive and, when its filter layout differs from the user's, the reorders to and
// from it.
struct Prepared {
  dnnl::primitive primitive;
  dnnl::memory::desc user_weights, weights;
  std::optional<dnnl::reorder> to_primitive, from_primitive;
};

struct Cache {
  std::mutex mutex;
  std::map<std::vector<int64_t>, std::shared_ptr<const Prepared>> built;  // null: refused
  // Fused shapes: the fused primitive (way 0) or the plain convolution and a pass (way 1).
  std::map<std::vector<int64_t>, LearnedChoice> choices;
};
Cache& cache() {
  // Leaked on purpose: compiled code may still run during static destruction.
  static Cache& c = *std::make_unique<Cache>().release();
  return c;
}

std::vector<int64_t> key_of(const ConvPlan& p, const Fusion& f) {
  std::vector<int64_t> key = {static_cast<int64_t>(p.kind), p.groups};
  for (const auto* l :
       {&p.input, &p.filter, &p.output, &p.strides, &p.dilations, &p.low, &p.high}) {
    key.push_back(static_cast<int64_t>(l->size()));
    key.insert(key.end(), l->begin(), l->end());
  }
  if (f.act >= 0) key.insert(key.end(), {f.act, f.bias, f.residual});
  return key;
}

std::shared_ptr<const Prepared> build(const dnnl::engine& engine, const ConvPlan& p,
                                      const Fusion& f) {
  // A primitive runs on as many threads as it was built with: one, on the pool thread that runs
  // it (conv_onednn splits the batch over the pool).
  const rt::OneDnnThreads single_threaded;
  const OneDnnDescs d = descs_of(p);
  const dnnl::memory::desc any(d.weights.dims(), dnnl::memory::data_type::f32,
                               dnnl::memory::format_tag::any);
  const auto algorithm = dnnl::algorithm::convolution_direct;
  auto prepared = std::make_shared<Prepared>();
  prepared->user_weights = d.weights;
  const auto prop = p.kind == ConvKind::kForward ? dnnl::prop_kind::forward_inference
                                                 : dnnl::prop_kind::forward_training;
  dnnl::primitive_attr attr;
  if (f.act >= 0) {
    dnnl::post_ops ops;
    if (f.residual) ops.append_sum(1.0f);
    append_epilogue(ops, f.act);
    attr.set_post_ops(ops);
  }
  const dnnl::memory::desc bias({p.output.back()}, dnnl::memory::data_type::f32,
                                dnnl::memory::format_tag::a);
  dnnl::convolution_forward::primitive_desc forward(
      f.bias ? dnnl::convolution_forward::desc(prop, algorithm, d.src, any, bias, d.dst, d.strides,
                                               d.dilates, d.low, d.high)
             : dnnl::convolution_forward::desc(prop, algorithm, d.src, any, d.dst, d.strides,
                                               d.dilates, d.low, d.high),
      attr, engine);
  if (p.kind == ConvKind::kForward) {
    prepared->primitive = dnnl::convolution_forward(forward);
    prepared->weights = forward.weights_desc();
  } else if (p.kind == ConvKind::kBackpropInput) {
    dnnl::convolution_backward_data::primitive_desc pd(
        {algorithm, d.src, any, d.dst, d.strides, d.dilates, d.low, d.high}, engine, forward);
    prepared->primitive = dnnl::convolution_backward_data(pd);
    prepared->weights = pd.weights_desc();
  } else {
    dnnl::convolution_backward_weights::primitive_desc pd(
        {algorithm, d.src, any, d.dst, d.strides, d.dilates, d.low, d.high}, engine, forward);
    prepared->primitive = dnnl::convolution_backward_weights(pd);
    prepared->weights = pd.diff_weights_desc();
  }
  if (prepared->weights != d.weights) {
    if (p.kind == ConvKind::kBackpropFilter)
      prepared->from_primitive = dnnl::reorder(
          dnnl::reorder::primitive_desc(engine, prepared->weights, engine, d.weights));
    else
      prepared->to_primitive = dnnl::reorder(
          dnnl::reorder::primitive_desc(engine, d.weights, engine, prepared->weights));
  }
  return prepared;
}

// The cached primitive for the plan, or null where oneDNN has none.
std::shared_ptr<const Prepared> prepared_for(const ConvPlan& p, const Fusion& f = {}) {
  Cache& c = cache();
  std::vector<int64_t> key = key_of(p, f);
  std::lock_guard lock(c.mutex);
  auto it = c.built.find(key);
  if (it != c.built.end()) return it->second;
  std::shared_ptr<const Prepared> prepared;
  try {
    prepared = build(onednn_engine(), p, f);
  } catch (const dnnl::error&) {  // an unsupported shape: the loops compute it
  }
  return c.built.emplace(std::move(key), prepared).first->second;
}

dnnl::memory memory_at(const dnnl::memory::desc& md, const void* ptr) {
  return dnnl::memory(md, onednn_engine(), const_cast<void*>(ptr));  // inputs are never written
}

// The plan of samples [first, first + count) of p's batch.
ConvPlan sub_batch(const ConvPlan& p, int64_t count) {
  ConvPlan sub = p;
  sub.input[0] = sub.output[0] = count;
  return sub;
}

// How a convolution splits over the thread pool: `count` sub-batches, the first `longer` of them
// one sample longer than the others, so that a shape needs at most two primitives (each run
// single-threaded). One part below 2 * kGemmTileFlops. A filter gradient takes a filter-sized
// partial per part but the first: a large filter gets one part per thread rather than two once
// its partials pass kFilterPartialsBytes.
struct BatchSplit {
  int64_t count = 1, samples = 0, longer = 0;
  int64_t first(int64_t i) const { return i * samples + std::min(i, longer); }
  int64_t size(int64_t i) const { return samples + (i < longer ? 1 : 0); }
};
constexpr int64_t kFilterPartialsBytes = int64_t{64} << 20;
BatchSplit batch_split(const ConvPlan& p) {
  const int64_t batch = p.input[0];
  const int64_t filter_size = product(p.filter, 0, p.filter.size());
  const double flops = 2.0 * double(product(p.output, 0, p.output.size())) *
                       double(product(p.filter, 0, p.filter.size() - 1));
  const int64_t partials =
      p.kind == ConvKind::kBackpropFilter
          ? std::max<int64_t>(rt::parallel_threads(),
                              1 + kFilterPartialsBytes /
                                      std::max<int64_t>(1, filter_size * int64_t{sizeof(float)}))
          : batch;
  const int64_t count = std::min<int64_t>(
      {batch, partials, 2 * rt::parallel_threads(), static_cast<int64_t>(flops / kGemmTileFlops)});
  if (count <= 1) return {1, batch, 0};
  return {count, batch / count, batch % count};
}

// The primitives of a split's part sizes (null where oneDNN refuses one) and, for the kinds that
// read the filter, the filter in each one's layout (reordered once, shared by the parts).
struct Parts {
  std::shared_ptr<const Prepared> prepared[2];
  dnnl::memory filter[2];
  const Prepared* of(const BatchSplit& s, int64_t i) const {
    return prepared[i < s.longer ? 1 : 0].get();
  }
};
std::optional<Parts> parts_for(const ConvPlan& p, const BatchSplit& split, const Fusion& f,
                               const void* filter) {
  const rt::OneDnnThreads single_threaded;  // the filter's reorders
  Parts parts;
  for (int longer = 0; longer < 2; ++longer) {
    if (longer && split.longer == 0) continue;
    auto& prepared = parts.prepared[longer];
    prepared = prepared_for(sub_batch(p, split.samples + longer), f);
    if (!prepared) return std::nullopt;
    if (p.kind == ConvKind::kBackpropFilter) continue;
    parts.filter[longer] = memory_at(prepared->user_weights, filter);
    if (prepared->to_primitive) {
      parts.filter[longer] = dnnl::memory(prepared->weights, onednn_engine());
      dnnl::memory user = memory_at(prepared->user_weights, filter);
      prepared->to_primitive->execute(onednn_stream(), user, parts.filter[longer]);
    }
  }
  onednn_stream().wait();
  return parts;
}

// Runs part i of the split on this thread, oneDNN single-threaded. The filter gradient of the
// part goes to `partial` (the user's layout).
void run_part(const Parts& parts, const BatchSplit& split, int64_t i, const ConvPlan& p,
              const void* a, const void* b, void* out, const void* bias, const float* residual,
              float* partial) {
  const Prepared& prepared = *parts.of(split, i);
  const int64_t first = split.first(i), count = split.size(i);
  const OneDnnDescs d = descs_of(sub_batch(p, count));
  const int64_t in = product(p.input, 1, p.input.size()),
                on = product(p.output, 1, p.output.size());
  const dnnl::memory& filter = parts.filter[i < split.longer ? 1 : 0];
  const rt::OneDnnThreads single_threaded;
  dnnl::stream& stream = onednn_stream();
  if (p.kind == ConvKind::kForward) {
    float* y = static_cast<float*>(out) + first * on;
    if (residual) std::copy_n(residual + first * on, count * on, y);  // sum post-op adds to y
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, memory_at(d.src, static_cast<const float*>(a) + first * in)},
        {DNNL_ARG_WEIGHTS, filter},
        {DNNL_ARG_DST, memory_at(d.dst, y)}};
    if (bias)
      args.emplace(
          DNNL_ARG_BIAS,
          memory_at({{p.output.back()}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a},
                    bias));
    prepared.primitive.execute(stream, args);
    stream.wait();  // while the memories live
  } else if (p.kind == ConvKind::kBackpropInput) {
    prepared.primitive.execute(
        stream, {{DNNL_ARG_DIFF_DST, memory_at(d.dst, static_cast<const float*>(b) + first * on)},
                 {DNNL_ARG_WEIGHTS, filter},
                 {DNNL_ARG_DIFF_SRC, memory_at(d.src, static_cast<float*>(out) + first * in)}});
    stream.wait();
  } else {
    dnnl::memory user = memory_at(d.weights, partial);
    dnnl::memory weights =
        prepared.from_primitive ? dnnl::memory(prepared.weights, onednn_engine()) : user;
    prepared.primitive.execute(
        stream, {{DNNL_ARG_SRC, memory_at(d.src, static_cast<const float*>(a) + first * in)},
                 {DNNL_ARG_DIFF_DST, memory_at(d.dst, static_cast<const float*>(b) + first * on)},
                 {DNNL_ARG_DIFF_WEIGHTS, weights}});
    if (prepared.from_primitive) prepared.from_primitive->execute(stream, weights, user);
    stream.wait();
  }
}

// The float32 convolution on oneDNN: sub-batches over the pool, the filter gradient summed over
// them in order. False (nothing computed) where oneDNN refuses the shape.
bool conv_onednn(const void* a, const void* b, void* out, const ConvPlan& p, const Fusion& f = {},
                 const void* bias = nullptr, const float* residual = nullptr) {
  const BatchSplit split = batch_split(p);
  const void* filter = p.kind == ConvKind::kBackpropInput ? a : b;
  try {
    std::optional<Parts> parts = parts_for(p, split, f, filter);
    if (!parts) return false;
    // A filter gradient: part 0's into `out`, the others' into partials added to it in order.
    const bool summed = p.kind == ConvKind::kBackpropFilter && split.count > 1;
    const int64_t filter_size = product(p.filter, 0, p.filter.size());
    std::vector<float> partials(summed ? static_cast<size_t>((split.count - 1) * filter_size) : 0);
    rt::parallel_for(split.count, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        run_part(
            *parts, split, i, p, a, b, out, bias, residual,
            summed && i > 0 ? partials.data() + (i - 1) * filter_size : static_cast<float*>(out));
    });
    if (summed) {
      auto* dw = static_cast<float*>(out);
      rt::parallel_for(filter_size, rt::kParallelGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = 0; i + 1 < split.count; ++i)
          for (int64_t e = begin; e < end; ++e) dw[e] += partials[i * filter_size + e];
      });
    }
  } catch (const dnnl::error& e) {
    throw InternalError(std::string("convolution: oneDNN failed: ") + e.what());
  }
  return true;
}

void conv_f32(const void* a, const void* b, void* out, const ConvPlan& p) {
  if (!conv_onednn(a, b, out, p)) conv_loops<float>(a, b, out, p);
}

// Empty operands leave every sum empty: zeros (oneDNN refuses zero dims).
template <class T>
void convolve(const void* a, const void* b, void* out, const ConvPlan& p) {
  const std::vector<int64_t>& first = p.kind == ConvKind::kBackpropInput ? p.filter : p.input;
  const std::vector<int64_t>& second = p.kind == ConvKind::kForward ? p.filter : p.output;
  const std::vector<int64_t>& result = p.kind == ConvKind::kForward         ? p.output
                                       : p.kind == ConvKind::kBackpropInput ? p.input
                                                                            : p.filter;
  if (product(first, 0, first.size()) == 0 || product(second, 0, second.size()) == 0) {
    std::fill_n(static_cast<T*>(out), product(result, 0, result.size()), T{});
    return;
  }
  if constexpr (std::is_same_v<T, float>)
    conv_f32(a, b, out, p);
  else
    conv_loops<T>(a, b, out, p);
}

// The kernel: a plain convolution, or one with its epilogue (a fused convolution run on the CPU
// in place of the GPU's, backends/cuda/conv.cpp).
template <class T>
void conv_kernel(const void* a, const void* b, void* out, const ConvPlan& p) {
  if (p.epilogue.empty()) return convolve<T>(a, b, out, p);
  if constexpr (std::is_same_v<T, float>)
    conv_bias_act(static_cast<const float*>(a), static_cast<const float*>(b),
                  static_cast<const float*>(p.epilogue.bias),
                  static_cast<const float*>(p.epilogue.residual), static_cast<float*>(out), p,
                  static_cast<int64_t>(p.epilogue.activation));
  else
    throw InternalError("fused convolution: float32 only, not " +
                        std::string(dtype_name(dtype_of_v<T>)));
}

// TFJIT_CONV_EPILOGUE=fused or separate fixes conv_bias_act's choice: the two round differently
// (in the last bits), so a measured choice may differ between runs of the same program.
ConvEpilogueStrategy initial_strategy() {
  const char* env = std::getenv("TFJIT_CONV_EPILOGUE");
  const std::string v = env ? env : "";
  return v == "fused"      ? ConvEpilogueStrategy::kFused
         : v == "separate" ? ConvEpilogueStrategy::kSeparatePass
                           : ConvEpilogueStrategy::kMeasure;
}
std::atomic<ConvEpilogueStrategy> strategy{initial_strategy()};

void register_conv(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kFloat.contains(dtype_of_v<T>))
      table.set(ops::Primitive::conv, dtype_of_v<T>, &conv_kernel<T>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_conv);

}  // namespace

void conv_bias_act(const float* x, const float* w, const float* bias, const float* residual,
                   float* out, const ConvPlan& p, int64_t act) {
  if (!is_epilogue(act))
    throw InternalError("fused convolution: unknown activation code " + std::to_string(act));
  if (p.kind != ConvKind::kForward)
    throw InternalError("fused convolution: only the forward convolution takes an epilogue");
  const int64_t channels = p.output.back(), size = product(p.output, 0, p.output.size());
  auto separate = [&] {
    convolve<float>(x, w, out, p);
    apply_epilogue(out, channels > 0 ? size / channels : 0, channels, bias, residual, act);
  };
  if (size == 0 || product(p.input, 0, p.input.size()) == 0 ||
      product(p.filter, 0, p.filter.size()) == 0)
    return separate();  // oneDNN refuses zero dims; an empty sum is zero
  const Fusion fusion{act, bias != nullptr, residual != nullptr};
  if (!prepared_for(p, fusion)) return separate();
  auto fused = [&] {
    if (!conv_onednn(x, w, out, p, fusion, bias, residual))
      throw InternalError("fused convolution: oneDNN refused a part of a shape it accepts whole");
  };
  switch (strategy.load(std::memory_order_relaxed)) {
    case ConvEpilogueStrategy::kFused:
      return fused();
    case ConvEpilogueStrategy::kSeparatePass:
      return separate();
    case ConvEpilogueStrategy::kMeasure:
      break;
  }
  const double flops = 2.0 * double(size) * double(product(p.filter, 0, p.filter.size() - 1));
  if (flops > kMeasuredFlops) return fused();
  Cache& c = cache();
  LearnedChoice* choice;
  {
    std::lock_guard lock(c.mutex);
    choice = &c.choices[key_of(p, fusion)];  // map nodes stay put
  }
  run_learning(*choice, c.mutex, 2, [&](size_t way) { way == 0 ? fused() : separate(); });
}

void set_conv_epilogue_strategy(ConvEpilogueStrategy s) {
  strategy.store(s, std::memory_order_relaxed);
}
ConvEpilogueStrategy conv_epilogue_strategy() { return strategy.load(std::memory_order_relaxed); }

}  // namespace tf::cpu
