// Eager elementwise kernels: one template per arity, instantiated for every (op, dtype) pair the
// op table allows. Inner loops run over contiguous or broadcast (stride 0) operands so the
// compiler vectorises them.
#include <vector>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"

namespace tf::cpu {

namespace {  // each shard has its own copy

using kernels::compute_t;

template <class Fn, class T, class Out>
TFJIT_ISA_CLONES void unary_range(const T* x, Out* out, int64_t n) {
  using C = compute_t<T>;
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(Fn::apply(static_cast<C>(x[i])));
}

template <class Fn, class T, class Out>
void unary_kernel(const void* xv, void* ov, int64_t n) {
  auto* x = static_cast<const T*>(xv);
  auto* out = static_cast<Out*>(ov);
  rt::parallel_for(n, rt::kParallelGrain, [&](int64_t begin, int64_t end) {
    unary_range<Fn, T, Out>(x + begin, out + begin, end - begin);
  });
}

template <class Fn, class T, class Out>
TFJIT_ISA_CLONES void binary_inner(const T* x, int64_t sx, const T* y, int64_t sy, Out* out,
                                   int64_t n) {
  using C = compute_t<T>;
  if (sx == 1 && sy == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(Fn::apply(C(x[i]), C(y[i])));
  } else if (sx == 0 && sy == 1) {
    C xs = C(x[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(Fn::apply(xs, C(y[i])));
  } else if (sx == 1 && sy == 0) {
    C ys = C(y[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(Fn::apply(C(x[i]), ys));
  } else {
    for (int64_t i = 0; i < n; ++i)
      out[i] = static_cast<Out>(Fn::apply(C(x[i * sx]), C(y[i * sy])));
  }
}

template <class Fn, class T, class Out>
void binary_kernel(const void* xv, const void* yv, void* ov, const core::ElementwisePlan& plan) {
  auto* x = static_cast<const T*>(xv);
  auto* y = static_cast<const T*>(yv);
  auto* out = static_cast<Out*>(ov);
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims.back();
  const int64_t sx = plan.strides[0].back(), sy = plan.strides[1].back();
  if (rank == 1) {
    rt::parallel_for(inner, rt::kParallelGrain, [&](int64_t b, int64_t e) {
      binary_inner<Fn, T, Out>(x + b * sx, sx, y + b * sy, sy, out + b, e - b);
    });
    return;
  }
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < rank; ++d) rows *= plan.dims[d];
  rt::parallel_for(rows, std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(inner, 1)),
                   [&](int64_t rb, int64_t re) {
                     // Odometer over the outer dimensions, starting at row rb.
                     std::vector<int64_t> index(rank - 1, 0);
                     int64_t ox = 0, oy = 0;
                     for (int64_t r = rb, d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
                       index[d] = r % plan.dims[d];
                       r /= plan.dims[d];
                       ox += index[d] * plan.strides[0][d];
                       oy += index[d] * plan.strides[1][d];
                     }
                     for (int64_t row = rb; row < re; ++row) {
                       binary_inner<Fn, T, Out>(x + ox, sx, y + oy, sy, out + row * inner, inner);
                       for (size_t d = rank - 1; d-- > 0;) {
                         ox += plan.strides[0][d];
                         oy += plan.strides[1][d];
                         if (++index[d] < plan.dims[d]) break;
                         ox -= plan.strides[0][d] * plan.dims[d];
                         oy -= plan.strides[1][d] * plan.dims[d];
                         index[d] = 0;
                       }
                     }
                   });
}

// Sets op's kernel to make(T{}) for every dtype; make returns null for unclaimed ones.
template <class MakeKernel>
void register_each(rt::KernelTable& table, ops::OpId op, MakeKernel make) {
  kernels::visit_all_dtypes([&](auto tag) { table.set(op, dtype_of_v<decltype(tag)>, make(tag)); });
}

// This translation unit's share of the table: backends/cpu/CMakeLists.txt compiles this file
// once per shard (TFJIT_SHARD of TFJIT_SHARDS), so no one TU instantiates every op's kernels.
// A generic lambda's body is only instantiated when called, so ops of other shards cost nothing.
template <int Op, class Register>
void if_in_shard(Register register_op) {
  if constexpr (Op % TFJIT_SHARDS == TFJIT_SHARD) register_op(0);
}

void register_elementwise(rt::KernelTable& table) {
  using namespace core;  // the table's dtype sets
  using ops::BinaryOp, ops::UnaryOp, rt::BinaryKernel, rt::UnaryKernel;
#define TFJIT_UNARY(name, dtypes, result, ...)                                 \
  if_in_shard<int(UnaryOp::name)>([&](auto) {                                  \
    register_each(table, UnaryOp::name, [](auto tag) -> UnaryKernel {          \
      using T = decltype(tag);                                                 \
      if constexpr ((dtypes).contains(dtype_of_v<T>))                          \
        return &unary_kernel<kernels::name##_fn, T, kernels::result::type<T>>; \
      else                                                                     \
        return nullptr;                                                        \
    });                                                                        \
  });
#define TFJIT_BINARY(name, dtypes, result, ...)                                 \
  if_in_shard<ops::kNumUnary + int(BinaryOp::name)>([&](auto) {                 \
    register_each(table, BinaryOp::name, [](auto tag) -> BinaryKernel {         \
      using T = decltype(tag);                                                  \
      if constexpr ((dtypes).contains(dtype_of_v<T>))                           \
        return &binary_kernel<kernels::name##_fn, T, kernels::result::type<T>>; \
      else                                                                      \
        return nullptr;                                                         \
    });                                                                         \
  });
#include "ops/elementwise_ops.def"
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_elementwise);

}  // namespace

}  // namespace tf::cpu
