// tf::function on a GPU. A GPU program has static shapes: every kernel parameter, launch size
// and buffer is fixed when it is built, so a call only patches in addresses (and, from the
// second call, replays one CUDA Graph). A graph traced with unknown dims is therefore compiled
// once per concrete shape, at the first call with that shape, as XLA compiles one executable per
// shape; the trace itself is shared (trace_count() counts it once).
#include <algorithm>

#include "frontend/src/concrete.h"
#include "frontend/src/placement.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/gpu.h"
#include "runtime/gpu_program.h"

namespace tf::detail {

namespace {

// Shapes kept per signature; the least recently used program is dropped beyond this.
constexpr size_t kMaxShapePrograms = 16;

compiler::CompileOptions gpu_options(const Concrete& c) {
  compiler::CompileOptions options = c.options;
  options.matmul_library_call = options.matmul_library_call && rt::gpu::gemm_library_available();
  options.device_conv_calls = rt::gpu::conv_library_available();
  return options;
}

// GPU `ordinal` as the compiler's cache sees it, with the driver's assembler.
compiler::GpuTarget gpu_target(int ordinal) {
  const rt::gpu::DeviceInfo info = rt::gpu::info(ordinal);
  return {rt::gpu::arch(ordinal), info.compute_capability_major, info.compute_capability_minor,
          info.driver_version,
          [ordinal](const std::string& ptx) { return rt::gpu::assemble(ordinal, ptx); }};
}

// Runs `program` on operands already on its GPU, into results made there.
void launch(const Concrete& c, rt::gpu::LoadedProgram& program, std::span<const Tensor> args,
            std::span<const Tensor> captured, std::span<const compiler::TensorType> results,
            std::vector<Tensor>& outputs) {
  std::vector<Tensor> operands;
  operands.reserve(args.size() + captured.size());
  for (const Tensor& t : args) operands.push_back(to_device(t, c.requested));
  for (const Tensor& t : captured) operands.push_back(to_device(t, c.requested));
  std::vector<const void*> in;
  std::vector<void*> out;
  for (const Tensor& t : operands) in.push_back(raw(t));
  for (const auto& r : results) {
    outputs.push_back(empty(r.dtype, r.shape, c.requested));
    out.push_back(raw_mut(outputs.back()));
  }
  program.run(in.data(), out.data());
}

}  // namespace

// One concrete shape of a graph with unknown dims.
struct GpuShapeProgram {
  std::vector<TensorShape> arguments;  // every graph argument's shape: the key
  std::vector<compiler::TensorType> results;
  std::unique_ptr<rt::gpu::LoadedProgram> program;  // null: this shape runs on the CPU
  int64_t code_bytes = 0;                           // the program's PTX or driver binary
  std::string fallback;                             // then, why
  uint64_t last_use = 0;
};

class GpuShapePrograms {
 public:
  // The program for these argument shapes, built (outside the lock) on a miss.
  std::shared_ptr<GpuShapeProgram> get(const Concrete& c, std::vector<TensorShape> arguments) {
    {
      std::lock_guard guard(mutex_);
      for (const auto& p : kept_)
        if (p->arguments == arguments) return use(p);
    }
    auto built = std::make_shared<GpuShapeProgram>();
    built->arguments = std::move(arguments);
    std::unique_ptr<compiler::Graph> graph = c.graph->specialize(built->arguments);
    built->results = graph->results();
    try {
      auto program =
          compiler::compile_gpu_cached(*graph, gpu_options(c), gpu_target(c.requested.index));
      built->code_bytes = static_cast<int64_t>(program->image.size());
      built->program = rt::gpu::load(c.requested.index, std::move(program));
    } catch (const UnimplementedError& e) {  // this shape only (a launch over the limits, ...)
      built->fallback = "at shapes " + shapes_text(built->arguments) + ": " + e.what();
    }
    std::lock_guard guard(mutex_);
    for (const auto& p : kept_)  // another thread built it meanwhile
      if (p->arguments == built->arguments) return use(p);
    use(built);  // the most recently used: never the one dropped
    kept_.push_back(built);
    if (kept_.size() > kMaxShapePrograms)
      kept_.erase(std::min_element(kept_.begin(), kept_.end(), [](const auto& a, const auto& b) {
        return a->last_use < b->last_use;
      }));
    return built;
  }

