// tf::function: a tracing JIT around a C++ callable, like TensorFlow's @tf.function.
//
//   auto f = tf::function([](const tf::Tensor& x) { return x * x + 2.0f * x + 1.0f; });
//   f(tf::constant({1.0f, 2.0f}));   // first call with this signature: trace, compile, run
//   f(tf::constant({3.0f, 4.0f}));   // same signature (dtype and shape): run the cached code
//
// The callable runs once per new input signature, on symbolic tensors; every tf:: op it calls
// becomes a graph op. C++ side effects therefore happen only while tracing, as Python side
// effects do in TensorFlow. Called while another function is tracing, a function is inlined.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"
#include "tfjit/variable.h"

TFJIT_API_BEGIN
namespace tf {

// TensorFlow's tf.TensorSpec: the dtype and shape a tf::function argument may have. A dim of
// tf::kUnknownDim (also spelled tf::unknown; printed None) matches any size, so the function
// compiles once for all of them; unknown_rank() matches any rank (compiled once per rank, with
// every dim unknown).
inline constexpr int64_t unknown = kUnknownDim;
inline constexpr int64_t None = kUnknownDim;  // TensorFlow's spelling: TensorSpec({tf::None, 3})

// False while a tf::function traces its body (its tensors are symbolic), as
// tf.executing_eagerly().
bool executing_eagerly();
struct TensorSpec {
  TensorShape shape;
  DType dtype = float32;
  bool rank_known = true;

