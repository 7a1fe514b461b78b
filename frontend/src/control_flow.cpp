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

bool differentiable(const Tensor& t) { return is_floating(t.dtype()); }

// Random draws in traced regions (TraceContext::DrawSites): a region continues the enclosing
// level's sites; when it closes, the level continues past every site the region used, and the
// outermost region commits them to the generators' counters.
using DrawSites = TraceContext::DrawSites;

// Entered when a region's tracing begins; leave() when it ends. A branch or body that throws
// leaves the trace's sites as they were before the region.
class DrawRegion {
 public:
  explicit DrawRegion(TraceContext& trace) : trace_(trace), saved_(trace.draw_sites()) {
    trace.draw_sites().in_region = true;
  }
  ~DrawRegion() {
    if (!left_) trace_.draw_sites() = std::move(saved_);
  }
  DrawRegion(const DrawRegion&) = delete;
  DrawRegion& operator=(const DrawRegion&) = delete;
  const DrawSites& saved() const { return saved_; }
  void leave(DrawSites done) {
    left_ = true;
    done.in_region = saved_.in_region;
    done.salt = saved_.salt;
    trace_.draw_sites() = std::move(done);
    if (!saved_.in_region) trace_.commit_draw_sites();
  }

 private:
  TraceContext& trace_;
  DrawSites saved_;
  bool left_ = false;
};

// The key salt of loop iteration `count` inside loops salted `outer`: (outer + count + 1) times
// an odd constant, a bijection of the iteration number modulo 2^64 (a hash across nested loops).
Tensor loop_salt(const Tensor& outer, const Tensor& count) {
  Tensor s = add(count, constant(int64_t{1}));
  if (outer.defined()) s = add(s, outer);
  return multiply(s, constant(static_cast<int64_t>(0x9E3779B97F4A7C15ull)));
}

// The sites as `start` had them, for every counter `done` drew from: a gradient re-running a
// branch or an iteration with these draws what the forward drew.
DrawSites replay_sites(DrawSites start, const DrawSites& done) {
  start.in_region = true;
  for (const auto& s : done.sites) start.site(s.counter, s.base);
  return start;
}

// Runs `f` with the trace's draw sites set to `sites`, then puts the trace's own back.
template <class F>
std::vector<Tensor> with_sites(const DrawSites& sites, const F& f) {
  TraceContext* trace = TraceContext::current();
  if (!trace) return f();
  DrawSites own = std::exchange(trace->draw_sites(), sites);
  try {
    std::vector<Tensor> out = f();
    trace->draw_sites() = std::move(own);
    return out;
  } catch (...) {
    trace->draw_sites() = std::move(own);
    throw;
  }
}

// What a traced loop's draws need for a replay of iteration i: the sites its body started from
// and the counters it drew from, under the enclosing loops' salt.
struct LoopDraws {
  DrawSites body_start, done;
  Tensor outer_salt;
  LoopBody replaying(const LoopBody& body, const Tensor& i) const {
    DrawSites sites = replay_sites(body_start, done);
    sites.salt = loop_salt(outer_salt, i);
    return [sites, body](const std::vector<Tensor>& v) {
      return with_sites(sites, [&] { return body(v); });
    };
  }
};

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
  DrawRegion region(*trace);  // both branches draw from the same sites
  const DrawSites& saved = region.saved();
  DrawSites done;
  {
    // No tape records inside a region: its values do not exist outside it, so their backward
    // functions could not be traced later. The cond is recorded whole once it is closed.
    TapesAside pause(/*in_region=*/true);  // recorded whole, as a cond (see there)
    trace->begin_if(pred);
    then_results = true_fn();
    check_defined("cond", "true_fn result", then_results);
    done = std::exchange(trace->draw_sites(), saved);
    trace->draw_sites().in_region = true;
    trace->begin_else(then_results);
    else_results = false_fn();
    check_match("cond", "true_fn", then_results, "false_fn", else_results);
    for (const auto& s : trace->draw_sites().sites) {  // past the sites of either branch
      auto& site = done.site(s.counter, s.base);
      site.next = std::max(site.next, s.next);
    }
    results = trace->end_if(else_results, &outer);
  }
  const DrawSites replay = replay_sites(saved, done);
  region.leave(std::move(done));
  record_cond(
      pred, [=] { return with_sites(replay, true_fn); },
      [=] { return with_sites(replay, false_fn); }, outer, results);
  return results;
}

