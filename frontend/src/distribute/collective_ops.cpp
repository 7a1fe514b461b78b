// The collective ops: all_reduce (eager, or tfjit.all_reduce in a traced graph; differentiable),
// its packed form for many tensors, broadcast, all_gather, and the gradient aggregation fit uses.
#include <cstring>

#include "core/dtype_sets.h"
#include "frontend/src/distribute/distribute_internal.h"
#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::distribute::detail {

namespace {

using tf::detail::raw;
using tf::detail::raw_mut;

rt::collectives::ReduceOp wire(ReduceOp op) {
  switch (op) {
    case ReduceOp::SUM:
      return rt::collectives::ReduceOp::kSum;
    case ReduceOp::MEAN:
      return rt::collectives::ReduceOp::kMean;
    case ReduceOp::MAX:
      return rt::collectives::ReduceOp::kMax;
    case ReduceOp::MIN:
      return rt::collectives::ReduceOp::kMin;
  }
  throw InvalidArgumentError("all_reduce: unknown ReduceOp " +
                             std::to_string(static_cast<int>(op)));
}

// A host copy of `t` that the communicator may overwrite (never t's own buffer).
Tensor host_copy(const Tensor& t) {
  Tensor host = tf::detail::to_cpu(t);
  Tensor out = tf::detail::empty(t.dtype(), t.shape());
  if (t.num_elements() > 0)
    std::memcpy(raw_mut(out), raw(host),
                static_cast<size_t>(t.num_elements()) * dtype_size(t.dtype()));
  return out;
}

// Runs a collective on tensors' buffers; if it fails with UnavailableError (a rank stopped
// answering), the library may still write them later, so they are kept (runtime/collectives.h).
template <class Call>
void on_buffers(std::initializer_list<Tensor> buffers, Call call) {
  try {
    call();
  } catch (const UnavailableError&) {
    for (const Tensor& t : buffers) rt::collectives::retain_after_failure(t.impl()->buffer);
    throw;
  }
}

// Back where `like` lives.
Tensor like_device(const Tensor& host, const Tensor& like) {
  return tf::detail::to_device(host, like.impl()->buffer->device());
}

}  // namespace

Tensor all_reduce(StrategyImpl& s, ReduceOp op, const Tensor& value) {
  const std::string name = "all_reduce";
  tf::detail::checked(value, name, "value");
  tf::detail::check_dtype(name, value.dtype(), core::kNumeric);
  const auto wire_op = wire(op);
  if (s.replicas() == 1) return value;
  Tensor out;
  if (auto* trace = tf::detail::TraceContext::current()) {
    out = trace->emit("all_reduce", {value},
                      {{"reduce_op", static_cast<int64_t>(wire_op)}, {"group", s.group}},
                      value.dtype(), value.shape());
  } else {
    Tensor host = tf::detail::to_cpu(value);
    Tensor result = tf::detail::empty(value.dtype(), value.shape());
    on_buffers({host, result}, [&] {
      s.communicator->all_reduce(raw(host), raw_mut(result), value.num_elements(), value.dtype(),
                                 wire_op);
    });
    out = like_device(result, value);
  }
  // Every replica's loss depends on every replica's value: the gradient is all-reduced alike.
  if ((op == ReduceOp::SUM || op == ReduceOp::MEAN) && tf::detail::should_record({&value})) {
    std::shared_ptr<StrategyImpl> keep = s.shared_from_this();
    tf::detail::record({value}, out, [keep, op](const Tensor& g) {
      return std::vector<Tensor>{all_reduce(*keep, op, g)};
    });
  }
  return out;
}

