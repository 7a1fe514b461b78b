// The reduce_window and select_and_scatter primitives' GPU kernels (pooling and its max / min
// gradient; runtime/primitives/reduce_window.h): host launchers of window_kernels.cu, one
// thread per output element (per window), the plan's vectors copied into a fixed-size
// WindowPlan (at most kMaxRank dims).
#include <string>
#include <vector>

#include "backends/cuda/kernel_launch.h"
#include "runtime/kernels.h"
#include "runtime/primitives/reduce_window.h"

namespace tf::cuda {

namespace {

int64_t elements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

WindowPlan window_plan(const rt::ReduceWindowPlan& p, const std::string& op) {
  WindowPlan w{};
  w.rank = static_cast<int32_t>(p.in.size());
  fixed_dims(p.in, w.in, op);
  fixed_dims(p.out, w.out, op);
  fixed_dims(p.window, w.window, op);
  fixed_dims(p.strides, w.strides, op);
  fixed_dims(p.dilations, w.dilations, op);
  fixed_dims(p.low, w.low, op);
  return w;
}

template <DType D>
void reduce_window(const void* x, void* out, const rt::ReduceWindowPlan& p) {
  static const auto names = [] {
    std::vector<std::string> n;
    for (int op = 0; op < ops::kNumReduce; ++op)
      n.push_back(std::string("tfjit_reduce_window_") +
                  ops::op_info(static_cast<ops::ReduceOp>(op)).name);
    return n;
  }();
  if (!ops::op_info(p.op).dtypes.contains(D))
    throw InternalError("reduce_window kernel on GPU: no " + std::string(ops::op_info(p.op).name) +
                        " for " + std::string(dtype_name(D)));
  WindowPlan plan = window_plan(p, "reduce_window");
  int dtype = static_cast<int>(D);
  int64_t n = elements(p.out);
  void* args[] = {&dtype, &x, &out, &n, &plan};
  current().launch(names[static_cast<size_t>(p.op)].c_str(), n, args);
}

// out (x's shape) zeroed, then each window's g added to its selected element.
template <DType D>
void select_and_scatter(const void* x, const void* y, const void* g, void* out,
                        const rt::ReduceWindowPlan& p) {
  WindowPlan plan = window_plan(p, "select_and_scatter");
  for (int d = 0; d < plan.rank; ++d) plan.dilations[d] = 1;  // none (the op refuses them)
  Device& device = current();
  check(
      driver()->MemsetD8Async(device_ptr(out), 0,
                              static_cast<size_t>(elements(p.in)) * dtype_size(D), device.stream()),
      "select_and_scatter on GPU: zeroing the gradient");
  int dtype = static_cast<int>(D);
  int64_t n = elements(p.out);
  void* args[] = {&dtype, &x, &y, &g, &out, &n, &plan};
  device.launch("tfjit_select_and_scatter", n, args);
}

void register_reduce_window(rt::KernelTable& table) {
  for_gpu_dtypes([&](auto d) {
    if constexpr ((core::kNumeric | core::kBool).contains(d()))
      table.set(ops::Primitive::reduce_window, d(), &reduce_window<d()>);
    if constexpr (core::kNumeric.contains(d()))
      table.set(ops::Primitive::select_and_scatter, d(), &select_and_scatter<d()>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kGPU, &register_reduce_window);

}  // namespace

}  // namespace tf::cuda
