// The engine behind tf::function: one cache entry per input signature (dtype and shape of each
// tensor argument, value of each other argument), each holding the compiled executable and what
// the graph captured. Retraces are explained, and frequent ones warned about, as TensorFlow does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "compiler/compiler.h"
#include "core/shape_rules.h"
#include "frontend/src/concrete.h"
#include "frontend/src/distribute/distribute_internal.h"
#include "frontend/src/forward_backward.h"
#include "frontend/src/in_place.h"
#include "frontend/src/placement.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "runtime/gpu.h"
#include "runtime/parallel.h"
#include "tfjit/config.h"
#include "tfjit/creation.h"
#include "tfjit/function.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf {

std::string TensorSpec::to_string() const {
  return "TensorSpec(shape=" + (rank_known ? shape.to_string() : std::string("<unknown>")) +
         ", dtype=" + std::string(dtype_name(dtype)) + ")";
}

}  // namespace tf

namespace tf::detail {

namespace {

// The signature key, flattened: per argument its dtype, rank and dims. A call's key has
// concrete dims; an entry's key may hold kUnknownDim (input_signature, reduce_retracing), which
// matches any size. Dtype and rank fields are never negative, so -1 can only be a dim.
using Key = std::vector<int64_t>;

bool matches(const Key& entry, const Key& call) {
  if (entry.size() != call.size()) return false;
  for (size_t i = 0; i < call.size(); ++i)
    if (entry[i] != call[i] && entry[i] != kUnknownDim) return false;
  return true;
}

// The tensor shapes a key describes, in argument order.
std::vector<TensorShape> shapes_of(const Key& key) {
  std::vector<TensorShape> shapes;
  for (size_t i = 0; i < key.size(); i += 2 + static_cast<size_t>(key[i + 1]))
    shapes.emplace_back(key.begin() + static_cast<long>(i) + 2,
                        key.begin() + static_cast<long>(i) + 2 + key[i + 1]);
  return shapes;
}

// Checks a call against the input signature (before anything is traced or run, so a bad call
// leaves the function usable) and returns the key to trace: the specs' shapes, an unknown
// rank specialised to the call's rank with every dim unknown.
Key signature_key(const std::vector<TensorSpec>& signature, std::span<const Tensor> args) {
  if (signature.size() != args.size())
    throw InvalidArgumentError("tf::function: the input_signature has " +
                               std::to_string(signature.size()) + " spec(s) but the call passes " +
                               std::to_string(args.size()) + " tensor argument(s)");
  Key key;
  for (size_t i = 0; i < args.size(); ++i) {
    const TensorSpec& spec = signature[i];
    const Tensor& t = args[i];
    if (!t.defined()) throw InvalidArgumentError("tf::function: argument is a null tensor");
    bool ok = t.dtype() == spec.dtype &&
              (!spec.rank_known || core::match_shape(spec.shape, t.shape()).empty());
    if (!ok)
      throw InvalidArgumentError(
          "tf::function: tensor argument " + std::to_string(i) +
          " does not match the input_signature: expected " + spec.to_string() + ", got a " +
          std::string(dtype_name(t.dtype())) + " tensor of shape " + t.shape().to_string());
    key.push_back(static_cast<int64_t>(t.dtype()));
    key.push_back(t.ndim());
    if (spec.rank_known)
      key.insert(key.end(), spec.shape.begin(), spec.shape.end());
    else
      key.insert(key.end(), static_cast<size_t>(t.ndim()), kUnknownDim);
  }
  return key;
}

// reduce_retracing: `call` with every dim that differs from `before` made unknown, if the two
// keys differ only in dims (same dtypes and ranks); otherwise `call` unchanged.
Key generalize(const Key& before, const Key& call) {
  if (before.size() != call.size()) return call;
  Key out = call;
  for (size_t i = 0; i < call.size(); i += 2 + static_cast<size_t>(call[i + 1])) {
    if (before[i] != call[i] || before[i + 1] != call[i + 1]) return call;
    for (size_t d = i + 2; d < i + 2 + static_cast<size_t>(call[i + 1]); ++d)
      if (before[d] != call[d]) out[d] = kUnknownDim;
  }
  return out;
}

void make_key(std::span<const Tensor> args, Key& key) {
  key.clear();
  for (const Tensor& t : args) {
    if (!t.defined()) throw InvalidArgumentError("tf::function: argument is a null tensor");
    const TensorImpl& impl = *t.impl();
    key.push_back(static_cast<int64_t>(impl.dtype));
    key.push_back(impl.shape.rank());
    key.insert(key.end(), impl.shape.begin(), impl.shape.end());
  }
}

// "tensor argument 0: shape (2, 3) -> (4, 3)": how signature `now` differs from `before`.
std::string explain(const Key& before, const std::vector<std::string>& before_values,
                    const Key& now, const std::vector<std::string>& values) {
  std::string out;
  auto note = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
  size_t i = 0, j = 0;
  for (int arg = 0; i < before.size() && j < now.size(); ++arg) {
    auto dtype_a = static_cast<DType>(before[i]), dtype_b = static_cast<DType>(now[j]);
    TensorShape a(before.begin() + static_cast<long>(i) + 2,
                  before.begin() + static_cast<long>(i) + 2 + before[i + 1]);
    TensorShape b(now.begin() + static_cast<long>(j) + 2,
                  now.begin() + static_cast<long>(j) + 2 + now[j + 1]);
    std::string name = "tensor argument " + std::to_string(arg);
    if (dtype_a != dtype_b)
      note(name + ": dtype " + std::string(dtype_name(dtype_a)) + " -> " +
           std::string(dtype_name(dtype_b)));
    if (a != b) note(name + ": shape " + a.to_string() + " -> " + b.to_string());
    i += 2 + static_cast<size_t>(before[i + 1]);
    j += 2 + static_cast<size_t>(now[j + 1]);
  }
  for (size_t k = 0; k < std::min(values.size(), before_values.size()); ++k)
    if (values[k] != before_values[k])
      note("value argument " + std::to_string(k) + ": " + before_values[k] + " -> " + values[k]);
  return out.empty() ? "a new signature" : out;
}

}  // namespace

int64_t Concrete::code_bytes() const {
  // A function on a GPU compiles host code only for shapes the GPU cannot run, at a call: its
  // code is the GPU programs'.
  if (on_gpu(*this)) return gpu_program_bytes(*this);
  if (!executable_) return 0;
  return static_cast<int64_t>(executable_->code_bytes());
}

const compiler::Executable& Concrete::host_code() const {
  std::call_once(host_once_, [&] {
    compiler::CompileOptions host = options;
    host.codegen_threads = rt::parallel_threads();  // the intra-op setting bounds compiling too
    executable_ = compiler::compile_cached(*graph, host);
  });
  return *executable_;
}

std::vector<TensorShape> Concrete::argument_shapes(std::span<const Tensor> args) const {
  const auto& arguments = graph->arguments();
  std::vector<TensorShape> shapes;
  shapes.reserve(arguments.size() + graph->results().size());
  for (const Tensor& t : args) shapes.push_back(t.shape());
  for (size_t i = args.size(); i < arguments.size(); ++i) {
    const auto& capture = captures[i - args.size()];
    shapes.push_back(capture.variable ? capture.variable->shape : arguments[i].shape);
  }
  return shapes;
}

void take_trace(Concrete& entry, TraceContext& trace, const std::vector<Tensor>& outputs) {
  entry.graph = trace.finish(outputs);
  entry.captures = trace.captures();
  for (const auto& capture : entry.captures) {
    auto it = trace.draws().find(capture.variable.get());
    entry.draws.push_back(it == trace.draws().end() ? 0 : it->second);
  }
  entry.assigned = trace.assigned();
}

// Where a function call's compiled code is placed: the scope's device, else the default one;
// a GPU that does not exist means the CPU (soft placement).
rt::Device function_device() {
  rt::Device d = scoped_device().value_or(default_device());
  if (d.type == rt::DeviceType::kGPU && d.index >= rt::gpu::device_count()) return rt::Device{};
  return d;
}

struct FunctionCore::Impl {
  FunctionOptions options;
  mutable std::mutex mutex;
  std::vector<std::shared_ptr<Concrete>> entries;  // few per function: a linear scan is fastest
  int64_t traces = 0;
  CacheStats stats;
  const Concrete* last_used = nullptr;
  std::string retrace_reason;
  bool recent[10] = {};  // whether each of the last 10 calls traced (a ring)
  int next = 0, calls = 0;
  bool warned = false;