  TensorSpec() = default;
  TensorSpec(TensorShape shape, DType dtype = float32) : shape(std::move(shape)), dtype(dtype) {}
  static TensorSpec unknown_rank(DType dtype = float32) {
    TensorSpec s({}, dtype);
    s.rank_known = false;
    return s;
  }
  // "TensorSpec(shape=(None, 3), dtype=float32)", as TensorFlow prints it.
  std::string to_string() const;
};

struct FunctionOptions {
  // GEMM in compiled code: a oneDNN call (true) or generated loops (false).
  bool matmul_library_call = true;
  // With the oneDNN call: a dense layer's bias and activation applied by the same call.
  bool fuse_matmul_epilogue = true;
  // Convolutions and sorts in compiled CPU code: calls of the eager kernels (oneDNN for float32
  // convolutions), or generated loops (false).
  bool host_library_calls = true;
  // With those calls: a float32 convolution's bias add, residual add and activation applied by
  // the same oneDNN call (post-ops) rather than by generated loops; on the GPU with cuDNN, with
  // ReLU, by the same cuDNN call rather than a generated kernel.
  bool fuse_conv_epilogue = true;
  // Signatures kept compiled; beyond this the least recently used is dropped (and retraced if
  // it comes back), so a function called with ever-new shapes cannot grow without bound.
  size_t max_signatures = 64;
  // TensorFlow's input_signature: one spec per tensor argument (in order). Calls that do not
  // match raise InvalidArgumentError; every matching call runs the one graph traced for the
  // specs (unknown dims stay symbolic), so the function never retraces for a new size.
  std::optional<std::vector<TensorSpec>> input_signature = std::nullopt;
  // TensorFlow's reduce_retracing: when a call retraces only because some dims changed, trace
  // a graph with those dims unknown, so later sizes reuse it instead of tracing again.
  bool reduce_retracing = false;
};

struct CacheStats {
  int64_t hits = 0, misses = 0, evictions = 0, signatures = 0;
  int64_t code_bytes = 0;  // machine code of the signatures kept (shared code counted each time)
  double last_compile_ms = 0;  // trace + lower + JIT (or process-cache hit) of the latest miss
};

namespace detail {

// How a callable's result maps to the flat list of tensors the graph returns.
template <class R>
struct Results;
template <>
struct Results<Tensor> {
  static std::vector<Tensor> flatten(Tensor r) { return {std::move(r)}; }
  static Tensor unflatten(std::vector<Tensor>& v) { return std::move(v.at(0)); }
};
template <>
struct Results<std::vector<Tensor>> {
  static std::vector<Tensor> flatten(std::vector<Tensor> r) { return r; }
  static std::vector<Tensor> unflatten(std::vector<Tensor>& v) { return std::move(v); }
};
template <class... Ts>
struct Results<std::tuple<Ts...>> {
  static_assert((std::is_same_v<Ts, Tensor> && ...), "tf::function results must be tensors");
  static std::vector<Tensor> flatten(std::tuple<Ts...> r) {
    return std::apply([](auto&... t) { return std::vector<Tensor>{t...}; }, r);
  }
  static std::tuple<Ts...> unflatten(std::vector<Tensor>& v) {
    return [&]<size_t... I>(std::index_sequence<I...>) { return std::tuple<Ts...>{v.at(I)...}; }
    (std::index_sequence_for<Ts...>{});
  }
};
template <>
struct Results<std::pair<Tensor, Tensor>> {
  static std::vector<Tensor> flatten(std::pair<Tensor, Tensor> r) { return {r.first, r.second}; }
  static std::pair<Tensor, Tensor> unflatten(std::vector<Tensor>& v) { return {v.at(0), v.at(1)}; }
};

struct Concrete;  // one traced signature: graph, compiled code, captures (frontend/src/concrete.h)

// The traced body as a callable that owns what it needs (the callable, copies of the call's
// C++ values): a call's gradient traces it later, after the call has returned.
using OwnedBody = std::function<std::vector<Tensor>(std::span<const Tensor> args)>;
// A non-owning callback: the traced body, called with symbolic arguments; `own` (optional)
// makes an OwnedBody of it, only for a call a tape records (its gradient may trace the body).
struct TraceBody {
  const void* self;
  std::vector<Tensor> (*call)(const void* self, std::span<const Tensor> args);
  const void* own_self = nullptr;
  OwnedBody (*own)(const void* own_self) = nullptr;
};
template <class L>
TraceBody make_body(const L& l) {
  return {&l, [](const void* self, std::span<const Tensor> args) {
            return (*static_cast<const L*>(self))(args);
          }};
}
template <class L, class O>
TraceBody make_body(const L& l, const O& own) {
  TraceBody body = make_body(l);
  body.own_self = &own;
  body.own = [](const void* self) { return (*static_cast<const O*>(self))(); };
  return body;
}

// How each argument of a call takes part. Tensors and variables (read at the call) are graph
// inputs keyed by dtype and shape; numbers, bools, strings and enums are keyed by value and
// passed to the body as they are while tracing (a new value retraces, as Python values do).
template <class T>
inline constexpr bool is_tensor_arg_v =
    std::is_same_v<T, Tensor> || std::is_same_v<T, Variable> || std::is_same_v<T, TensorSpec>;
// A shape-only stand-in for a TensorSpec (no data: it is only traced, never run). Throws
// InvalidArgumentError for an unknown rank.
Tensor spec_placeholder(const TensorSpec& spec);
template <class T>
std::string value_key(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_enum_v<T>) {
    return "enum " + std::to_string(static_cast<long long>(v));
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
    return buf;
  } else {
    static_assert(
        std::is_convertible_v<T, std::string_view>,
        "tf::function arguments must be tensors, variables, numbers, bools, strings or enums");
    std::string quoted(1, '"');  // built piecewise: GCC 12 warns falsely on "x" + string + "x"
    quoted.append(std::string_view(v));
    quoted.push_back('"');
    return quoted;
  }
}
template <class T>
using param_t = std::conditional_t<is_tensor_arg_v<T>, const Tensor&, const T&>;

// The non-template engine behind every tf::function: signature keys, the trace/compile cache
// and execution (frontend/src/function.cpp).
class FunctionCore {
 public:
  explicit FunctionCore(FunctionOptions options);
  ~FunctionCore();
  // `values` are the keys of the non-tensor arguments (empty for all-tensor calls).
  std::vector<Tensor> call(std::span<const Tensor> args, const std::vector<std::string>& values,
                           TraceBody body);

