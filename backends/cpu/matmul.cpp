// Eager matmul: oneDNN's sgemm for float32; an i-k-j loop for the other dtypes. Both take the
// operands' transposes as flags, so transposed products never copy.
#include <dnnl.h>

#include <vector>

#include "backends/cpu/kernels.h"
#include "backends/cpu/matmul_fused.h"
#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::cpu {

using kernels::compute_t;

void sgemm(const void* a, const void* b, void* c, int64_t m, int64_t k, int64_t n, bool ta,
           bool tb) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // oneDNN rejects k == 0; the product of empty sums is zero
    std::fill_n(static_cast<float*>(c), m * n, 0.0f);
    return;
  }
  rt::use_parallel_threads_here();
  dnnl_status_t s = dnnl_sgemm(
      ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, static_cast<const float*>(a), ta ? m : k,
      static_cast<const float*>(b), tb ? k : n, 0.0f, static_cast<float*>(c), n);
  if (s != dnnl_success)
    throw InternalError("matmul: oneDNN sgemm failed with status " + std::to_string(s));
}

template <class T>
void matmul_loops(const void* av, const void* bv, void* cv, int64_t m, int64_t k, int64_t n,
                  bool ta, bool tb) {
  using C = compute_t<T>;
  auto* a = static_cast<const T*>(av);
  auto* b = static_cast<const T*>(bv);
  auto* c = static_cast<T*>(cv);
  std::vector<C> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), C{});
    for (int64_t p = 0; p < k; ++p) {
      C aip = static_cast<C>(ta ? a[p * m + i] : a[i * k + p]);
      if (tb) {
        for (int64_t j = 0; j < n; ++j) row[j] += aip * static_cast<C>(b[j * k + p]);
      } else {
        const T* brow = b + p * n;
        for (int64_t j = 0; j < n; ++j) row[j] += aip * static_cast<C>(brow[j]);
      }
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<T>(row[j]);
  }
}

void register_matmul(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::matmul, dtype_of_v<T>, &matmul_loops<T>);
  });
  table.set(ops::Primitive::matmul, float32, &sgemm);
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_matmul);

}  // namespace tf::cpu
