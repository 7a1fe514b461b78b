// One traced signature of a tf::function and its compiled code (frontend/src/function.cpp);
// running it on a GPU is frontend/src/function_gpu.cpp.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "frontend/src/trace.h"
#include "runtime/buffer.h"
#include "tfjit/tensor.h"

namespace tf::rt::gpu {
class LoadedProgram;
}

namespace tf::detail {

class GpuShapePrograms;  // function_gpu.cpp
struct ForwardBackward;  // forward_backward.h

struct Concrete {
  Concrete();
  ~Concrete();

  compiler::CompileOptions options;
  // The signature key (function.cpp): per tensor argument its dtype, rank and dims, where
  // kUnknownDim matches any size.
  std::vector<int64_t> key;
  std::vector<std::string> values;
  uint64_t last_use = 0;
  std::unique_ptr<compiler::Graph> graph;
  // Where the compiled code runs, and the code: host machine code, or a program loaded on a GPU.
  // The device placement in force when it was traced (a tf::device_scope, else GPU:0 when there
  // is one) is part of the signature; a graph the GPU cannot run falls back to the CPU.
  rt::Device requested, device;
  std::unique_ptr<rt::gpu::LoadedProgram> gpu;
  int64_t gpu_code_bytes = 0;  // its PTX or driver binary
  // A graph with unknown dims on a GPU: one program per concrete shape, built at its first call.
  std::unique_ptr<GpuShapePrograms> gpu_shapes;
  std::string gpu_fallback;  // why a function placed on a GPU runs on the CPU
  std::vector<TraceContext::Capture> captures;
  // Per capture: for a random generator's counter, the draws the graph makes from it (the call
  // advances the counter by that much as it reads it: read_captures); else 0.
  std::vector<int64_t> draws;
  std::vector<std::shared_ptr<VariableImpl>> assigned;  // their new values follow the results
  // Set when the key has unknown dims: re-derives every shape from the call's (and checks the
  // assumptions tracing made) before the compiled code runs.
  std::unique_ptr<compiler::ShapeProgram> shapes;
  // For calls under one tape, built at the first call of each argument shape (a few for a key
  // with unknown dims): the body as a forward graph that also returns what its gradient needs,
  // and that gradient's graph. Null where that does not apply.
  struct ForwardBackwardPair {
    std::vector<int64_t> key;  // the call's, all dims known
    std::once_flag once;       // traced at the first call of the key
    std::shared_ptr<const ForwardBackward> pair;
  };
  static constexpr size_t kMaxForwardBackwardPairs = 8;  // more shapes take the general path
  mutable std::mutex forward_backward_mutex;             // guards the list, not the traces
  mutable std::vector<std::shared_ptr<ForwardBackwardPair>> forward_backward;

  int64_t code_bytes() const;
  // The host machine code: compiled with the entry, except for a graph with unknown dims placed on
  // a GPU, whose calls need it only for shapes the GPU cannot run (compiled at the first).
  const compiler::Executable& host_code() const;
  // The concrete shape of every graph argument at a call: `args`, then the captures.
  std::vector<TensorShape> argument_shapes(std::span<const Tensor> args) const;

 private:
  mutable std::once_flag host_once_;
  mutable std::shared_ptr<compiler::Executable> executable_;  // shared: see compile_cached
};

// Thrown (never past FunctionCore::call or ConcreteFunction) when a call's shapes break code in
// a tf::cond branch or tf::while_loop body: compiled code must not run there with them (should
// that code run, its loops would be sized wrongly), so the body runs eagerly for this call, as
// TensorFlow would run it: the code that does run raises its own typed error, if any.
struct RegionShapesBroken {
  std::string why;
};

// function.cpp. Fills `entry` from a finished trace whose body returned `outputs`.
void take_trace(Concrete& entry, TraceContext& trace, const std::vector<Tensor>& outputs);
// The values of `c`'s captures for one call: tensors, variables' current values (kept for the
// call), random counters advanced past the call's draws.
std::vector<Tensor> read_captures(const Concrete& c);
// Runs `c`'s compiled code on `args` (already matching its signature) and `captured`
// (read_captures), on its GPU if it has one, and assigns the variables it assigns. Returns the
// body's results.
std::vector<Tensor> run(const Concrete& c, std::span<const Tensor> args,
                        std::vector<Tensor> captured);

// function_gpu.cpp. Compiles `entry` for entry.requested, a GPU: a static graph now, a graph with
// unknown dims at the first call of each shape. What cannot run there runs on the CPU, and
// entry.gpu_fallback says why.
void compile_for_gpu(Concrete& entry);
bool on_gpu(const Concrete& c);
// The bytes of the programs `c` keeps loaded on its GPU.
int64_t gpu_program_bytes(const Concrete& c);
// Runs `c` on its GPU into `outputs` (the graph's results, on the GPU), `captured` the values of
// its captures at this call. Returns false, having run nothing, when this call's shapes run on
// the CPU instead.
bool run_gpu(const Concrete& c, std::span<const Tensor> args, std::span<const Tensor> captured,
             std::vector<Tensor>& outputs);
// For ConcreteFunction: where the latest call ran, why not on the GPU, and its CUDA Graph replay.
std::string device_name(const Concrete& c);
std::string gpu_fallback_reason(const Concrete& c);
bool replays_cuda_graph(const Concrete& c);
std::string cuda_graph_unavailable_reason(const Concrete& c);

}  // namespace tf::detail