  uint64_t clock = 0;  // for least-recently-used eviction
  // The compiled vector-Jacobian products of this function's calls under a tape (created at the
  // first such call; see call_differentiable). Its own lock: `mutex` is held while tracing.
  std::mutex vjp_mutex;
  std::shared_ptr<FunctionCore> vjp;

  std::shared_ptr<Concrete> find(const Key& key, const std::vector<std::string>& values,
                                 const rt::Device& device) const {
    for (const auto& e : entries)
      if (e->values == values && e->requested == device &&
          (e->shapes ? matches(e->key, key) : e->key == key))
        return e;
    return nullptr;
  }

  // TensorFlow warns when a function retraces more than 5 times in its last 10 calls.
  void note_call(bool traced) {
    if (warned) return;  // once per function
    recent[next] = traced;
    next = (next + 1) % 10;
    calls = std::min(calls + 1, 10);
    int count = static_cast<int>(std::count(recent, recent + 10, true));
    if (count > 5) {
      warned = true;
      std::fprintf(
          stderr,
          "tfjit: WARNING: a tf::function retraced %d times in its last %d calls (latest: %s). "
          "Tracing and compiling is expensive: keep tensor shapes, dtypes and C++ argument values "
          "stable across calls.\n",
          count, calls, retrace_reason.c_str());
    }
  }