  // The traced and compiled entry for these arguments' signature (tracing it if new).
  std::shared_ptr<const Concrete> concrete(std::span<const Tensor> args,
                                           const std::vector<std::string>& values, TraceBody body);
  int64_t trace_count() const;
  CacheStats cache_stats() const;
  std::string last_retrace_reason() const;

 private:
  // A call under a recording tape (function.cpp).
  std::vector<Tensor> call_differentiable(std::span<const Tensor> args,
                                          const std::vector<std::string>& values, TraceBody body);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detail

// One traced signature of a tf::function, compiled, as TensorFlow's ConcreteFunction: its graph
// can be read at every compiler stage (like experimental_get_compiler_ir) or saved, and it can
// be called directly with tensors of exactly its signature.
class ConcreteFunction {
 public:
  explicit ConcreteFunction(std::shared_ptr<const detail::Concrete> concrete);
  // The graph at a compiler stage: "traced", "optimized", "linalg", "bufferized", "loops",
  // "llvm" (the LLVM dialect), "llvmir", "asm", or "ptx" (the GPU path: its loops as CUDA
  // kernels). Throws InvalidArgumentError for another name.
  std::string graph(std::string_view stage = "traced") const;
  // Writes graph(stage) to `path`; a saved "traced" graph is what `tfjit-dump` reads.
  void save(const std::string& path, std::string_view stage = "traced") const;
  std::string dot() const;  // the traced graph in Graphviz DOT
  // The tensor arguments this function takes (variables it reads are captured, not listed).
  std::vector<DType> input_dtypes() const;
  std::vector<TensorShape> input_shapes() const;
  size_t code_bytes() const;  // machine code size: host code, or the GPU programs it keeps
  // Where the compiled code runs, as TensorFlow names devices. A function is compiled for the
  // device placement in force when it is called (a tf::device_scope, else GPU:0 when there is
  // one); a graph that cannot run on the GPU (a kernel beyond CUDA's or PTX's limits) runs on the
  // CPU, and gpu_fallback_reason() says why ("" otherwise). A graph with unknown dims is compiled
  // for the GPU once per concrete shape, at the first call with it; for it both report the latest
  // call (a shape the GPU cannot run, such as a launch beyond CUDA's limits, runs on the CPU).
  std::string device() const;
  std::string gpu_fallback_reason() const;
  // Whether the last call on a GPU replayed one CUDA Graph (from the second call on) rather
  // than launching kernel by kernel.
  bool replays_cuda_graph() const;
  // Why a function on a GPU launches kernel by kernel instead ("" when it replays, or is not on
  // a GPU): large arguments and results, TFJIT_CUDA_GRAPHS=0, or a failed capture.
  std::string cuda_graph_unavailable_reason() const;
  // Runs the compiled code. Throws InvalidArgumentError if `args` do not match the signature.
  std::vector<Tensor> operator()(std::span<const Tensor> args) const;
  std::vector<Tensor> operator()(std::initializer_list<Tensor> args) const {
    return (*this)(std::span<const Tensor>(args.begin(), args.size()));
  }

 private:
  std::shared_ptr<const detail::Concrete> concrete_;
};

template <class F>
class Function {
 public:
  explicit Function(F fn, FunctionOptions options = {})
      : fn_(std::make_shared<F>(std::move(fn))),
        core_(std::make_shared<detail::FunctionCore>(options)) {}

  template <class... Args>
  auto operator()(const Args&... args) const {
    static_assert(!(std::is_same_v<Args, TensorSpec> || ...),
                  "call a tf::function with tensors; TensorSpecs are for get_concrete_function");
    using R = std::invoke_result_t<const F&, detail::param_t<Args>...>;
    std::vector<Tensor> tensors;
    std::vector<std::string> values;
    (collect(args, tensors, values), ...);
    auto traced = [&](std::span<const Tensor> symbolic) { return invoke<R>(symbolic, args...); };
    auto own = [&] {  // the callable and copies of the arguments
      return detail::OwnedBody(
          [fn = fn_, copies = std::tuple<Args...>(args...)](std::span<const Tensor> symbolic) {
            return std::apply([&](const Args&... a) { return invoke_with<R>(*fn, symbolic, a...); },
                              copies);
          });
    };
    std::vector<Tensor> out = core_->call(tensors, values, detail::make_body(traced, own));
    return detail::Results<R>::unflatten(out);
  }

