// Tracing: while a tf::function body runs on symbolic tensors, every op call lands here and
// becomes a graph op instead of running a kernel. One TraceContext per trace, stacked per thread.
#pragma once

#include <initializer_list>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/compiler.h"
#include "tfjit/tensor.h"

namespace tf::detail {

class VariableImpl;

class TraceContext {
 public:
  TraceContext();  // becomes the current trace of this thread
  ~TraceContext();
  TraceContext(const TraceContext&) = delete;
  TraceContext& operator=(const TraceContext&) = delete;

  static TraceContext* current();
  // Makes `trace` current (null: none, as tf::init_scope) and returns the one it replaces.
  static TraceContext* exchange_current(TraceContext* trace);
  // Unique per trace, never reused, so a tensor that escaped an old trace is always recognised.
  uint64_t id() const { return id_; }
  // Whether symbolic tensors of trace `id` may be used here: this one's, and capture_from's.
  bool accepts(uint64_t id) const { return id == id_ || (id && id == residuals_from_); }

  Tensor add_argument(DType dtype, const TensorShape& shape);
  // Adds `op` with `inputs` (symbolic tensors of this trace, or concrete tensors, which are
  // captured) and returns its symbolic result.
  Tensor emit(std::string_view op, const std::vector<Tensor>& inputs,
              std::vector<compiler::NamedAttr> attrs, DType dtype, const TensorShape& shape);
  // A read of `variable`: a graph argument bound to the variable's value at each call, or the
  // value last assigned to it earlier in this trace.
  Tensor capture_variable(const std::shared_ptr<VariableImpl>& variable);
  // Makes reads of `variable` in this trace give `value` (a graph value) instead of capturing
  // it, and keeps its assignments inside the trace (none is written back): a call's gradient
  // re-traces the body on the values the call read (function.cpp).
  void override_variable(const std::shared_ptr<VariableImpl>& variable, const Tensor& value);
  bool overridden(const VariableImpl* variable) const { return overridden_.count(variable) > 0; }
  // An assignment: later reads in the trace see `value`; the graph returns the final value of
  // each assigned variable after the function's own results, and the call stores it.
  void assign_variable(const std::shared_ptr<VariableImpl>& variable, const Tensor& value);
  // Draws from a random generator: later reads of its `counter` in the trace see `next` (its
  // value + `draws`). The compiled call does not write the counter back: it advances the counter
  // by the trace's draw count as it reads it (draws()), so concurrent calls never share words.
  void advance_counter(const std::shared_ptr<VariableImpl>& counter, const Tensor& next,
                       int64_t draws = 1);
  // Where draws land inside traced control flow (random.cpp, control_flow.cpp). Outside any
  // region a draw takes the generator's next counter value. Inside a cond branch or loop it takes
  // `base + offset` (base: the counter's value when the outermost region was entered; offset:
  // the next site, numbered in tracing order, both branches of a cond from the same start) under
  // the key plus `salt`, a hash of the enclosing loops' iteration numbers. So every evaluation
  // draws distinct words, the graph takes a static number of counter values (the sites), and a
  // gradient that re-runs a branch or an iteration can replay its draws (DrawSites as they were).
  struct DrawSites {
    struct Site {
      std::shared_ptr<VariableImpl> counter;
      Tensor base;
      int64_t next = 0;
    };
    bool in_region = false;
    Tensor salt;  // int64 scalar, or null outside loops
    std::vector<Site> sites;
    Site& site(const std::shared_ptr<VariableImpl>& counter, const Tensor& base);
  };
  DrawSites& draw_sites() { return draw_sites_; }
  // Leaves the outermost region: each counter drawn in it advances past its sites.
  void commit_draw_sites();
  // Per captured counter, how many draws the graph makes from it.
  const std::unordered_map<const VariableImpl*, int64_t>& draws() const { return draws_; }
  // Inside a tf::cond branch or tf::while_loop body being traced (where assign is refused).
  bool in_control_flow() const { return builder_.depth() > 0; }
  const std::vector<std::shared_ptr<VariableImpl>>& assigned() const { return assigned_; }
  std::unique_ptr<compiler::Graph> finish(const std::vector<Tensor>& outputs);
  // A side-effecting op without a result (tfjit.print).
  void emit_effect(std::string_view op, const std::vector<Tensor>& inputs,
                   std::vector<compiler::NamedAttr> attrs);

  // Structured control flow, driven by frontend/src/control_flow.cpp (see GraphBuilder).
  void begin_if(const Tensor& pred);
  void begin_else(const std::vector<Tensor>& then_results);
  // `outer_uses` receives the tensors from outside that the branches used (what a gradient
  // through the cond flows to).
  std::vector<Tensor> end_if(const std::vector<Tensor>& else_results,
                             std::vector<Tensor>* outer_uses = nullptr);
  std::vector<Tensor> begin_while(const std::vector<Tensor>& inits);
  std::vector<Tensor> begin_while_body(const Tensor& cond);
  std::vector<Tensor> end_while(const std::vector<Tensor>& next,
                                std::vector<Tensor>* outer_uses = nullptr);
  // What the graph reads as extra arguments, after the declared ones, in argument order: a
  // concrete tensor, or a variable (its current value is passed at each call).
  struct Capture {
    Tensor tensor;
    std::shared_ptr<VariableImpl> variable;
  };
  const std::vector<Capture>& captures() const { return captures_; }
  // Symbolic tensors of `forward`, a trace still open around this one, are captured here as
  // concrete tensors are, as arguments (frontend/src/forward_backward.cpp binds them).
  void capture_from(const TraceContext& forward) { residuals_from_ = forward.id_; }

 private:
  int value_of(const Tensor& t);
  int resolve(const Tensor& t);
  Tensor symbolic(int value, DType dtype, const TensorShape& shape);
  Tensor symbolic(int value);
  std::vector<Tensor> symbolic(const std::vector<int>& values);
  std::vector<int> values_of(const std::vector<Tensor>& tensors);

  compiler::GraphBuilder builder_;
  std::vector<Capture> captures_;
  std::unordered_map<const VariableImpl*, Tensor>
      captured_variables_;  // current value in the trace
  std::vector<std::shared_ptr<VariableImpl>> assigned_;
  std::unordered_map<const VariableImpl*, int64_t> draws_;
  DrawSites draw_sites_;
  std::unordered_set<const VariableImpl*> overridden_;
  std::vector<int> capture_values_;
  // Concrete tensor -> graph value. The tensors are kept alive so no address is reused.
  std::unordered_map<const TensorImpl*, int> captured_;
  std::vector<Tensor> embedded_;
  std::vector<std::vector<Tensor>> uses_;  // per open control-flow op, outermost first
  uint64_t residuals_from_ = 0;
  size_t num_arguments_ = 0;  // the function's own, before the captures
  // The graph can fail at run time after it has computed values, with no flag it computes to
  // show it: it waits on other processes (a collective that may time out) or checks its input
  // inside control flow.
  bool may_fail_ = false;
  // The flags of its checks of its input at the top level (tfjit.fail_if): true where one fails.
  std::vector<Tensor> failure_flags_;
  // Each variable's argument: its value before the call.
  std::unordered_map<const VariableImpl*, Tensor> variable_arguments_;
  std::unordered_set<int> elementwise_;  // values of elementwise ops (unary, binary, cast, select)
  TraceContext* parent_;
  uint64_t id_;
};

}  // namespace tf::detail
