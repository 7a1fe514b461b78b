// The scan primitive's GPU kernels (runtime/primitives/scan.h): host launchers of scan_kernels.cu's
// tfjit_scan_<op>, one thread per (outer, inner) column, for each dtype the op's line in
// ops/scan_ops.def claims.
#include <string>

#include "backends/cuda/kernel_launch.h"
#include "runtime/kernels.h"
#include "runtime/primitives/scan.h"

namespace tf::cuda {

namespace {

template <DType D>
void scan(const void* x, void* out, const rt::ScanPlan& p) {
  static const auto names = [] {
    std::vector<std::string> n;
    for (int op = 0; op < ops::kNumScans; ++op)
      n.push_back(std::string("tfjit_scan_") + ops::op_info(static_cast<ops::ScanOp>(op)).name);
    return n;
  }();
  if (!ops::op_info(p.op).dtypes.contains(D))
    throw InternalError("scan kernel on GPU: no " + std::string(ops::op_info(p.op).name) + " for " +
                        std::string(dtype_name(D)));
  int dtype = static_cast<int>(D), exclusive = p.exclusive, reverse = p.reverse;
  int64_t outer = p.outer, n = p.n, inner = p.inner;
  void* args[] = {&dtype, &x, &out, &outer, &n, &inner, &exclusive, &reverse};
  current().launch(names[static_cast<size_t>(p.op)].c_str(), outer * inner, args);
}

void register_scan(rt::KernelTable& table) {
  for_gpu_dtypes([&](auto d) {
    if constexpr (core::kNumeric.contains(d())) table.set(ops::Primitive::scan, d(), &scan<d()>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kGPU, &register_scan);

}  // namespace

}  // namespace tf::cuda
