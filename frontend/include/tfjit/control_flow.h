// Data-dependent control flow and run-time printing, as TensorFlow's tf.cond, tf.while_loop and
// tf.print. Eagerly they simply run; inside a tf::function they become part of the graph (an
// scf.if / scf.while / a print op), so one trace serves every value of the predicate:
//
//   auto f = tf::function([](const tf::Tensor& x) {
//     auto y = tf::cond(x > 0.0f, [&] { return x * 2.0f; }, [&] { return -x; });
//     tf::print("y =", y);                           // prints at each call, not at trace time
//     return tf::while_loop([](const auto& v) { return v[0] < 100.0f; },
//                           [](const auto& v) { return std::vector{v[0] * 2.0f}; }, {y})[0];
//   });
//
// In C++ a plain `if (x.item<float>() > 0)` cannot be traced: reading a symbolic tensor's value
// raises InvalidArgumentError pointing here.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {

namespace detail {
using Branch = std::function<std::vector<Tensor>()>;
std::vector<Tensor> cond(const Tensor& pred, const Branch& true_fn, const Branch& false_fn);

template <class R>
inline constexpr bool kBranchResult =
    std::is_same_v<R, Tensor> || std::is_same_v<R, std::vector<Tensor>>;

// A copy of the callable: a gradient through a traced cond calls the branch again later.
template <class F>
Branch as_branch(const F& f) {
  return [f]() mutable -> std::vector<Tensor> {
    if constexpr (std::is_same_v<std::decay_t<std::invoke_result_t<F&>>, Tensor>)
      return {f()};
    else
      return f();
  };
}

using LoopCond = std::function<Tensor(const std::vector<Tensor>&)>;
using LoopBody = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
std::vector<Tensor> while_loop(const LoopCond& cond, const LoopBody& body,
                               std::vector<Tensor> loop_vars,
                               std::optional<int64_t> maximum_iterations);

// One argument of tf::print: a tensor, or text printed as is.
struct PrintArg {
  PrintArg(const Tensor& t) : tensor(t) {}
  PrintArg(std::string s) : text(std::move(s)), is_text(true) {}
  PrintArg(const char* s) : text(s), is_text(true) {}
  Tensor tensor;
  std::string text;
  bool is_text = false;
};
void print(const std::vector<PrintArg>& args);
}  // namespace detail

// tf.cond: true_fn() if the scalar bool `pred` is true, else false_fn(). Both branches return a
// tf::Tensor, or both a std::vector<tf::Tensor>, with equal dtypes and shapes (else
// InvalidArgumentError naming both). Inside tf::function both branches are traced; tensors from
// outside may be used in them, but tensors made inside a branch cannot escape it except as its
// results.
template <class TrueFn, class FalseFn>
auto cond(const Tensor& pred, TrueFn&& true_fn, FalseFn&& false_fn) {
  using R = std::decay_t<std::invoke_result_t<TrueFn&>>;
  static_assert(detail::kBranchResult<R>,
                "tf::cond: a branch must return tf::Tensor or std::vector<tf::Tensor>");
  static_assert(std::is_same_v<R, std::decay_t<std::invoke_result_t<FalseFn&>>>,
                "tf::cond: both branches must return the same C++ type");
  auto out = detail::cond(pred, detail::as_branch(true_fn), detail::as_branch(false_fn));
  if constexpr (std::is_same_v<R, Tensor>)
    return out.at(0);
  else
    return out;
}

// tf.while_loop: while cond(vars) (a scalar bool tensor) is true, vars = body(vars). body returns
// as many tensors as loop_vars with the same dtypes and shapes (else InvalidArgumentError). With
// maximum_iterations, stops after that many iterations at most. Returns the final loop vars.
// Inside a tf::function a tape differentiates the loop. With maximum_iterations the forward
// loop stacks each iteration's variables (memory: maximum_iterations times theirs) and the
// backward costs one body evaluation per iteration; without it nothing is stored and the backward
// recomputes iteration i's variables from the initial ones (n(n+1)/2 body evaluations for n
// iterations), so give maximum_iterations where the loop is long. Either backward loop calls
// body again when the gradient is taken, so what body captures by reference must still live
// then, and a tf::print in it prints in the backward loop too.
inline std::vector<Tensor> while_loop(const detail::LoopCond& cond, const detail::LoopBody& body,
                                      std::vector<Tensor> loop_vars,
                                      std::optional<int64_t> maximum_iterations = std::nullopt) {
  return detail::while_loop(cond, body, std::move(loop_vars), maximum_iterations);
}

// tf.print: the arguments separated by spaces and a newline, tensors as NumPy prints their
// values ("[1 2 3]"). Eagerly it prints at once; inside tf::function it prints each time the
// compiled function runs (and never while tracing). Output goes to std::cout unless redirected
// with set_print_output.
template <class... Args>
void print(const Args&... args) {
  detail::print({detail::PrintArg(args)...});
}
// Where tf::print writes, process-wide (nullptr: std::cout). Returns the previous stream.
std::ostream* set_print_output(std::ostream* stream);

}  // namespace tf
TFJIT_API_END
