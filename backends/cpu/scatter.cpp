// Eager scatter on the CPU (runtime/primitives/scatter.h): the operand copied, then each update
// row combined into the row its index tuple addresses, rows in order, so the result is
// deterministic ("update": the last row wins). Linear in the operand plus the updates. Long rows
// are split over the thread pool by their elements (each thread walks every row for its share,
// so rows that hit the same place never race); short rows run on the calling thread. Compiled
// CPU code calls the same kernel (backends/cpu/library_calls.cpp).
#include <algorithm>
#include <cstring>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"
#include "runtime/primitives/scatter.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

using kernels::compute_t;

// The flat offset (in rows of `slice` elements) of row r's index tuple, or -1 outside.
template <class I>
int64_t row_offset(const I* indices, int64_t r, const rt::ScatterPlan& p) {
  const auto depth = static_cast<int64_t>(p.dims.size());
  int64_t at = 0;
  for (int64_t k = 0; k < depth; ++k) {
    const auto i = static_cast<int64_t>(indices[r * depth + k]);
    const int64_t n = p.dims[static_cast<size_t>(k)];
    if (i < 0 || i >= n) return -1;
    at = at * n + i;
  }
  return at;
}

struct Update {
  template <class C>
  static C combine(C, C x) {
    return x;
  }
};

template <class Combiner, class T, class I>
void scatter_with(const I* indices, const T* updates, T* out, const rt::ScatterPlan& p) {
  using C = compute_t<T>;
  auto span = [&](int64_t begin, int64_t end) {
    for (int64_t r = 0; r < p.rows; ++r) {
      const int64_t at = row_offset(indices, r, p);
      if (at < 0) continue;
      T* dst = out + at * p.slice;
      const T* src = updates + r * p.slice;
      for (int64_t e = begin; e < end; ++e)
        dst[e] = static_cast<T>(Combiner::combine(static_cast<C>(dst[e]), static_cast<C>(src[e])));
    }
  };
  if (p.slice * p.rows >= rt::kParallelGrain && p.slice >= 1024)
    rt::parallel_for(p.slice, std::max<int64_t>(1024, rt::kParallelGrain / p.rows), span);
  else
    span(0, p.slice);
}

#define TFJIT_REDUCTION(name, ...) using kernels::name##_fn;
#include "ops/reduction_ops.def"

template <class T, class I>
void dispatch(const I* indices, const T* updates, T* out, const rt::ScatterPlan& p) {
  using namespace core;  // the table's dtype sets
  if (!p.combiner) return scatter_with<Update>(indices, updates, out, p);
  switch (*p.combiner) {
#define TFJIT_REDUCTION(name, dtypes, ...)                      \
  case ops::ReduceOp::name:                                     \
    if constexpr ((dtypes).contains(dtype_of_v<T>))             \
      return scatter_with<name##_fn>(indices, updates, out, p); \
    break;
#include "ops/reduction_ops.def"
    case ops::ReduceOp::kCount:
      break;
  }
  throw InternalError("scatter kernel: no " + std::string(ops::op_info(*p.combiner).name) +
                      " for " + std::string(dtype_name(dtype_of_v<T>)));
}

template <class T>
void scatter_kernel(const void* operand, const void* indices, const void* updates, void* outv,
                    const rt::ScatterPlan& p) {
  auto* out = static_cast<T*>(outv);
  int64_t total = p.slice;
  for (int64_t d : p.dims) total *= d;
  if (operand != outv && total > 0)
    std::memcpy(out, operand, static_cast<size_t>(total) * sizeof(T));
  if (p.rows == 0 || p.slice == 0 || total == 0) return;
  const auto* u = static_cast<const T*>(updates);
  if (p.indices64)
    dispatch(static_cast<const int64_t*>(indices), u, out, p);
  else
    dispatch(static_cast<const int32_t*>(indices), u, out, p);
}

void register_scatter(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kAll.contains(dtype_of_v<T>))
      table.set(ops::Primitive::scatter, dtype_of_v<T>, &scatter_kernel<T>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_scatter);

}  // namespace

}  // namespace tf::cpu