  // A call that runs on the CPU without a program of its own, and why.
  void note_cpu_call(std::vector<TensorShape> arguments, std::string why) {
    std::lock_guard guard(mutex_);
    last_ = std::make_shared<GpuShapeProgram>(
        GpuShapeProgram{std::move(arguments), {}, nullptr, 0, std::move(why)});
  }

  int64_t code_bytes() const {
    std::lock_guard guard(mutex_);
    int64_t bytes = 0;
    for (const auto& p : kept_) bytes += p->code_bytes;
    return bytes;
  }

  std::shared_ptr<const GpuShapeProgram> last() const {
    std::lock_guard guard(mutex_);
    return last_;
  }

 private:
  std::shared_ptr<GpuShapeProgram> use(std::shared_ptr<GpuShapeProgram> p) {
    p->last_use = ++clock_;
    last_ = p;
    return p;
  }

  static std::string shapes_text(const std::vector<TensorShape>& shapes) {
    std::string out;
    for (const auto& s : shapes) out += (out.empty() ? "" : ", ") + s.to_string();
    return out;
  }

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<GpuShapeProgram>> kept_;
  std::shared_ptr<GpuShapeProgram> last_;
  uint64_t clock_ = 0;
};

Concrete::Concrete() = default;
Concrete::~Concrete() = default;

void compile_for_gpu(Concrete& entry) {
  entry.device = entry.requested;
  if (entry.shapes) {
    entry.gpu_shapes = std::make_unique<GpuShapePrograms>();
    return;
  }
  try {
    auto program = compiler::compile_gpu_cached(*entry.graph, gpu_options(entry),
                                                gpu_target(entry.requested.index));
    entry.gpu_code_bytes = static_cast<int64_t>(program->image.size());
    entry.gpu = rt::gpu::load(entry.requested.index, std::move(program));
  } catch (const UnimplementedError& e) {
    entry.gpu_fallback = e.what();
    entry.device = rt::Device{};
  }
}

bool on_gpu(const Concrete& c) { return c.gpu || c.gpu_shapes; }

int64_t gpu_program_bytes(const Concrete& c) {
  return c.gpu_shapes ? c.gpu_shapes->code_bytes() : c.gpu_code_bytes;
}

bool run_gpu(const Concrete& c, std::span<const Tensor> args, std::span<const Tensor> captured,
             std::vector<Tensor>& outputs) {
  if (c.gpu) {
    launch(c, *c.gpu, args, captured, c.graph->results(), outputs);
    return true;
  }
  std::vector<TensorShape> shapes = c.argument_shapes(args);
  std::string region_failure;              // code in a branch or loop that these shapes break
  c.shapes->run(shapes, &region_failure);  // checks what tracing assumed outside them
  if (!region_failure.empty()) {           // the host path runs the body eagerly (function.cpp)
    c.gpu_shapes->note_cpu_call(std::move(shapes),
                                "these shapes break code in a branch or loop, so this call runs "
                                "eagerly: " +
                                    region_failure);
    return false;
  }
  auto p = c.gpu_shapes->get(c, std::move(shapes));
  if (!p->program) return false;
  launch(c, *p->program, args, captured, p->results, outputs);
  return true;
}

std::string device_name(const Concrete& c) {
  if (c.gpu_shapes) {
    auto last = c.gpu_shapes->last();
    if (last && !last->program) return rt::Device{}.name();
  }
  return c.device.name();
}

std::string gpu_fallback_reason(const Concrete& c) {
  if (c.gpu_shapes) {
    auto last = c.gpu_shapes->last();
    return last ? last->fallback : "";
  }
  return c.gpu_fallback;
}

bool replays_cuda_graph(const Concrete& c) {
  if (c.gpu_shapes) {
    auto last = c.gpu_shapes->last();
    return last && last->program && last->program->last_call_replayed_graph();
  }
  return c.gpu && c.gpu->last_call_replayed_graph();
}

std::string cuda_graph_unavailable_reason(const Concrete& c) {
  if (c.gpu_shapes) {
    auto last = c.gpu_shapes->last();
    return last && last->program ? last->program->graph_unavailable_reason() : "";
  }
  return c.gpu ? c.gpu->graph_unavailable_reason() : "";
}

}  // namespace tf::detail
