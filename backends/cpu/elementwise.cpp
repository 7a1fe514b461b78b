// Eager elementwise kernels: one template per arity, instantiated for every (op, dtype) pair the
// op table allows. Inner loops run over contiguous or broadcast (stride 0) operands so the
// compiler vectorises them.
#include <vector>

#include "backends/cpu/kernels.h"
#include "tfjit/errors.h"

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

// Dense copy of a broadcast view; elements are moved as opaque words of their size.
template <class Word>
void broadcast_words(const Word* src, Word* dst, const rt::ElementwisePlan& plan) {
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims.back(), s = plan.strides[0].back();
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0, rows = 1;
  for (size_t d = 0; d + 1 < rank; ++d) rows *= plan.dims[d];
  for (int64_t row = 0; row < rows; ++row, dst += inner) {
    for (int64_t i = 0; i < inner; ++i) dst[i] = src[offset + i * s];
    for (size_t d = rank - 1; d-- > 0;) {
      offset += plan.strides[0][d];
      if (++index[d] < plan.dims[d]) break;
      offset -= plan.strides[0][d] * plan.dims[d];
      index[d] = 0;
    }
  }
}

struct Word128 {
  uint64_t lo, hi;
};

void broadcast_kernel(const void* src, void* dst, size_t size, const rt::ElementwisePlan& plan) {
  switch (size) {
    case 1:
      return broadcast_words(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), plan);
    case 2:
      return broadcast_words(static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst), plan);
    case 4:
      return broadcast_words(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), plan);
    case 8:
      return broadcast_words(static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), plan);
    case 16:
      return broadcast_words(static_cast<const Word128*>(src), static_cast<Word128*>(dst), plan);
    default:
      throw InternalError("broadcast: unsupported element size " + std::to_string(size));
  }
}

template <class Word>
void select_words(const bool* c, const Word* x, const Word* y, Word* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = c[i] ? x[i] : y[i];
}

void select_kernel(const bool* c, const void* x, const void* y, void* out, size_t size, int64_t n) {
  switch (size) {
    case 1:
      return select_words(c, static_cast<const uint8_t*>(x), static_cast<const uint8_t*>(y),
                          static_cast<uint8_t*>(out), n);
    case 2:
      return select_words(c, static_cast<const uint16_t*>(x), static_cast<const uint16_t*>(y),
                          static_cast<uint16_t*>(out), n);
    case 4:
      return select_words(c, static_cast<const uint32_t*>(x), static_cast<const uint32_t*>(y),
                          static_cast<uint32_t*>(out), n);
    case 8:
      return select_words(c, static_cast<const uint64_t*>(x), static_cast<const uint64_t*>(y),
                          static_cast<uint64_t*>(out), n);
    case 16:
      return select_words(c, static_cast<const Word128*>(x), static_cast<const Word128*>(y),
                          static_cast<Word128*>(out), n);
    default:
      throw InternalError("where: unsupported element size " + std::to_string(size));
  }
}

// Fills slots[dtype] with make(T{}) for every dtype; make returns null for unclaimed ones.
template <class K, class MakeKernel>
void register_each(K (&slots)[kNumDTypes], MakeKernel make) {
  kernels::visit_all_dtypes([&](auto tag) { slots[int(dtype_of_v<decltype(tag)>)] = make(tag); });
}

void register_elementwise(rt::KernelTable& table) {
  table.broadcast = &broadcast_kernel;
  table.select = &select_kernel;
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
