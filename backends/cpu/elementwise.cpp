// Eager elementwise kernels: one template per arity, instantiated for every (op, dtype) pair the
// op table allows. Inner loops run over contiguous or broadcast (stride 0) operands so the
// compiler vectorises them.
#include <vector>

#include "backends/cpu/kernels.h"

namespace tf::cpu {

using kernels::compute_t;

template <class Fn, class T, class Out>
void unary_kernel(const void* xv, void* ov, int64_t n) {
  using C = compute_t<T>;
  auto* x = static_cast<const T*>(xv);
  auto* out = static_cast<Out*>(ov);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(Fn::apply(static_cast<C>(x[i])));
}

template <class Fn, class T, class Out>
void binary_inner(const T* x, int64_t sx, const T* y, int64_t sy, Out* out, int64_t n) {
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
void binary_kernel(const void* xv, const void* yv, void* ov, const rt::ElementwisePlan& plan) {
  auto* x = static_cast<const T*>(xv);
  auto* y = static_cast<const T*>(yv);
  auto* out = static_cast<Out*>(ov);
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims.back();
  const int64_t sx = plan.strides[0].back(), sy = plan.strides[1].back();
  if (rank == 1) return binary_inner<Fn, T, Out>(x, sx, y, sy, out, inner);
  // Odometer over the outer dimensions.
  std::vector<int64_t> index(rank - 1, 0);
  int64_t ox = 0, oy = 0, outer = 1;
  for (size_t d = 0; d + 1 < rank; ++d) outer *= plan.dims[d];
  for (int64_t row = 0; row < outer; ++row) {
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
}

// Fills slots[dtype] with make(T{}) for every dtype; make returns null for unclaimed ones.
template <class K, class MakeKernel>
void register_each(K (&slots)[kNumDTypes], MakeKernel make) {
  kernels::visit_all_dtypes([&](auto tag) { slots[int(dtype_of_v<decltype(tag)>)] = make(tag); });
}

void register_elementwise(rt::KernelTable& table) {
  using namespace rt;  // the table's DTypeSet names
#define TFJIT_UNARY(name, dtypes, result, ...)                                 \
  register_each(table.unary[int(UnaryOp::name)], [](auto tag) -> UnaryKernel { \
    using T = decltype(tag);                                                   \
    if constexpr (dtypes.contains(dtype_of_v<T>))                              \
      return &unary_kernel<kernels::name##_fn, T, kernels::result::type<T>>;   \
    else                                                                       \
      return nullptr;                                                          \
  });
#define TFJIT_BINARY(name, dtypes, result, ...)                                   \
  register_each(table.binary[int(BinaryOp::name)], [](auto tag) -> BinaryKernel { \
    using T = decltype(tag);                                                      \
    if constexpr (dtypes.contains(dtype_of_v<T>))                                 \
      return &binary_kernel<kernels::name##_fn, T, kernels::result::type<T>>;     \
    else                                                                          \
      return nullptr;                                                             \
  });
#include "tfjit/elementwise_ops.def"
}

}  // namespace tf::cpu
