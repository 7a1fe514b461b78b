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
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tfjit/tensor.h"

namespace tf {

struct FunctionOptions {
  // GEMM in compiled code: a oneDNN call (true) or generated loops (false).
  bool matmul_library_call = true;
};

struct CacheStats {
  int64_t hits = 0, misses = 0;
  double last_compile_ms = 0;  // trace + lower + JIT of the most recent miss
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

// A non-owning callback: the traced body, called with symbolic arguments.
struct TraceBody {
  const void* self;
  std::vector<Tensor> (*call)(const void* self, std::span<const Tensor> args);
};

// The non-template engine behind every tf::function: signature keys, the trace/compile cache
// and execution (frontend/src/function.cpp).
class FunctionCore {
 public:
  explicit FunctionCore(FunctionOptions options);
  ~FunctionCore();
  std::vector<Tensor> call(std::span<const Tensor> args, TraceBody body);
  // The graph for these arguments' signature at `stage` ("traced", "linalg", ..., "asm").
  std::string graph(std::span<const Tensor> args, TraceBody body, std::string_view stage);
  int64_t trace_count() const;
  CacheStats cache_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detail

template <class F>
class Function {
 public:
  explicit Function(F fn, FunctionOptions options = {})
      : fn_(std::make_shared<F>(std::move(fn))),
        core_(std::make_shared<detail::FunctionCore>(options)) {}

  template <class... Args>
  requires(std::is_same_v<std::remove_cvref_t<Args>, Tensor>&&...) auto operator()(
      const Args&... args) const {
    using R = std::invoke_result_t<const F&, const Args&...>;
    std::array<Tensor, sizeof...(Args)> inputs{args...};
    std::vector<Tensor> out = core_->call(inputs, body<R, sizeof...(Args)>());
    return detail::Results<R>::unflatten(out);
  }

  // The traced graph for these arguments' signature, at a compiler stage: "traced",
  // "optimized", "linalg", "bufferized", "loops", "llvm", "llvmir" or "asm".
  template <class... Args>
  std::string graph(std::string_view stage, const Args&... args) const {
    using R = std::invoke_result_t<const F&, const Args&...>;
    std::array<Tensor, sizeof...(Args)> inputs{args...};
    return core_->graph(inputs, body<R, sizeof...(Args)>(), stage);
  }

  // How many times the callable was traced (once per new input signature).
  int64_t trace_count() const { return core_->trace_count(); }
  CacheStats cache_stats() const { return core_->cache_stats(); }

 private:
  template <class R, size_t N>
  detail::TraceBody body() const {
    return {fn_.get(), [](const void* self, std::span<const Tensor> args) {
              const F& fn = *static_cast<const F*>(self);
              return [&]<size_t... I>(std::index_sequence<I...>) {
                return detail::Results<R>::flatten(fn(args[I]...));
              }
              (std::make_index_sequence<N>{});
            }};
  }
  std::shared_ptr<F> fn_;
  std::shared_ptr<detail::FunctionCore> core_;
};

// The "decorator": wraps a callable taking tf::Tensor arguments and returning a Tensor, a
// std::vector<Tensor>, a std::pair or a std::tuple of Tensors.
template <class F>
Function<F> function(F fn, FunctionOptions options = {}) {
  return Function<F>(std::move(fn), options);
}

}  // namespace tf
