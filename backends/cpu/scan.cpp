// Eager scans (ops/scan_ops.def) on the CPU: for each outer index, the scanned axis is walked in
// order while a block of the inner axis is combined at once, so the inner loop is contiguous
// and vectorises; outer indices and inner blocks are split over the thread pool.
#include <algorithm>
#include <vector>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"
#include "runtime/primitives/scan.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

using kernels::compute_t;

template <class Combiner, class T>
void scan_with(const T* x, T* out, const rt::ScanPlan& p) {
  using C = compute_t<T>;
  constexpr int64_t kBlock = 1024;  // inner elements one task carries accumulators for
  const int64_t blocks = (p.inner + kBlock - 1) / kBlock;
  const int64_t per_task = p.n * std::min(p.inner, kBlock);
  const C identity = kernels::identity_value<C>(Combiner::kIdentity);
  rt::parallel_for(p.outer * blocks,
                   std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(per_task, 1)),
                   [&](int64_t begin, int64_t end) {
                     std::vector<C> acc(static_cast<size_t>(std::min(p.inner, kBlock)));
                     for (int64_t t = begin; t < end; ++t) {
                       const int64_t o = t / blocks, k0 = (t % blocks) * kBlock;
                       const int64_t len = std::min(kBlock, p.inner - k0);
                       std::fill_n(acc.begin(), len, identity);
                       for (int64_t s = 0; s < p.n; ++s) {
                         const int64_t i = p.reverse ? p.n - 1 - s : s;
                         const T* row = x + (o * p.n + i) * p.inner + k0;
                         T* dst = out + (o * p.n + i) * p.inner + k0;
                         for (int64_t k = 0; k < len; ++k) {
                           const C v = static_cast<C>(row[k]);
                           if (p.exclusive) dst[k] = static_cast<T>(acc[k]);
                           acc[k] = Combiner::combine(acc[k], v);
                           if (!p.exclusive) dst[k] = static_cast<T>(acc[k]);
                         }
                       }
                     }
                   });
}

using kernels::logaddexp_fn;
#define TFJIT_REDUCTION(name, ...) using kernels::name##_fn;
#include "ops/reduction_ops.def"

template <class T>
void scan_kernel(const void* x, void* out, const rt::ScanPlan& p) {
  using namespace core;  // the table's dtype sets
  switch (p.op) {
#define TFJIT_SCAN(name, dtypes, combiner)                                                \
  case ops::ScanOp::name:                                                                 \
    if constexpr ((dtypes).contains(dtype_of_v<T>))                                       \
      return scan_with<combiner##_fn>(static_cast<const T*>(x), static_cast<T*>(out), p); \
    break;
#include "ops/scan_ops.def"
    case ops::ScanOp::kCount:
      break;
  }
  throw InternalError("scan kernel: no " + std::string(ops::op_info(p.op).name) + " for " +
                      std::string(dtype_name(dtype_of_v<T>)));
}

void register_scan(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::scan, dtype_of_v<T>, &scan_kernel<T>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_scan);

}  // namespace

}  // namespace tf::cpu
