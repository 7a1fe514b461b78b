// The scatter primitive's GPU kernels (runtime/primitives/scatter.h): the operand copied into
// the output on the device, then scatter_kernels.cu's kernels, linear in the updates: with a
// combiner, one atomic combine per update element; "update" (the last row wins), a pass that
// finds each output row's last row into scratch, then one that writes the winners' elements.
#include <string>
#include <vector>

#include "backends/cuda/kernel_launch.h"
#include "runtime/kernels.h"
#include "runtime/primitives/scatter.h"

namespace tf::cuda {

namespace {

template <DType D>
void scatter(const void* operand, const void* indices, const void* updates, void* out,
             const rt::ScatterPlan& p) {
  static const auto names = [] {
    std::vector<std::string> n;
    for (int op = 0; op < ops::kNumReduce; ++op)
      n.push_back(std::string("tfjit_scatter_") +
                  ops::op_info(static_cast<ops::ReduceOp>(op)).name);
    return n;
  }();
  if (p.combiner && !ops::op_info(*p.combiner).dtypes.contains(D))
    throw InternalError("scatter kernel on GPU: no " + std::string(ops::op_info(*p.combiner).name) +
                        " for " + std::string(dtype_name(D)));
  ScatterArgs args{};
  args.depth = static_cast<int32_t>(p.dims.size());
  args.indices64 = p.indices64;
  args.rows = p.rows;
  args.slice = p.slice;
  fixed_dims(p.dims, args.dims, "scatter");
  int64_t out_rows = 1;
  for (int64_t d : p.dims) out_rows *= d;
  const size_t bytes = static_cast<size_t>(out_rows * p.slice) * dtype_size(D);
  Device& device = current();
  if (operand != out && bytes > 0)
    check(driver()->MemcpyDtoDAsync(device_ptr(out), device_ptr(operand), bytes, device.stream()),
          "scatter on GPU: copying the operand");
  int64_t n = p.rows * p.slice;
  if (n == 0 || bytes == 0) return;
  if (p.combiner) {
    int dtype = static_cast<int>(D);
    void* params[] = {&dtype, &indices, &updates, &out, &n, &args};
    device.launch(names[static_cast<size_t>(*p.combiner)].c_str(), n, params);
    return;
  }
  Scratch winners(device, static_cast<size_t>(out_rows) * sizeof(int64_t));
  check(driver()->MemsetD8Async(device_ptr(winners.ptr), 0xff,
                                static_cast<size_t>(out_rows) * sizeof(int64_t), device.stream()),
        "scatter on GPU: initialising its rows' winners");
  void* first[] = {&indices, &winners.ptr, &args};
  device.launch("tfjit_scatter_last_rows", p.rows, first);
  int word = static_cast<int>(dtype_size(D));
  void* second[] = {&word, &indices, &winners.ptr, &updates, &out, &n, &args};
  device.launch("tfjit_scatter_update", n, second);
}

void register_scatter(rt::KernelTable& table) {
  for_gpu_dtypes([&](auto d) { table.set(ops::Primitive::scatter, d(), &scatter<d()>); });
}
const bool registered = rt::register_kernels(rt::DeviceType::kGPU, &register_scatter);

}  // namespace

}  // namespace tf::cuda