namespace {

// The traced loop itself: an scf.while whose regions are traced with tapes paused. The last loop
// variable is the iteration count (the caller's body increments it), whose salt keys the
// regions' draws. `outer` gets the tensors its regions capture from the enclosing graph, `draws`
// what a replay of an iteration's draws needs.
std::vector<Tensor> traced_while(TraceContext& trace, const LoopCond& cond, const LoopBody& body,
                                 const std::vector<Tensor>& loop_vars, std::vector<Tensor>* outer,
                                 LoopDraws* draws) {
  TapesAside pause(/*in_region=*/true);
  DrawRegion region(trace);
  const DrawSites& saved = region.saved();
  std::vector<Tensor> args = trace.begin_while(loop_vars);
  trace.draw_sites().salt = loop_salt(saved.salt, args.back());
  Tensor c = cond(args);
  check_pred(c, "while_loop", "the result of cond");
  std::vector<Tensor> body_args = trace.begin_while_body(c);
  DrawSites body_start = trace.draw_sites();  // the body's sites follow cond's
  trace.draw_sites().salt = loop_salt(saved.salt, body_args.back());
  std::vector<Tensor> next = body(body_args);
  check_match("while_loop", "loop_vars", loop_vars, "the result of body", next);
  DrawSites done = trace.draw_sites();
  std::vector<Tensor> results = trace.end_while(next, outer);
  if (draws) *draws = {std::move(body_start), done, saved.salt};
  region.leave(std::move(done));
  return results;
}

// The loop with its iteration count as one more loop variable (the last); with `limit`, at most
// that many iterations (the count is checked before cond).
std::vector<Tensor> traced_while_counted(TraceContext& trace, const LoopCond& cond,
                                         const LoopBody& body, std::vector<Tensor> loop_vars,
                                         std::optional<int64_t> limit, std::vector<Tensor>* outer,
                                         LoopDraws* draws = nullptr) {
  auto inner = [](const std::vector<Tensor>& v) {
    return std::vector<Tensor>(v.begin(), v.end() - 1);
  };
  loop_vars.push_back(constant(int64_t{0}));
  return traced_while(
      trace,
      [&](const std::vector<Tensor>& v) {
        if (!limit) return cond(inner(v));
        return logical_and(less(v.back(), constant(*limit)), cond(inner(v)));
      },
      [&](const std::vector<Tensor>& v) {
        std::vector<Tensor> next = body(inner(v));
        check_match("while_loop", "loop_vars", inner(v), "the result of body", next);
        next.push_back(add(v.back(), constant(int64_t{1})));
        return next;
      },
      loop_vars, outer, draws);
}

// One step of a backward loop: the body's vector-Jacobian product at `at` (the loop variables
// as one iteration received them) given `grads` (the gradients of that iteration's results),
// traced under a fresh tape. Returns the gradients of `at` (a non-float variable's entry is its
// `grads` entry, passed through), then those of `captures` (the tensors the body captures).
std::vector<Tensor> body_vjp(const LoopBody& body, const std::vector<Tensor>& at,
                             const std::vector<Tensor>& grads, const std::vector<Tensor>& captures,
                             DType dtype) {
  GradientTape tape(/*persistent=*/false, /*watch_accessed_variables=*/false);
  std::vector<Source> sources;
  for (const Tensor& t : at)
    if (differentiable(t)) tape.watch(t), sources.emplace_back(t);
  for (const Tensor& c : captures) tape.watch(c), sources.emplace_back(c);
  std::vector<Tensor> next = body(at);
  check_match("while_loop", "loop_vars", at, "the result of body", next);
  Tensor target = zeros({}, dtype);
  for (size_t i = 0; i < at.size(); ++i)
    if (differentiable(next[i]))
      target = add(target, cast(reduce_sum(multiply(next[i], grads[i])), dtype));
  std::vector<Tensor> vjp = tape.gradient(target, sources, UnconnectedGradients::ZERO);
  std::vector<Tensor> out;
  size_t k = 0;
  for (size_t i = 0; i < at.size(); ++i) out.push_back(differentiable(at[i]) ? vjp[k++] : grads[i]);
  out.insert(out.end(), vjp.begin() + static_cast<std::ptrdiff_t>(k), vjp.end());
  return out;
}

// The backward loop's variables: the index of the iteration to differentiate (from count - 1
// down to 0), the gradients of the user variables (g for variable r), those of the captures.
std::vector<Tensor> backward_start(const Tensor& count, const std::vector<Tensor>& init,
                                   const std::vector<Tensor>& captures, size_t r, const Tensor& g) {
  std::vector<Tensor> carried{subtract(count, constant(int64_t{1}))};
  for (size_t i = 0; i < init.size(); ++i) carried.push_back(i == r ? g : zeros_like(init[i]));
  for (const Tensor& c : captures) carried.push_back(zeros_like(c));
  return carried;
}

// The backward loop's step at iteration v[0] (received `at`): the body's vector-Jacobian
// product, with the captures' gradients accumulated. `extra` (if any) is added to variable r's
// gradient.
std::vector<Tensor> backward_step(const LoopBody& body, const std::vector<Tensor>& v,
                                  const std::vector<Tensor>& at,
                                  const std::vector<Tensor>& captures, DType dtype, size_t r,
                                  const Tensor& extra) {
  const size_t n = at.size();
  std::vector<Tensor> grads(v.begin() + 1, v.begin() + 1 + static_cast<std::ptrdiff_t>(n));
  std::vector<Tensor> vjp = body_vjp(body, at, grads, captures, dtype);
  std::vector<Tensor> step{subtract(v[0], constant(int64_t{1}))};
  for (size_t i = 0; i < n; ++i)
    step.push_back(i == r && extra.defined() && differentiable(at[i]) ? add(vjp[i], extra)
                                                                      : vjp[i]);
  for (size_t c = 0; c < captures.size(); ++c) step.push_back(add(v[1 + n + c], vjp[n + c]));
  return step;
}

// The gradients the recorded op returns, one per input (captures, then init), from the backward
// loop's final variables.
std::vector<Tensor> recorded_gradients(const std::vector<Tensor>& done,
                                       const std::vector<Tensor>& outer,
                                       const std::vector<Tensor>& init) {
  const size_t n = init.size();
  std::vector<Tensor> grads;
  size_t c = 0;
  for (const Tensor& t : outer) grads.push_back(differentiable(t) ? done[1 + n + c++] : Tensor());
  for (size_t i = 0; i < n; ++i) grads.push_back(differentiable(init[i]) ? done[1 + i] : Tensor());
  return grads;
}

std::vector<Tensor> float_captures(const std::vector<Tensor>& outer) {
  std::vector<Tensor> captures;  // the float captures, whose gradients accumulate
  for (const Tensor& t : outer)
    if (differentiable(t)) captures.push_back(t);
  return captures;
}

// A traced loop differentiated as TensorFlow's While op under XLA: the forward loop also stores
// each iteration's loop variables in a (maximum_iterations, ...) stack; the backward loop runs
// the iterations in reverse, reading them back and taking the body's vector-Jacobian product
// under a fresh tape, accumulating the gradients of the tensors the body captures. Recorded as
// one op per float result (the body must stay callable until the gradient is taken).
std::vector<Tensor> differentiable_while(TraceContext& trace, const LoopCond& cond,
                                         const LoopBody& body, const std::vector<Tensor>& init,
                                         int64_t limit) {
  const size_t n = init.size();
  // Loop variables: the user's, then a stack per user variable, then the count.
  std::vector<Tensor> vars = init;
  for (const Tensor& v : init) {
    std::vector<int64_t> dims = v.shape().dims();
    dims.insert(dims.begin(), limit);
    vars.push_back(broadcast_to(zeros({}, v.dtype()), TensorShape(dims), {expand_dims(v, 0)}));
  }
  vars.push_back(constant(int64_t{0}));
  std::vector<Tensor> outer;
  LoopDraws draws;
  std::vector<Tensor> out = traced_while(
      trace,
      [&](const std::vector<Tensor>& v) {
        return logical_and(less(v.back(), constant(limit)), cond({v.begin(), v.begin() + n}));
      },
      [&](const std::vector<Tensor>& v) {
        std::vector<Tensor> user(v.begin(), v.begin() + n);
        std::vector<Tensor> next = body(user);
        check_match("while_loop", "loop_vars", user, "the result of body", next);
        const Tensor& count = v.back();  // this iteration's index
        Tensor here = equal(range(limit, int64), count);
        for (size_t i = 0; i < n; ++i) {
          std::vector<int64_t> mask_dims(static_cast<size_t>(user[i].ndim()) + 1, 1);
          mask_dims[0] = limit;
          next.push_back(where(reshape(here, mask_dims), expand_dims(user[i], 0), v[n + i]));
        }
        next.push_back(add(count, constant(int64_t{1})));
        return next;
      },
      vars, &outer, &draws);
  std::vector<Tensor> results(out.begin(), out.begin() + n), stacks(out.begin() + n, out.end() - 1);
  const Tensor count = out.back();
  std::vector<Tensor> inputs = outer;  // what the recorded op differentiates: captures, then init
  inputs.insert(inputs.end(), init.begin(), init.end());
  if (!should_record(inputs)) return results;
  const std::vector<Tensor> captures = float_captures(outer);
  // The gradient of one output, given g: of user result r, or (for a second order, whose
  // backward reads the stacks) of stack r, whose entry j is iteration j's variable r.
  auto backward = [=](size_t r, bool of_stack, const Tensor& g) {
    std::vector<Tensor> done = detail::while_loop(
        [](const std::vector<Tensor>& v) { return greater_equal(v[0], constant(int64_t{0})); },
        [=](const std::vector<Tensor>& v) {  // by value: a second order calls it later
          std::vector<Tensor> at;            // the loop variables as iteration v[0] received them
          for (size_t i = 0; i < n; ++i) at.push_back(gather(stacks[i], v[0], 0));
          return backward_step(draws.replaying(body, v[0]), v, at, captures, g.dtype(), r,
                               of_stack ? gather(g, v[0], 0) : Tensor());
        },
        backward_start(count, init, captures, of_stack ? n : r, g),
        limit);  // bounded, so that it differentiates again
    return recorded_gradients(done, outer, init);
  };
  for (size_t r = 0; r < n; ++r) {
    if (!differentiable(results[r])) continue;
    record(inputs, results[r], [=](const Tensor& g) { return backward(r, false, g); });
    record(inputs, stacks[r], [=](const Tensor& g) { return backward(r, true, g); });
  }
  return results;
}

// A traced loop without maximum_iterations under a recording tape. Shapes may not change across
// iterations nor depend on data, so the iterations' variables cannot be stacked; the forward
// loop only counts its iterations (n, a run-time scalar). The backward loop runs i = n-1 .. 0;
// its step first recomputes iteration i's variables by running the body i times from the
// initial values (an inner loop bounded by the count: cond is not needed again), then takes the
// body's vector-Jacobian product as differentiable_while's backward does. O(n^2) body
// evaluations in all, O(1) extra memory. The backward loops are unbounded themselves and
// differentiate again the same way (each further order multiplies the cost by n).
std::vector<Tensor> recomputing_while(TraceContext& trace, const LoopCond& cond,
                                      const LoopBody& body, const std::vector<Tensor>& init) {
  const size_t n = init.size();
  std::vector<Tensor> outer;
  LoopDraws draws;
  std::vector<Tensor> out =
      traced_while_counted(trace, cond, body, init, std::nullopt, &outer, &draws);
  const Tensor count = out.back();
  out.pop_back();
  std::vector<Tensor> inputs = outer;  // what the recorded op differentiates: captures, then init
  inputs.insert(inputs.end(), init.begin(), init.end());
  if (!should_record(inputs)) return out;
  const std::vector<Tensor> captures = float_captures(outer);
  auto backward = [=](size_t r, const Tensor& g) {
    std::vector<Tensor> done = detail::while_loop(
        [](const std::vector<Tensor>& v) { return greater_equal(v[0], constant(int64_t{0})); },
        [=](const std::vector<Tensor>& v) {  // by value: a second order calls it later
          std::vector<Tensor> start = init;  // iteration v[0]'s variables: body^v[0](init)
          start.push_back(constant(int64_t{0}));
          std::vector<Tensor> at = detail::while_loop(
              [i = v[0]](const std::vector<Tensor>& w) { return less(w.back(), i); },
              [body, draws](const std::vector<Tensor>& w) {
                std::vector<Tensor> next =
                    draws.replaying(body, w.back())({w.begin(), w.end() - 1});
                next.push_back(add(w.back(), constant(int64_t{1})));
                return next;
              },
              start, std::nullopt);
          at.pop_back();
          return backward_step(draws.replaying(body, v[0]), v, at, captures, g.dtype(), r,
                               Tensor());
        },
        backward_start(count, init, captures, r, g), std::nullopt);
    return recorded_gradients(done, outer, init);
  };
  for (size_t r = 0; r < n; ++r)
    if (differentiable(out[r]))
      record(inputs, out[r], [=](const Tensor& g) { return backward(r, g); });
  return out;
}

}  // namespace

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
  if (maximum_iterations == 0) return loop_vars;  // never iterates (and has no stack to read)
  // Under a recording tape the loop keeps what its gradient needs (whether or not the tape turns
  // out to watch what it captures: that is known only once the body is traced).
  if (tape_recording()) {
    if (maximum_iterations)
      return differentiable_while(*trace, cond, body, loop_vars, *maximum_iterations);
    return recomputing_while(*trace, cond, body, loop_vars);
  }
  std::vector<Tensor> results =
      traced_while_counted(*trace, cond, body, loop_vars, maximum_iterations, nullptr);
  results.pop_back();
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