  std::shared_ptr<Concrete> trace(std::span<const Tensor> args, TraceBody body, Key key,
                                  const std::vector<std::string>& values, rt::Device device) {
    auto lock = compiler::lock_compiler();
    auto start = std::chrono::steady_clock::now();
    auto entry = std::make_shared<Concrete>();
    entry->key = std::move(key);
    entry->values = values;
    {
      TraceContext trace;
      std::vector<Tensor> symbolic;
      std::vector<TensorShape> shapes = shapes_of(entry->key);
      for (size_t i = 0; i < args.size(); ++i)
        symbolic.push_back(trace.add_argument(args[i].dtype(), shapes[i]));
      take_trace(*entry, trace, body.call(body.self, symbolic));
    }
    compile(*entry, device);
    stats.last_compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return entry;
  }

  // Compiles a traced entry for `device` with this function's options.
  void compile(Concrete& entry, rt::Device device) const {
    entry.options.matmul_library_call = options.matmul_library_call;
    entry.options.fuse_matmul_epilogue = options.fuse_matmul_epilogue;
    entry.options.host_library_calls = options.host_library_calls;
    entry.options.fuse_conv_epilogue = options.fuse_conv_epilogue;
    if (std::find(entry.key.begin(), entry.key.end(), kUnknownDim) != entry.key.end())
      entry.shapes = std::make_unique<compiler::ShapeProgram>(*entry.graph);
    entry.requested = device;
    if (device.type == rt::DeviceType::kGPU) compile_for_gpu(entry);
    if (!on_gpu(entry)) entry.host_code();
    if (log_placement_enabled.load(std::memory_order_relaxed))
      log_placement("tf::function", entry.device);
  }

