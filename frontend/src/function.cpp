// The engine behind tf::function: one cache entry per input signature (dtype and shape of each
// argument), each holding the compiled executable and the tensors the graph captured.
#include <chrono>
#include <mutex>

#include "compiler/compiler.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "tfjit/function.h"

namespace tf::detail {

namespace {

// The signature key, flattened: per argument its dtype, rank and dims.
using Key = std::vector<int64_t>;

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

struct Concrete {
  Key key;
  std::unique_ptr<compiler::Graph> graph;
  std::unique_ptr<compiler::Executable> executable;
  std::vector<TraceContext::Capture> captures;
  std::vector<std::shared_ptr<VariableImpl>> assigned;  // their new values follow the results
};

}  // namespace

struct FunctionCore::Impl {
  FunctionOptions options;
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<Concrete>> entries;  // few per function: a linear scan is fastest
  int64_t traces = 0;
  CacheStats stats;

  const Concrete* find(const Key& key) const {
    for (const auto& e : entries)
      if (e->key == key) return e.get();
    return nullptr;
  }

  std::unique_ptr<Concrete> trace(std::span<const Tensor> args, TraceBody body, Key key) {
    auto lock = compiler::lock_compiler();
    auto start = std::chrono::steady_clock::now();
    auto entry = std::make_unique<Concrete>();
    entry->key = std::move(key);
    {
      TraceContext trace;
      std::vector<Tensor> symbolic;
      for (const Tensor& t : args) symbolic.push_back(trace.add_argument(t.dtype(), t.shape()));
      std::vector<Tensor> outputs = body.call(body.self, symbolic);
      entry->graph = trace.finish(outputs);
      entry->captures = trace.captures();
      entry->assigned = trace.assigned();
    }
    compiler::CompileOptions options;
    options.matmul_library_call = this->options.matmul_library_call;
    entry->executable = entry->graph->compile(options);
    stats.last_compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return entry;
  }

  const Concrete& lookup_or_trace(std::span<const Tensor> args, TraceBody body) {
    thread_local Key key;
    make_key(args, key);
    std::lock_guard guard(mutex);
    if (const Concrete* hit = find(key)) {
      ++stats.hits;
      return *hit;
    }
    ++stats.misses;
    entries.push_back(trace(args, body, key));  // a trace that throws leaves no entry
    ++traces;
    return *entries.back();
  }
};

FunctionCore::FunctionCore(FunctionOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
FunctionCore::~FunctionCore() = default;

std::vector<Tensor> FunctionCore::call(std::span<const Tensor> args, TraceBody body) {
  if (TraceContext::current())
    return body.call(body.self, args);  // inlined into the caller's trace
  const Concrete& c = impl_->lookup_or_trace(args, body);
  const auto& results = c.graph->results();
  std::vector<Tensor> outputs;
  outputs.reserve(results.size());
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
  for (size_t i = 0; i < args.size(); ++i) in[i] = args[i].data();
  for (size_t i = 0; i < c.captures.size(); ++i) {
    const auto& capture = c.captures[i];
    in[args.size() + i] = capture.variable ? capture.variable->value.data() : capture.tensor.data();
  }
  for (size_t i = 0; i < results.size(); ++i) {
    outputs.push_back(empty(results[i].dtype, results[i].shape));
    out[i] = outputs.back().impl()->buffer->data();
  }
  c.executable->run(in, out);
  // Variables assigned in the body take their new values, in the order the graph returns them.
  size_t user = results.size() - c.assigned.size();
  for (size_t i = 0; i < c.assigned.size(); ++i) c.assigned[i]->value = outputs[user + i];
  outputs.resize(user);
  return outputs;
}

std::string FunctionCore::graph(std::span<const Tensor> args, TraceBody body,
                                std::string_view stage) {
  auto parsed = compiler::parse_stage(stage);
  if (!parsed) throw InvalidArgumentError("graph: unknown stage '" + std::string(stage) + "'");
  const Concrete& c = impl_->lookup_or_trace(args, body);
  compiler::CompileOptions options;
  options.matmul_library_call = impl_->options.matmul_library_call;
  return c.graph->text(*parsed, options);
}

int64_t FunctionCore::trace_count() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->traces;
}

CacheStats FunctionCore::cache_stats() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->stats;
}

}  // namespace tf::detail