  // The concrete function for these arguments' signature (traced and compiled if new), as
  // TensorFlow's get_concrete_function. Tensor arguments only fix dtype and shape; a
  // tf::TensorSpec may stand for a tensor argument (unknown dims give a graph with dynamic dims).
  template <class... Args>
  ConcreteFunction get_concrete_function(const Args&... args) const {
    using R = std::invoke_result_t<const F&, detail::param_t<Args>...>;
    std::vector<Tensor> tensors;
    std::vector<std::string> values;
    (collect(args, tensors, values), ...);
    auto traced = [&](std::span<const Tensor> symbolic) { return invoke<R>(symbolic, args...); };
    return ConcreteFunction(core_->concrete(tensors, values, detail::make_body(traced)));
  }

  // The traced graph for these arguments' signature, at a compiler stage (see
  // ConcreteFunction::graph).
  template <class... Args>
  std::string graph(std::string_view stage, const Args&... args) const {
    return get_concrete_function(args...).graph(stage);
  }

  // How many times the callable was traced (once per new input signature).
  int64_t trace_count() const { return core_->trace_count(); }
  CacheStats cache_stats() const { return core_->cache_stats(); }
  // Why the latest trace happened: which argument changed, and how (empty before a retrace).
  std::string last_retrace_reason() const { return core_->last_retrace_reason(); }

 private:
  template <class A>
  static void collect(const A& a, std::vector<Tensor>& tensors, std::vector<std::string>& values) {
    if constexpr (std::is_same_v<A, TensorSpec>)
      tensors.push_back(detail::spec_placeholder(a));
    else if constexpr (detail::is_tensor_arg_v<A>)
      tensors.push_back(Tensor(a));
    else
      values.push_back(detail::value_key(a));
  }
  template <class R, class... Args>
  std::vector<Tensor> invoke(std::span<const Tensor> symbolic, const Args&... args) const {
    return invoke_with<R>(*fn_, symbolic, args...);
  }
  // Calls `fn` with tensor arguments replaced by `symbolic` (in order) and values as given.
  template <class R, class... Args>
  static std::vector<Tensor> invoke_with(const F& fn, std::span<const Tensor> symbolic,
                                         const Args&... args) {
    constexpr bool is_tensor[] = {detail::is_tensor_arg_v<Args>..., false};
    auto refs = std::tie(args...);
    return [&]<size_t... I>(std::index_sequence<I...>) {
      [[maybe_unused]] auto pick =
          [&]<size_t J>(std::integral_constant<size_t, J>) -> decltype(auto) {
        using A = std::remove_cvref_t<std::tuple_element_t<J, decltype(refs)>>;
        if constexpr (detail::is_tensor_arg_v<A>) {
          size_t index = 0;
          for (size_t k = 0; k < J; ++k) index += is_tensor[k];
          return static_cast<const Tensor&>(symbolic[index]);
        } else {
          return static_cast<const A&>(std::get<J>(refs));
        }
      };
      return detail::Results<R>::flatten(fn(pick(std::integral_constant<size_t, I>{})...));
    }
    (std::index_sequence_for<Args...>{});
  }
  std::shared_ptr<F> fn_;
  std::shared_ptr<detail::FunctionCore> core_;
};

// With an input signature: tf.function(fn, input_signature=[...]).
template <class F>
Function<F> function(F fn, std::vector<TensorSpec> input_signature, FunctionOptions options = {}) {
  options.input_signature = std::move(input_signature);
  return Function<F>(std::move(fn), std::move(options));
}

// The "decorator": wraps a callable taking tf::Tensor arguments (pass tensors or variables) and
// C++ values (numbers, bools, strings, enums), returning a Tensor, a std::vector<Tensor>, a
// std::pair or a std::tuple of Tensors.
template <class F>
Function<F> function(F fn, FunctionOptions options = {}) {
  return Function<F>(std::move(fn), options);
}

}  // namespace tf
TFJIT_API_END
