// tf::cond, tf::while_loop and tf::print: run directly when eager; traced into scf.if /
// scf.while regions and a tfjit.print op inside tf::function (see TraceContext::begin_if...).
#include "tfjit/control_flow.h"

#include <algorithm>
#include <iostream>
#include <mutex>
#include <utility>

#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/gpu.h"
#include "runtime/print.h"
#include "tfjit/creation.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf::detail {

namespace {

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " " + t.shape().to_string();
}

void check_pred(const Tensor& pred, const std::string& op, const std::string& what) {
  checked(pred, op, what);
  if (pred.dtype() != bool_ || pred.ndim() != 0)
    throw InvalidArgumentError(op + ": " + what + " must be a scalar bool tensor, got " +
                               describe(pred));
}

void check_defined(const std::string& op, const std::string& what, const std::vector<Tensor>& ts) {
  for (size_t i = 0; i < ts.size(); ++i)
    if (!ts[i].defined())
      throw InvalidArgumentError(op + ": " + what + " " + std::to_string(i) + " is a null tensor");
}

// Both sides must agree tensor by tensor: the compiled op has one result type per position.
void check_match(const std::string& op, const std::string& a_name, const std::vector<Tensor>& a,
                 const std::string& b_name, const std::vector<Tensor>& b) {
  check_defined(op, a_name, a);
  check_defined(op, b_name, b);
  if (a.size() != b.size())
    throw InvalidArgumentError(op + ": " + a_name + " has " + std::to_string(a.size()) +
                               " tensors but " + b_name + " has " + std::to_string(b.size()));
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].dtype() != b[i].dtype() || a[i].shape() != b[i].shape())
      throw InvalidArgumentError(op + ": tensor " + std::to_string(i) + " is " + describe(a[i]) +
                                 " in " + a_name + " but " + describe(b[i]) + " in " + b_name +
                                 "; they must have the same dtype and shape");
}

// While a branch or loop body is traced, no tape records: ops inside a region produce values
// that do not exist outside it, so their backward functions could not be traced later. The
// construct as a whole is recorded instead (or refused) once its regions are closed.
class PauseTapes {
 public:
  PauseTapes() : previous_(paused_tapes) {
    saved_.swap(active_tapes);
    if (!saved_.empty()) paused_tapes = &saved_;
  }
  ~PauseTapes() {
    saved_.swap(active_tapes);
    paused_tapes = previous_;
  }
  PauseTapes(const PauseTapes&) = delete;
  PauseTapes& operator=(const PauseTapes&) = delete;

 private:
  std::vector<TapeImpl*> saved_;
  const std::vector<TapeImpl*>* previous_;
};

bool differentiable(const Tensor& t) { return is_floating(t.dtype()); }

// The gradient of branch result `i` with respect to `sources`, given its upstream gradient `g`:
// the branch is traced again under a fresh tape (inside the backward cond's region), and
// d(sum(y * g))/d(source) is the vector-Jacobian product. Unconnected sources get zeros, so
// both branches of the backward cond return the same tensors.
std::vector<Tensor> branch_gradient(const Branch& fn, size_t i, const Tensor& g,
                                    const std::vector<Tensor>& sources) {
  GradientTape tape(/*persistent=*/false, /*watch_accessed_variables=*/false);
  for (const Tensor& s : sources) tape.watch(s);
  std::vector<Tensor> ys = fn();
  std::vector<Source> srcs(sources.begin(), sources.end());
  return tape.gradient(reduce_sum(ys.at(i) * g), srcs, UnconnectedGradients::ZERO);
}

// A traced cond on a watched input is recorded as one op per float result, whose backward is
// another cond on the same predicate computing the gradient of the branch that ran, as
// TensorFlow differentiates its If op. The branches must stay callable until the gradient is
// taken (the usual case: the tape's gradient() call comes later in the same trace).
void record_cond(const Tensor& pred, const Branch& true_fn, const Branch& false_fn,
                 const std::vector<Tensor>& outer, const std::vector<Tensor>& results) {
  if (!should_record(outer)) return;
  std::vector<Tensor> sources;
  for (const Tensor& t : outer)
    if (differentiable(t)) sources.push_back(t);
  for (size_t i = 0; i < results.size(); ++i) {
    if (!differentiable(results[i])) continue;
    record(outer, results[i], [=](const Tensor& g) {
      std::vector<Tensor> grads = detail::cond(
          pred, [&] { return branch_gradient(true_fn, i, g, sources); },
          [&] { return branch_gradient(false_fn, i, g, sources); });
      std::vector<Tensor> out;  // one per input of the recorded op; none for non-floats
      size_t k = 0;
      for (const Tensor& t : outer) out.push_back(differentiable(t) ? grads.at(k++) : Tensor());
      return out;
    });
  }
}

}  // namespace

std::vector<Tensor> cond(const Tensor& pred, const Branch& true_fn, const Branch& false_fn) {
  check_pred(pred, "cond", "pred");
  TraceContext* trace = TraceContext::current();
  if (!trace || !pred.is_symbolic()) {
    // Eager, or a predicate already known while tracing (TensorFlow's smart_cond): only the
    // taken branch runs, and a tape simply records its ops.
    auto out = pred.item<bool>() ? true_fn() : false_fn();
    check_defined("cond", "result", out);
    return out;
  }
  std::vector<Tensor> then_results, else_results, outer;
  std::vector<Tensor> results;
  {
    PauseTapes pause;
    trace->begin_if(pred);
    then_results = true_fn();
    check_defined("cond", "true_fn result", then_results);
    trace->begin_else(then_results);
    else_results = false_fn();
    check_match("cond", "true_fn", then_results, "false_fn", else_results);
    results = trace->end_if(else_results, &outer);
  }
  record_cond(pred, true_fn, false_fn, outer, results);
  return results;
}