std::vector<Tensor> all_reduce(StrategyImpl& s, ReduceOp op, const std::vector<Tensor>& values) {
  if (s.replicas() == 1) return values;
  std::vector<Tensor> out(values.size());
  std::vector<size_t> pack;
  int64_t pack_bytes = 0;
  auto flush = [&] {
    if (pack.size() == 1) out[pack[0]] = all_reduce(s, op, values[pack[0]]);
    if (pack.size() > 1) {
      std::vector<Tensor> flat;
      for (size_t i : pack) flat.push_back(reshape(values[i], std::vector<int64_t>{-1}));
      Tensor reduced = all_reduce(s, op, concat(flat, 0));
      int64_t at = 0;
      for (size_t i : pack) {
        const int64_t n = values[i].num_elements();
        out[i] = reshape(reduced(slice(at, at + n)), values[i].shape().dims());
        at += n;
      }
    }
    pack.clear();
    pack_bytes = 0;
  };
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].defined()) continue;
    const int64_t bytes =
        values[i].num_elements() * static_cast<int64_t>(dtype_size(values[i].dtype()));
    if (!pack.empty() &&
        (values[pack[0]].dtype() != values[i].dtype() || pack_bytes + bytes > s.bytes_per_pack))
      flush();
    pack.push_back(i);
    pack_bytes += bytes;
  }
  flush();
  return out;
}

std::vector<Tensor> aggregate_gradients(StrategyImpl& s, const std::vector<Tensor>& grads,
                                        const Tensor& local_batch) {
  if (s.replicas() == 1) return grads;
  // Packed last variable first: backpropagation computes the last layers' gradients first, so
  // their packs can start while the first layers' are still being computed (DDP's order).
  std::vector<Tensor> weighted;
  DType dtype = float32;
  for (auto it = grads.rbegin(); it != grads.rend(); ++it) {
    const Tensor& g = *it;
    if (!g.defined()) {
      weighted.emplace_back();
      continue;
    }
    dtype = g.dtype();
    // A replica without rows has NaN gradients (a mean over nothing): it contributes zeros.
    const Tensor n = cast(local_batch, g.dtype());
    weighted.push_back(where(n > 0.0, g * n, zeros_like(g)));
  }
  weighted.insert(weighted.begin(), cast(local_batch, dtype));
  std::vector<Tensor> sums = all_reduce(s, ReduceOp::SUM, weighted);
  const Tensor total = sums.front();
  std::vector<Tensor> out(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = sums[grads.size() - i];
    if (g.defined()) out[i] = g / (g.dtype() == total.dtype() ? total : cast(total, g.dtype()));
  }
  return out;
}

Tensor broadcast(StrategyImpl& s, const Tensor& value, int root) {
  tf::detail::checked(value, "broadcast", "value");
  if (tf::detail::TraceContext::current())
    throw UnimplementedError("broadcast: not available inside tf::function; call it eagerly");
  if (s.replicas() == 1 || value.dtype() == string) return value;
  Tensor host = host_copy(value);
  on_buffers({host}, [&] {
    s.communicator->broadcast(raw_mut(host), value.num_elements(), value.dtype(), root);
  });
  return like_device(host, value);
}

Tensor mirrored_initial_value(const Tensor& value) {
  auto s = scope_strategy();
  return s && s->replicas() > 1 ? broadcast(*s, value) : value;
}

}  // namespace tf::distribute::detail

namespace tf::distribute {

Tensor ReplicaContext::all_gather(const Tensor& value, int64_t axis) const {
  tf::detail::checked(value, "all_gather", "value");
  if (value.ndim() == 0)
    throw InvalidArgumentError("all_gather: value must have an axis, got a scalar");
  const int64_t a = axis < 0 ? axis + value.ndim() : axis;
  if (a < 0 || a >= value.ndim())
    throw InvalidArgumentError("all_gather: axis " + std::to_string(axis) + " is not an axis of " +
                               value.shape().to_string());
  if (tf::detail::TraceContext::current())
    throw UnimplementedError("all_gather: not available inside tf::function; call it eagerly");
  if (impl_->replicas() == 1) return value;
  Tensor host = tf::detail::to_cpu(value);
  std::vector<int64_t> dims{impl_->replicas()};
  for (int64_t d : value.shape().dims()) dims.push_back(d);
  Tensor gathered = tf::detail::empty(value.dtype(), TensorShape(dims));
  detail::on_buffers({host, gathered}, [&] {
    impl_->communicator->all_gather(tf::detail::raw(host), tf::detail::raw_mut(gathered),
                                    value.num_elements(), value.dtype());
  });
  std::vector<Tensor> pieces;
  for (int64_t r = 0; r < impl_->replicas(); ++r) pieces.push_back(gathered[r]);
  return tf::detail::to_device(concat(pieces, a), value.impl()->buffer->device());
}

}  // namespace tf::distribute