  // Callers hold the shared_ptr while running: eviction never frees code in use.
  std::shared_ptr<const Concrete> lookup_or_trace(std::span<const Tensor> args,
                                                  const std::vector<std::string>& call_values,
                                                  TraceBody body) {
    // A trace inside a distribution strategy's replica context holds its collectives: that
    // context keys the entry as a C++ argument value would.
    std::vector<std::string> with_context;
    const std::string context = distribute::detail::replica_context_key();
    if (!context.empty()) {
      with_context = call_values;
      with_context.push_back(context);
    }
    const std::vector<std::string>& values = context.empty() ? call_values : with_context;
    thread_local Key key;
    make_key(args, key);
    Key trace_key;
    if (options.input_signature) trace_key = signature_key(*options.input_signature, args);
    const rt::Device device = function_device();
    std::lock_guard guard(mutex);
    if (auto hit = find(key, values, device)) {
      ++stats.hits;
      hit->last_use = ++clock;
      last_used = hit.get();
      note_call(false);
      return hit;
    }
    ++stats.misses;
    std::string reason = last_used ? explain(last_used->key, last_used->values, key, values) : "";
    if (!options.input_signature) {
      trace_key = key;
      // reduce_retracing: generalise against the most recently used entry with these values.
      if (options.reduce_retracing) {
        const Concrete* before = nullptr;
        for (const auto& e : entries)
          if (e->values == values && (!before || e->last_use > before->last_use)) before = e.get();
        if (before) trace_key = generalize(before->key, key);
      }
    }
    auto entry = trace(args, body, trace_key, values, device);  // a throw leaves no entry
    entry->last_use = ++clock;
    ++traces;
    last_used = entry.get();
    if (!reason.empty()) retrace_reason = reason;
    note_call(true);
    entries.push_back(entry);
    if (entries.size() >
        std::max<size_t>(options.max_signatures, 1)) {  // evict the least recently used
      auto oldest =
          std::min_element(entries.begin(), entries.end(),
                           [](const auto& a, const auto& b) { return a->last_use < b->last_use; });
      entries.erase(oldest);
      ++stats.evictions;
    }
    stats.signatures = static_cast<int64_t>(entries.size());
    return entry;
  }
};

FunctionCore::FunctionCore(FunctionOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
FunctionCore::~FunctionCore() = default;

namespace {
std::atomic<bool> run_eagerly{false};
}

namespace {
// A call's results, of `shapes` (none: the traced ones), with their buffers in `out`: new
// tensors, except that a result the host code writes into its argument (compiler::Alias) is that
// argument, a capture.
void allocate_results(const Concrete& c, size_t num_args, std::span<const Tensor> captured,
                      std::span<const TensorShape> shapes, void** out,
                      std::vector<Tensor>& outputs) {
  const auto& results = c.graph->results();
  outputs.resize(results.size());
  for (const compiler::Alias& alias : c.graph->aliases())
    outputs[alias.result] = captured[alias.argument - num_args];
  for (size_t i = 0; i < results.size(); ++i) {
    if (!outputs[i].defined())
      outputs[i] = empty(results[i].dtype, shapes.empty() ? results[i].shape : shapes[i]);
    out[i] = raw_mut(outputs[i]);
  }
}

// A call of a graph with unknown dims: its shapes are derived from the concrete arguments
// (raising InvalidArgumentError, naming the op, when a tracing assumption fails), the results
// allocated at those shapes, and the compiled code told every size.
void run_dynamic(const Concrete& c, std::span<const Tensor> args, std::span<const Tensor> captured,
                 const void** in, void** out, std::vector<Tensor>& outputs) {
  std::vector<TensorShape> shapes = c.argument_shapes(args);  // then the results'
  std::string region_failure;
  std::vector<TensorShape> result_shapes = c.shapes->run(shapes, &region_failure);
  if (!region_failure.empty()) throw RegionShapesBroken{region_failure};
  allocate_results(c, args.size(), captured, result_shapes, out, outputs);
  shapes.insert(shapes.end(), result_shapes.begin(), result_shapes.end());
  c.host_code().run(in, out, shapes.data());
}

// Runs `c`'s host code on `args`, moving any on a GPU to the CPU.
void run_host(const Concrete& c, std::span<const Tensor> args, std::span<const Tensor> captured,
              std::vector<Tensor>& outputs) {
  const auto& results = c.graph->results();
  constexpr size_t kMaxStack = 32;
  const void* in_stack[kMaxStack];
  void* out_stack[kMaxStack];
  std::vector<const void*> in_heap;
  std::vector<void*> out_heap;
  size_t num_in = args.size() + c.captures.size();
  const void** in = in_stack;
  void** out = out_stack;
  if (num_in > kMaxStack || results.size() > kMaxStack) {
    in_heap.resize(num_in);
    out_heap.resize(results.size());
    in = in_heap.data();
    out = out_heap.data();
  }
  // Compiled code runs on the CPU: tensors on a GPU are copied in, and variables' values read
  // once; both are kept alive in `host` for the call (another thread may assign meanwhile).
  std::vector<Tensor> host;
  auto host_data = [&](const Tensor& t) {
    if (t.impl()->buffer->device().type == rt::DeviceType::kCPU) return detail::raw(t);
    return detail::raw(host.emplace_back(detail::to_cpu(t)));
  };
  for (size_t i = 0; i < args.size(); ++i) in[i] = host_data(args[i]);
  for (size_t i = 0; i < captured.size(); ++i) in[args.size() + i] = host_data(captured[i]);
  if (c.shapes) {
    run_dynamic(c, args, captured, in, out, outputs);
  } else {
    allocate_results(c, args.size(), captured, {}, out, outputs);
    c.host_code().run(in, out);
  }
}

}  // namespace

// The values of `c`'s captures for one call: tensors, variables' current values (kept for the
// call: another thread may assign meanwhile), and random counters advanced past the call's draws.
std::vector<Tensor> read_captures(const Concrete& c) {
  // A generator's key and counter are read together (a set_seed between them would pair the new
  // key with old counter values, which later draws reach again).
  std::vector<std::mutex*> generators;
  for (const auto& capture : c.captures)
    if (capture.variable && capture.variable->generator_mutex)
      generators.push_back(capture.variable->generator_mutex.get());
  std::ranges::sort(generators);  // one lock order everywhere
  generators.erase(std::unique(generators.begin(), generators.end()), generators.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (std::mutex* m : generators) locks.emplace_back(*m);
  std::vector<Tensor> values;
  values.reserve(c.captures.size());
  for (size_t i = 0; i < c.captures.size(); ++i) {
    const auto& capture = c.captures[i];
    if (!capture.variable)
      values.push_back(capture.tensor);
    else if (c.draws[i] > 0)
      values.push_back(constant(capture.variable->fetch_add(c.draws[i])));
    else
      values.push_back(capture.variable->value());
  }
  return values;
}

// Runs `c`'s compiled code on `args` (already matching its signature) and `captured`
// (read_captures), on its GPU if it has one.
std::vector<Tensor> run(const Concrete& c, std::span<const Tensor> args,
                        std::vector<Tensor> captured) {
  std::vector<Tensor> outputs;
  InPlaceUpdates in_place;  // the host code writes aliased variables in place
  if (!on_gpu(c) || !run_gpu(c, args, captured, outputs)) {
    c.host_code();  // compiled (taking the compiler's lock) before any variable is claimed
    in_place.begin(c, captured);
    run_host(c, args, captured, outputs);
  }
  // Variables assigned in the body take their new values, in the order the graph returns them.
  size_t user = outputs.size() - c.assigned.size();
  for (size_t i = 0; i < c.assigned.size(); ++i) {  // all checked before any is assigned
    const VariableImpl& v = *c.assigned[i];
    const Tensor& value = outputs[user + i];
    if (value.dtype() != v.dtype || value.shape() != v.shape)  // never lose the variable's data
      throw InternalError("a compiled call computed a " + value.shape().to_string() +
                          " value for variable '" + v.name + "' of shape " + v.shape.to_string());
  }
  for (size_t i = 0; i < c.assigned.size(); ++i)
    in_place.install(*c.assigned[i], outputs[user + i]);
  outputs.resize(user);
  return outputs;
}

}  // namespace tf::detail

bool tf::executing_eagerly() { return detail::TraceContext::current() == nullptr; }

namespace tf::detail {

namespace {

bool differentiable(const Tensor& t) { return is_floating(t.dtype()); }

// What the backward functions of one call under a tape share: the body (owned: it is traced
// after the call returns) and the variables the compiled call read. As a traced body itself, it
// is the call's vector-Jacobian product: inputs (the call's tensors, the values of its variables,
// then a gradient per float result), outputs the gradient of each float input (zeros where it
// is unconnected), then an int32 mask of the connected ones (the others' gradient is None).
struct CallGradient {
  std::shared_ptr<FunctionCore> vjp;
  OwnedBody body;
  std::vector<std::shared_ptr<VariableImpl>> variables;
  size_t num_args = 0;
  std::vector<std::string> values;
  std::vector<DType> result_dtypes;  // the call's results: a float one takes a gradient
  std::vector<TensorShape> result_shapes;

  std::vector<Tensor> operator()(std::span<const Tensor> in) const {
    TraceContext& trace = *TraceContext::current();
    const size_t inputs = num_args + variables.size();
    // Reads of each variable give the value the call read; the body's assignments stay here.
    for (size_t i = 0; i < variables.size(); ++i)
      trace.override_variable(variables[i], in[num_args + i]);
    GradientTape tape(/*persistent=*/false, /*watch_accessed_variables=*/false);
    std::vector<Source> sources;
    std::vector<Tensor> watched;
    for (size_t i = 0; i < inputs; ++i)
      if (differentiable(in[i]))
        tape.watch(in[i]), sources.emplace_back(in[i]), watched.push_back(in[i]);
    std::vector<Tensor> results = body(in.subspan(0, num_args));
    Tensor target = zeros({}, float64);  // sum(result * g) over the float results
    size_t g = inputs;
    for (const Tensor& r : results)
      if (differentiable(r)) target = add(target, cast(reduce_sum(multiply(r, in[g++])), float64));
    std::vector<Tensor> grads = tape.gradient(target, sources, UnconnectedGradients::NONE);
    std::vector<int32_t> connected;
    for (size_t i = 0; i < grads.size(); ++i) {
      connected.push_back(grads[i].defined());
      if (!grads[i].defined()) grads[i] = zeros_like(watched[i]);
    }
    grads.push_back(constant(connected, {static_cast<int64_t>(connected.size())}));
    return grads;
  }
};

// The backward function of result `r` of a call: the compiled vector-Jacobian product, called
// as a tf::function itself (so an outer tape records it in turn: any order).
BackwardFn call_backward(std::shared_ptr<const CallGradient> grad, std::vector<Tensor> inputs,
                         size_t r) {
  return [grad = std::move(grad), inputs = std::move(inputs), r](const Tensor& g) {
    std::vector<Tensor> vjp_args = inputs;
    for (size_t j = 0; j < grad->result_dtypes.size(); ++j)
      if (is_floating(grad->result_dtypes[j]))
        vjp_args.push_back(j == r ? g : zeros(grad->result_shapes[j], grad->result_dtypes[j]));
    auto own = [&] {
      return OwnedBody([grad](std::span<const Tensor> in) { return (*grad)(in); });
    };
    std::vector<Tensor> grads = grad->vjp->call(vjp_args, grad->values, make_body(*grad, own));
    const auto connected = grads.back().to_vector<int32_t>();
    std::vector<Tensor> out;  // one per input of the recorded op; None for non-floats, unconnected
    size_t k = 0;
    for (const Tensor& in : inputs) {
      if (!differentiable(in)) {
        out.emplace_back();
        continue;
      }
      out.push_back(connected.at(k) ? grads.at(k) : Tensor());
      ++k;
    }
    return out;
  };
}

// For a call run by the forward/backward pair `fb`: the general path's gradient, mapped onto the
// pair's record. The general path's inputs are the args, then every variable the plain trace
// captured, in its order (the vjp's traces are keyed by it); the pair's forward captured the same
// variables (trace_forward_backward checks), its first num_variables read as the record's inputs.
Recompute general_gradient_of_pair(std::shared_ptr<const CallGradient> grad,
                                   std::shared_ptr<const ForwardBackward> fb,
                                   std::span<const Tensor> captured_at_call,
                                   std::span<const Tensor> record_inputs, size_t num_args) {
  return [grad = std::move(grad), fb = std::move(fb),
          captured = std::vector<Tensor>(captured_at_call.begin(), captured_at_call.end()),
          record = std::vector<Tensor>(record_inputs.begin(), record_inputs.end()),
          num_args](size_t r, const Tensor& g) {
    const auto& fb_captures = fb->forward->captures;
    auto capture_of = [&](const std::shared_ptr<VariableImpl>& v) {
      return static_cast<size_t>(
          std::ranges::find(fb_captures, v, &TraceContext::Capture::variable) -
          fb_captures.begin());
    };
    std::vector<Tensor> inputs(record.begin(), record.begin() + long(num_args));
    for (const auto& variable : grad->variables) {
      size_t k = capture_of(variable);
      inputs.push_back(k < fb->num_variables ? record[num_args + k] : captured.at(k));
    }
    std::vector<Tensor> all = call_backward(grad, inputs, r)(g);
    std::vector<Tensor> out(all.begin(), all.begin() + long(num_args));
    for (size_t k = 0; k < fb->num_variables; ++k) {
      auto at = std::ranges::find(grad->variables, fb_captures[k].variable);
      out.push_back(all.at(num_args + static_cast<size_t>(at - grad->variables.begin())));
    }
    return out;
  };
}

}  // namespace

// A call under a recording tape runs compiled and is recorded whole: one op per float result,
// whose inputs are the call's tensors and the variables it read (read on the tapes, so a tape
// watching a variable sees the read), and whose backward is the compiled vector-Jacobian product
// of the body, traced once per signature and cached like any function (TensorFlow records its
// function calls the same way).
std::vector<Tensor> FunctionCore::call_differentiable(std::span<const Tensor> args,
                                                      const std::vector<std::string>& values,
                                                      TraceBody body) {
  std::shared_ptr<const Concrete> held;
  {
    TapesAside aside(/*in_region=*/false);  // the call is recorded whole
    held = impl_->lookup_or_trace(args, values, body);
  }
  // The general path's gradient of this call: its vector-Jacobian product recomputes the body.
  auto call_gradient = [&](std::vector<DType> result_dtypes,
                           std::vector<TensorShape> result_shapes) {
    auto grad = std::make_shared<CallGradient>();
    {
      std::lock_guard guard(impl_->vjp_mutex);
      if (!impl_->vjp) {
        FunctionOptions options = impl_->options;
        options.input_signature.reset();
        options.reduce_retracing = false;
        impl_->vjp = std::make_shared<FunctionCore>(options);
      }
      grad->vjp = impl_->vjp;
    }
    for (const auto& capture : held->captures)
      if (capture.variable) grad->variables.push_back(capture.variable);
    grad->body = body.own(body.own_self);
    grad->num_args = args.size();
    grad->values = values;
    grad->result_dtypes = std::move(result_dtypes);
    grad->result_shapes = std::move(result_shapes);
    return std::shared_ptr<const CallGradient>(std::move(grad));
  };
  // Under one tape that takes its gradient once (an eager training loop), the call runs a
  // forward that keeps what its gradient needs (forward_backward.h), on the CPU or a GPU.
  if (active_tapes.size() == 1 && !active_tapes[0]->persistent) {
    const std::vector<bool> needed = needed_inputs(*held, args);
    Key key;
    make_key(args, key);
    std::shared_ptr<Concrete::ForwardBackwardPair> slot;
    {
      std::lock_guard guard(held->forward_backward_mutex);
      auto& pairs = held->forward_backward;
      auto it = std::ranges::find(pairs, key, [](const auto& p) { return p->key; });
      if (it != pairs.end()) {
        slot = *it;
      } else if (pairs.size() < Concrete::kMaxForwardBackwardPairs) {
        slot = std::make_shared<Concrete::ForwardBackwardPair>();
        slot->key = key;
        pairs.push_back(slot);
      }
    }
    if (slot)  // traced outside the list's lock: calls of other shapes go on meanwhile
      std::call_once(slot->once, [&] {
        try {
          slot->pair = trace_forward_backward(*held, key, args, body, needed, [&](Concrete& c) {
            impl_->compile(c, held->requested);
          });
        } catch (const std::exception&) {  // beyond that path: the general one below
        }
      });
    const std::shared_ptr<const ForwardBackward> fb = slot ? slot->pair : nullptr;
    // It computes the gradients its first call needed: later calls needing others recompute.
    if (fb &&
        std::ranges::equal(needed, fb->needed, [](bool want, bool has) { return !want || has; }))
      return call_forward_backward(
          fb, args, [&](std::span<const Tensor> captured, std::span<const Tensor> fb_inputs) {
            return general_gradient_of_pair(call_gradient(fb->result_dtypes, fb->result_shapes), fb,
                                            captured, fb_inputs, args.size());
          });
  }
  std::vector<Tensor> inputs(args.begin(), args.end());
  const std::vector<Tensor> captured = read_captures(*held);
  for (size_t i = 0; i < captured.size(); ++i)
    if (const auto& variable = held->captures[i].variable)
      inputs.push_back(read_variable(*variable, captured[i]));
  std::vector<Tensor> outputs;
  try {
    TapesAside aside(/*in_region=*/false);  // the call is recorded whole
    outputs = run(*held, args, captured);
  } catch (const RegionShapesBroken&) {
    return body.call(body.self, args);  // op by op, as the tapes record
  }
  if (!should_record(inputs)) return outputs;
  std::vector<DType> dtypes;
  std::vector<TensorShape> shapes;
  for (const Tensor& o : outputs) {
    dtypes.push_back(o.dtype());
    shapes.push_back(o.shape());
  }
  auto grad = call_gradient(std::move(dtypes), std::move(shapes));
  for (size_t r = 0; r < outputs.size(); ++r)
    if (differentiable(outputs[r])) record(inputs, outputs[r], call_backward(grad, inputs, r));
  return outputs;
}

std::vector<Tensor> FunctionCore::call(std::span<const Tensor> args,
                                       const std::vector<std::string>& values, TraceBody body) {
  // Inlined into the caller's trace, or run eagerly for debugging (then a tape records each op).
  const bool recorded = tape_recording() && !TraceContext::current();
  if (TraceContext::current() || run_eagerly.load(std::memory_order_relaxed) ||
      (recorded && !body.own)) {
    if (impl_->options.input_signature && !TraceContext::current())
      signature_key(*impl_->options.input_signature, args);  // the signature still holds
    return body.call(body.self, args);
  }
  if (recorded) return call_differentiable(args, values, body);
  auto held = impl_->lookup_or_trace(args, values, body);
  try {
    return run(*held, args, read_captures(*held));
  } catch (const RegionShapesBroken&) {
    return body.call(body.self, args);
  }
}

Tensor spec_placeholder(const TensorSpec& spec) {
  if (!spec.rank_known)
    throw InvalidArgumentError("get_concrete_function: " + spec.to_string() +
                               " has an unknown rank; give a rank (dims may be unknown)");
  auto impl = std::make_shared<TensorImpl>();
  impl->dtype = spec.dtype;
  impl->shape = spec.shape;
  return Tensor(std::move(impl));
}

std::shared_ptr<const Concrete> FunctionCore::concrete(std::span<const Tensor> args,
                                                       const std::vector<std::string>& values,
                                                       TraceBody body) {
  if (TraceContext::current())
    throw InvalidArgumentError("get_concrete_function cannot be called while tracing");
  return impl_->lookup_or_trace(args, values, body);
}

int64_t FunctionCore::trace_count() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->traces;
}

CacheStats FunctionCore::cache_stats() const {
  std::lock_guard guard(impl_->mutex);
  CacheStats stats = impl_->stats;
  // Summed now: a GPU function with unknown dims gains a program per shape after its trace.
  for (const auto& entry : impl_->entries) stats.code_bytes += entry->code_bytes();
  return stats;
}

std::string FunctionCore::last_retrace_reason() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->retrace_reason;
}

}  // namespace tf::detail

namespace tf::config {
void run_functions_eagerly(bool eagerly) { detail::run_eagerly.store(eagerly); }
bool functions_run_eagerly() { return detail::run_eagerly.load(); }
CompileCacheInfo compile_cache_info() {
  auto s = compiler::compile_cache_stats();
  return {s.hits,      s.misses,      s.entries,     s.code_bytes,
          s.disk_hits, s.disk_misses, s.disk_writes, s.disk_corrupt};
}
void clear_compile_cache() { compiler::clear_compile_cache(); }
void set_disk_cache_dir(const std::string& dir) { compiler::set_disk_cache_dir(dir); }
std::string disk_cache_dir() { return compiler::disk_cache_dir(); }
void enable_disk_cache(bool enabled) { compiler::enable_disk_cache(enabled); }
bool disk_cache_enabled() { return compiler::disk_cache_enabled(); }
void set_disk_cache_max_bytes(int64_t bytes) { compiler::set_disk_cache_max_bytes(bytes); }
}  // namespace tf::config