std::vector<Tensor> while_loop(const LoopCond& cond, const LoopBody& body,
                               std::vector<Tensor> loop_vars,
                               std::optional<int64_t> maximum_iterations) {
  if (loop_vars.empty()) throw InvalidArgumentError("while_loop: loop_vars is empty");
  for (const Tensor& v : loop_vars) checked(v, "while_loop", "loop_vars");
  if (maximum_iterations && *maximum_iterations < 0)
    throw InvalidArgumentError("while_loop: maximum_iterations must be >= 0, got " +
                               std::to_string(*maximum_iterations));
  TraceContext* trace = TraceContext::current();
  if (!trace) {
    for (int64_t i = 0; !maximum_iterations || i < *maximum_iterations; ++i) {
      Tensor c = cond(loop_vars);
      check_pred(c, "while_loop", "the result of cond");
      if (!c.item<bool>()) break;
      std::vector<Tensor> next = body(loop_vars);
      check_match("while_loop", "loop_vars", loop_vars, "the result of body", next);
      loop_vars = std::move(next);
    }
    return loop_vars;
  }
  if (maximum_iterations) {
    // The iteration count becomes one more loop variable, checked before cond.
    const int64_t limit = *maximum_iterations;
    auto inner = [](const std::vector<Tensor>& v) {
      return std::vector<Tensor>(v.begin(), v.end() - 1);
    };
    loop_vars.push_back(constant(int64_t{0}));
    auto out = detail::while_loop(
        [&](const std::vector<Tensor>& v) {
          return logical_and(less(v.back(), constant(limit)), cond(inner(v)));
        },
        [&](const std::vector<Tensor>& v) {
          std::vector<Tensor> next = body(inner(v));
          check_match("while_loop", "loop_vars", inner(v), "the result of body", next);
          next.push_back(add(v.back(), constant(int64_t{1})));
          return next;
        },
        std::move(loop_vars), std::nullopt);
    out.pop_back();
    return out;
  }
  std::vector<Tensor> outer, results;
  {
    PauseTapes pause;
    std::vector<Tensor> args = trace->begin_while(loop_vars);
    Tensor c = cond(args);
    check_pred(c, "while_loop", "the result of cond");
    std::vector<Tensor> body_args = trace->begin_while_body(c);
    std::vector<Tensor> next = body(body_args);
    check_match("while_loop", "loop_vars", loop_vars, "the result of body", next);
    results = trace->end_while(next, &outer);
  }
  outer.insert(outer.end(), loop_vars.begin(), loop_vars.end());
  if (should_record(outer))
    throw UnimplementedError(
        "while_loop: gradients through a tf::while_loop inside a tf::function are not supported "
        "yet (a GradientTape watches one of its inputs); eagerly they are");
  return results;
}

namespace {
std::mutex print_mutex;
std::ostream* print_output = nullptr;
}  // namespace

void write_print_line(const std::string& line) {
  std::lock_guard guard(print_mutex);
  std::ostream& os = print_output ? *print_output : std::cout;
  os << line << '\n';
  os.flush();
}

namespace {
// A compiled function's tf::print, on any device (runtime/print.h): the views arrive on the
// host and are gathered by the CPU's strided copy.
void print_compiled(const std::vector<std::string>& texts,
                    const std::vector<rt::PrintedTensor>& tensors) {
  std::string line = texts.at(0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    Tensor host = empty(t.dtype, TensorShape(t.shape));
    core::ElementwisePlan plan;
    plan.dims = t.shape.empty() ? std::vector<int64_t>{1} : t.shape;  // a scalar: one element
    plan.strides[0] = t.strides.empty() ? std::vector<int64_t>{1} : t.strides;
    if (host.num_elements() > 0)
      cpu_kernels().get<rt::StridedCopyKernel>(ops::Primitive::strided_copy, t.dtype)(
          t.bytes.data(), raw_mut(host), dtype_size(t.dtype), plan);
    line += print_values(host);
    line += texts.at(i + 1);
  }
  write_print_line(line);
}
const bool print_compiled_registered = (rt::set_print_handler(&print_compiled), true);
}  // namespace

void print(const std::vector<PrintArg>& args) {
  for (const PrintArg& a : args)
    if (!a.is_text) checked(a.tensor, "print", "inputs");
  if (TraceContext* trace = TraceContext::current()) {
    // A graph op: it prints each time the compiled function runs. "{}" marks each tensor;
    // literal braces are doubled, as in std::format.
    std::string format;
    std::vector<Tensor> tensors;
    for (size_t i = 0; i < args.size(); ++i) {
      if (i) format += ' ';
      if (!args[i].is_text) {
        format += "{}";
        tensors.push_back(args[i].tensor);
        continue;
      }
      for (char ch : args[i].text) {
        format += ch;
        if (ch == '{' || ch == '}') format += ch;
      }
    }
    trace->emit_effect("print", tensors, {{"format", format}});
    return;
  }
  std::string line;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) line += ' ';
    line += args[i].is_text ? args[i].text : print_values(args[i].tensor);
  }
  write_print_line(line);
}

}  // namespace tf::detail

namespace tf {
std::ostream* set_print_output(std::ostream* stream) {
  std::lock_guard guard(detail::print_mutex);
  return std::exchange(detail::print_output, stream);
}
}  // namespace tf
