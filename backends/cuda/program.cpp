// Compiled functions on a GPU: a program's kernel image loaded with the driver API, its steps
// replayed on the device's stream, and from the second call on, all of them as one CUDA Graph
// (cuDNN convolutions and scatters, eager kernels called as steps, recorded into it as well).
// Graph replay needs fixed addresses, so a graphed program owns a staging arena for its arguments,
// results and temporaries: a call copies its arguments in, launches the graph and copies the
// results out (as PyTorch's CUDA graphs do with static inputs). That trades a copy of the
// boundary tensors for one launch instead of one per kernel, a win for the many small kernels
// of a training step; programs with large boundaries keep launching step by step.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "backends/cuda/cublas.h"
#include "backends/cuda/cudnn.h"
#include "backends/cuda/device.h"
#include "runtime/gpu.h"
#include "runtime/gpu_program.h"
#include "runtime/kernels.h"
#include "runtime/primitives/conv.h"
#include "runtime/primitives/scatter.h"
#include "runtime/print.h"
#include "tfjit/errors.h"

namespace tf::cuda {

namespace {

using rt::gpu::Program;
using rt::gpu::ProgramBuffer;

constexpr int64_t kAlignment = 256;
// Above this many bytes of arguments plus results, copying them through the staging arena
// costs more than the launches a graph saves.
constexpr int64_t kGraphBoundaryLimit = int64_t{16} << 20;

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

bool graphs_disabled() {
  const char* v = std::getenv("TFJIT_CUDA_GRAPHS");
  return v && (!std::strcmp(v, "0") || !std::strcmp(v, "false") || !std::strcmp(v, "off"));
}

template <class Kind>
bool has_step(const Program& p) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [](const rt::gpu::Step& s) { return std::holds_alternative<Kind>(s); });
}

class DeviceProgram final : public rt::gpu::LoadedProgram {
 public:
  DeviceProgram(int ordinal, std::shared_ptr<const Program> program)
      : ordinal_(ordinal),
        device_(Device::get(ordinal)),
        driver_(*driver()),
        program_(std::move(program)) {
    try {
      load();
    } catch (...) {
      release();  // what was loaded before the failure
      throw;
    }
  }

  ~DeviceProgram() override { release(); }

  void run(const void* const* args, void* const* results) override {
    std::lock_guard lock(mutex_);
    device_.make_current();
    // From the second call on: after a call that ran every step (each convolution's algorithm
    // was chosen there, which a recording could not do).
    if (!exec_ && completed_calls_ >= 1 && graph_reason_.empty()) capture();
    if (exec_) return replay(args, results);
    last_was_graph_ = false;
    void* temporaries = temporary_bytes_ ? device_.allocator().allocate(temporary_bytes_) : nullptr;
    try {
      auto address = addresses(args, results, temporaries);
      failed_check_.clear();
      enqueue(device_.stream(), address);
      if (!control_flow_) read_checks(address);
      // With control flow, checks were read as they came; the first failure is raised now that
      // the call has run, as the CPU raises it (later prints have printed).
      if (!failed_check_.empty()) throw InvalidArgumentError(failed_check_);
    } catch (...) {
      if (temporaries) device_.allocator().deallocate(temporaries);
      throw;
    }
    // Safe at once: whatever reuses the block is ordered after these steps on the same stream.
    if (temporaries) device_.allocator().deallocate(temporaries);
    ++completed_calls_;
  }

  bool last_call_replayed_graph() const override {
    std::lock_guard lock(mutex_);
    return last_was_graph_;
  }
  std::string graph_unavailable_reason() const override {
    std::lock_guard lock(mutex_);
    return graph_reason_;
  }

 private:
  void load() {
    const Program& p = *program_;
    if (!p.image.empty())
      check(driver_.ModuleLoadData(&module_, p.image.data()),
            "loading a compiled function's kernels on GPU:" + std::to_string(ordinal_));
    functions_.resize(p.steps.size(), nullptr);
    convolutions_.resize(p.steps.size(), nullptr);
    scatters_.resize(p.steps.size(), nullptr);
    for (size_t i = 0; i < p.steps.size(); ++i) {
      if (const auto* launch = std::get_if<rt::gpu::Launch>(&p.steps[i]))
        check(driver_.ModuleGetFunction(&functions_[i], module_, launch->kernel.c_str()),
              "cuModuleGetFunction " + launch->kernel);
      if (const auto* conv = std::get_if<rt::gpu::Conv>(&p.steps[i])) {
        convolutions_[i] = rt::kernels(rt::DeviceType::kGPU)
                               .get<rt::ConvKernel>(ops::Primitive::conv, conv->dtype);
        if (!convolutions_[i])  // the program was built where cuDNN loaded
          throw UnimplementedError("a compiled convolution on GPU:" + std::to_string(ordinal_) +
                                   ": no cuDNN kernel for " + std::string(dtype_name(conv->dtype)));
      }
      if (const auto* scatter = std::get_if<rt::gpu::Scatter>(&p.steps[i])) {
        scatters_[i] = rt::kernels(rt::DeviceType::kGPU)
                           .get<rt::ScatterKernel>(ops::Primitive::scatter, scatter->dtype);
        if (!scatters_[i])
          throw UnimplementedError("a compiled scatter on GPU:" + std::to_string(ordinal_) +
                                   ": no kernel for " + std::string(dtype_name(scatter->dtype)));
      }
    }
    control_flow_ = p.has_control_flow();
    // Constants go up once; temporaries get fixed offsets in one block per call.
    offsets_.resize(p.buffers.size(), 0);
    constants_.resize(p.buffers.size(), nullptr);
    for (size_t i = 0; i < p.buffers.size(); ++i) {
      const ProgramBuffer& b = p.buffers[i];
      if (b.kind == ProgramBuffer::Kind::kTemporary) {
        offsets_[i] = temporary_bytes_;
        temporary_bytes_ += aligned(b.bytes);
      } else if (b.kind == ProgramBuffer::Kind::kConstant && b.bytes > 0) {
        constants_[i] = device_.allocator().allocate(static_cast<size_t>(b.bytes));
        rt::gpu::copy_to_device(ordinal_, constants_[i], b.data.data(), b.data.size());
      } else if (b.kind != ProgramBuffer::Kind::kConstant) {
        boundary_bytes_ += aligned(b.bytes);
      }
    }
    int64_t launches = 0;  // kernels, cuBLAS calls and copies
    for (const rt::gpu::Step& step : p.steps) {
      if (const auto* g = std::get_if<rt::gpu::Gemm>(&step))
        launches += g->batch;
      else if (const auto* c = std::get_if<rt::gpu::Copy>(&step))
        launches += c->bytes > 0;
      else  // a convolution or scatter step: an eager kernel of several launches
        launches += std::holds_alternative<rt::gpu::Launch>(step) ||
                    std::holds_alternative<rt::gpu::Conv>(step) ||
                    std::holds_alternative<rt::gpu::Scatter>(step);
    }
    if (graphs_disabled())
      graph_reason_ = "disabled by TFJIT_CUDA_GRAPHS";
    else if (launches < 2)
      graph_reason_ =
          "at most one launch: a CUDA Graph saves nothing, and replay would add the copies that "
          "stage its arguments and results";
    else if (control_flow_)
      graph_reason_ =
          "host control flow (tf::cond, tf::while_loop): each branch reads its predicate from "
          "the GPU";
    else if (has_step<rt::gpu::Print>(p))
      graph_reason_ = "tf::print: its values are read back and printed by the host";
    else if (boundary_bytes_ > kGraphBoundaryLimit)
      graph_reason_ = "arguments and results of " + std::to_string(boundary_bytes_) +
                      " bytes (replay stages them through fixed buffers; the limit is " +
                      std::to_string(kGraphBoundaryLimit) + ")";
  }

  // Runs an eager kernel (cuDNN convolution, scatter), which launches on the calling thread's
  // current GPU: this program's for its duration.
  template <class F>
  void on_this_device(F run) {
    const int caller = rt::gpu::current_device();
    rt::gpu::set_current_device(ordinal_);
    try {
      run();
    } catch (...) {
      rt::gpu::set_current_device(caller);
      throw;
    }
    rt::gpu::set_current_device(caller);
    device_.make_current();
  }

  void release() noexcept {
    try {
      device_.make_current();
      driver_.StreamSynchronize(device_.stream());  // nothing of ours may still be running
      if (exec_) driver_.GraphExecDestroy(exec_);
      if (graph_) driver_.GraphDestroy(graph_);
      if (capture_stream_) {
        release_gemm_stream(capture_stream_);
        release_cudnn_stream(capture_stream_);
        driver_.StreamDestroy(capture_stream_);
      }
      if (module_) driver_.ModuleUnload(module_);
      for (void* c : constants_)
        if (c) device_.allocator().deallocate(c);
      if (arena_) device_.allocator().deallocate(arena_);
      for (void* k : kept_) device_.allocator().deallocate(k);
    } catch (...) {  // called by the destructor, which must not throw: the process keeps going
    }
  }

  std::vector<CUdeviceptr> addresses(const void* const* args, void* const* results,
                                     void* temporaries) const {
    const Program& p = *program_;
    std::vector<CUdeviceptr> a(p.buffers.size(), 0);
    for (size_t i = 0; i < p.buffers.size(); ++i) {
      switch (p.buffers[i].kind) {
        case ProgramBuffer::Kind::kArgument:
          a[i] = reinterpret_cast<CUdeviceptr>(args[i]);
          break;
        case ProgramBuffer::Kind::kResult:
          a[i] = reinterpret_cast<CUdeviceptr>(results[i - p.num_arguments]);
          break;
        case ProgramBuffer::Kind::kTemporary:
          a[i] = reinterpret_cast<CUdeviceptr>(temporaries) + static_cast<CUdeviceptr>(offsets_[i]);
          break;
        case ProgramBuffer::Kind::kConstant:
          a[i] = reinterpret_cast<CUdeviceptr>(constants_[i]);
          break;
      }
    }
    return a;
  }

  void enqueue(CUstream stream, const std::vector<CUdeviceptr>& address) {
    const Program& p = *program_;
    auto at = [&](const rt::gpu::BufferRef& r) {
      return address[r.buffer] + static_cast<CUdeviceptr>(r.byte_offset);
    };
    for (size_t i = 0; i < p.steps.size();) {
      const rt::gpu::Step& step = p.steps[i++];
      if (const auto* b = std::get_if<rt::gpu::Branch>(&step)) {
        uint8_t flag = 0;  // waits for the steps before it
        rt::gpu::copy_to_host(ordinal_, &flag, reinterpret_cast<const void*>(at(b->flag)), 1);
        i = static_cast<size_t>(flag ? b->if_true : b->if_false);
      } else if (const auto* j = std::get_if<rt::gpu::Jump>(&step)) {
        i = static_cast<size_t>(j->target);
      } else if (const auto* print = std::get_if<rt::gpu::Print>(&step)) {
        print_line(*print, at);
      } else if (const auto* c = std::get_if<rt::gpu::Check>(&step)) {
        if (control_flow_ && failed_check_.empty() && read_check(at(c->flag)))  // this iteration
          failed_check_ = c->message;
      } else if (const auto* l = std::get_if<rt::gpu::Launch>(&step)) {
        slots_.resize(l->params.size());
        pointers_.resize(l->params.size());
        for (size_t j = 0; j < l->params.size(); ++j) {
          const auto& param = l->params[j];
          slots_[j] =
              param.kind == rt::gpu::KernelParam::Kind::kAddress ? at(param.address) : param.value;
          pointers_[j] = &slots_[j];
        }
        check(
            driver_.LaunchKernel(functions_[i - 1], l->grid[0], l->grid[1], l->grid[2], l->block[0],
                                 l->block[1], l->block[2], 0, stream, pointers_.data(), nullptr),
            "launching compiled kernel " + l->kernel + " on GPU:" + std::to_string(ordinal_));
      } else if (const auto* conv = std::get_if<rt::gpu::Conv>(&step)) {
        rt::ConvPlan plan{conv->kind,      conv->input, conv->filter, conv->output, conv->strides,
                          conv->dilations, conv->low,   conv->high,   conv->groups, {}};
        plan.epilogue.activation = conv->activation;
        if (conv->bias) plan.epilogue.bias = reinterpret_cast<const void*>(at(*conv->bias));
        if (conv->residual)
          plan.epilogue.residual = reinterpret_cast<const void*>(at(*conv->residual));
        on_this_device([&] {
          convolutions_[i - 1](reinterpret_cast<const void*>(at(conv->a)),
                               reinterpret_cast<const void*>(at(conv->b)),
                               reinterpret_cast<void*>(at(conv->out)), plan);
        });
      } else if (const auto* sc = std::get_if<rt::gpu::Scatter>(&step)) {
        rt::ScatterPlan plan{sc->rows, sc->dims, sc->slice, sc->indices64, std::nullopt};
        if (sc->combiner >= 0) plan.combiner = static_cast<ops::ReduceOp>(sc->combiner);
        on_this_device([&] {
          scatters_[i - 1](reinterpret_cast<const void*>(at(sc->operand)),
                           reinterpret_cast<const void*>(at(sc->indices)),
                           reinterpret_cast<const void*>(at(sc->updates)),
                           reinterpret_cast<void*>(at(sc->out)), plan);
        });
      } else if (const auto* g = std::get_if<rt::gpu::Gemm>(&step)) {
        gemm_batched(stream, g->dtype, reinterpret_cast<const void*>(at(g->a)),
                     reinterpret_cast<const void*>(at(g->b)), reinterpret_cast<void*>(at(g->c)),
                     g->batch, g->m, g->k, g->n, g->transpose_a, g->transpose_b);
      } else {
        const auto& c = std::get<rt::gpu::Copy>(step);
        if (c.bytes > 0)
          check(driver_.MemcpyDtoDAsync(at(c.destination), at(c.source),
                                        static_cast<size_t>(c.bytes), stream),
                "copy in a compiled function on GPU:" + std::to_string(ordinal_));
      }
    }
  }

  // tf::print: the memory each input's view covers, copied to the host, and the line written by
  // the frontend's print handler (which gathers the views).
  template <class At>
  void print_line(const rt::gpu::Print& print, const At& at) const {
    std::vector<rt::PrintedTensor> tensors;
    for (const auto& in : print.inputs) {
      int64_t span = 1;  // elements from the first to the last of the view
      for (size_t d = 0; d < in.shape.size(); ++d) {
        if (in.shape[d] == 0) span = 0;
        if (span) span += (in.shape[d] - 1) * in.strides[d];
      }
      rt::PrintedTensor t{in.dtype, in.shape, in.strides,
                          std::string(static_cast<size_t>(span) * dtype_size(in.dtype), '\0')};
      if (span)
        rt::gpu::copy_to_host(ordinal_, t.bytes.data(), reinterpret_cast<const void*>(at(in.data)),
                              t.bytes.size());
      tensors.push_back(std::move(t));
    }
    if (auto handler = rt::print_handler()) handler(print.texts, tensors);
  }

  // Records every step on a private stream into a CUDA Graph over the staging arena. Any
  // failure leaves the program launching step by step, with the reason kept.
  void capture() {
    const Program& p = *program_;
    try {
      arena_ =
          device_.allocator().allocate(static_cast<size_t>(boundary_bytes_ + temporary_bytes_));
      std::vector<const void*> args(static_cast<size_t>(p.num_arguments));
      std::vector<void*> results(static_cast<size_t>(p.num_results));
      auto* base = static_cast<char*>(arena_);
      int64_t offset = 0;
      for (size_t i = 0; i < p.buffers.size(); ++i) {
        const ProgramBuffer& b = p.buffers[i];
        if (b.kind == ProgramBuffer::Kind::kArgument)
          args[i] = base + offset;
        else if (b.kind == ProgramBuffer::Kind::kResult)
          results[i - p.num_arguments] = base + offset;
        else
          continue;
        offset += aligned(b.bytes);
      }
      staged_ = addresses(args.data(), results.data(), base + boundary_bytes_);
      check(driver_.StreamCreate(&capture_stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
      // Library handles for the capture stream, made now: creating one allocates.
      if (has_step<rt::gpu::Gemm>(p)) prepare_gemm_stream(capture_stream_);
      if (has_step<rt::gpu::Conv>(p)) prepare_cudnn_stream(ordinal_, capture_stream_);
      // The eager kernels of convolution and scatter steps enqueue on the capture stream too,
      // and the workspace and scratch they take stay the graph's.
      RecordingGraph recording(device_, capture_stream_);
      check(driver_.StreamBeginCapture(capture_stream_, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
            "cuStreamBeginCapture");
      try {
        enqueue(capture_stream_, staged_);
      } catch (...) {
        CUgraph partial = nullptr;
        driver_.StreamEndCapture(capture_stream_, &partial);
        if (partial) driver_.GraphDestroy(partial);
        throw;
      }
      check(driver_.StreamEndCapture(capture_stream_, &graph_), "cuStreamEndCapture");
      kept_ = recording.take_kept();
      check(driver_.GraphInstantiate(&exec_, graph_, 0), "cuGraphInstantiate");
    } catch (const std::exception& e) {
      graph_reason_ = std::string("capture failed: ") + e.what();
      if (exec_) driver_.GraphExecDestroy(exec_);
      exec_ = nullptr;
      if (arena_) device_.allocator().deallocate(arena_);
      arena_ = nullptr;
      for (void* k : kept_) device_.allocator().deallocate(k);  // nothing ran: free at once
      kept_.clear();
    }
  }

  void replay(const void* const* args, void* const* results) {
    const Program& p = *program_;
    CUstream stream = device_.stream();
    for (int i = 0; i < p.num_arguments; ++i)
      if (p.buffers[i].bytes > 0)
        check(driver_.MemcpyDtoDAsync(staged_[i], reinterpret_cast<CUdeviceptr>(args[i]),
                                      static_cast<size_t>(p.buffers[i].bytes), stream),
              "staging an argument of a compiled function");
    check(driver_.GraphLaunch(exec_, stream), "cuGraphLaunch on GPU:" + std::to_string(ordinal_));
    for (int r = 0; r < p.num_results; ++r) {
      const size_t i = static_cast<size_t>(p.num_arguments + r);
      if (p.buffers[i].bytes > 0)
        check(driver_.MemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(results[r]), staged_[i],
                                      static_cast<size_t>(p.buffers[i].bytes), stream),
              "reading a result of a compiled function");
    }
    last_was_graph_ = true;
    read_checks(staged_);
  }

  // Bad input the program found (an integer divisor of 0, a gather index out of range), after
  // its steps. The plan puts every flag in one buffer, so one copy reads them all; it waits for
  // the GPU, so only programs with checks do it.
  void read_checks(const std::vector<CUdeviceptr>& address) const {
    std::vector<const rt::gpu::Check*> checks;
    for (const auto& step : program_->steps)
      if (const auto* c = std::get_if<rt::gpu::Check>(&step)) checks.push_back(c);
    if (checks.empty()) return;
    const int32_t buffer = checks[0]->flag.buffer;
    int64_t bytes = 0;
    for (const auto* c : checks) {
      if (c->flag.buffer != buffer)
        throw InternalError("GPU program: check flags outside the one flag buffer");
      bytes = std::max(bytes, c->flag.byte_offset + 1);
    }
    std::vector<uint8_t> flags(static_cast<size_t>(bytes));
    rt::gpu::copy_to_host(ordinal_, flags.data(),
                          reinterpret_cast<const void*>(address[static_cast<size_t>(buffer)]),
                          flags.size());
    for (const auto* c : checks)
      if (flags[static_cast<size_t>(c->flag.byte_offset)]) throw InvalidArgumentError(c->message);
  }

  bool read_check(CUdeviceptr flag) const {  // whether it failed
    uint8_t failed = 0;
    rt::gpu::copy_to_host(ordinal_, &failed, reinterpret_cast<const void*>(flag), 1);
    return failed != 0;
  }

  int ordinal_;
  Device& device_;
  const Driver& driver_;
  std::shared_ptr<const Program> program_;
  CUmodule module_ = nullptr;
  std::vector<CUfunction> functions_;         // per step; null unless a launch
  std::vector<rt::ConvKernel> convolutions_;  // per step; null unless a convolution (cuDNN)
  std::vector<rt::ScatterKernel> scatters_;   // per step; null unless a scatter
  std::vector<int64_t> offsets_;              // of each temporary in the per-call block
  std::vector<void*> constants_;              // device copies of the constant buffers
  int64_t temporary_bytes_ = 0, boundary_bytes_ = 0;
  bool control_flow_ = false;  // Branch steps: launched step by step, checks read as they come

  mutable std::mutex mutex_;  // one call at a time: the arena and the scratch below are shared
  std::vector<uint64_t> slots_;
  std::vector<void*> pointers_;
  int64_t completed_calls_ = 0;  // run step by step without an error
  std::string failed_check_;     // the first check that failed in this call (control flow)
  bool last_was_graph_ = false;
  std::string graph_reason_;
  void* arena_ = nullptr;
  std::vector<void*> kept_;          // eager kernels' workspace and scratch, read by the graph
  std::vector<CUdeviceptr> staged_;  // every buffer's address in the arena (graph replay)
  CUstream capture_stream_ = nullptr;
  CUgraph graph_ = nullptr;
  CUgraphExec exec_ = nullptr;
};

}  // namespace

}  // namespace tf::cuda

namespace tf::rt::gpu {

std::string arch(int ordinal) {
  DeviceInfo i = info(ordinal);
  // LLVM 19's NVPTX backend targets up to sm_90; PTX for it runs on every newer GPU.
  return "sm_" +
         std::to_string(std::min(i.compute_capability_major * 10 + i.compute_capability_minor, 90));
}

std::string assemble(int ordinal, const std::string& ptx) {
  cuda::Device::get(ordinal);  // a current context
  const cuda::Driver& d = *cuda::driver();
  char log[8192] = {};
  cuda::CUjit_option options[] = {cuda::CU_JIT_ERROR_LOG_BUFFER,
                                  cuda::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void* values[] = {log, reinterpret_cast<void*>(sizeof log)};
  cuda::CUlinkState state = nullptr;
  cuda::check(d.LinkCreate(2, options, values, &state), "cuLinkCreate");
  try {
    // The driver's error, then the assembler's log (filled by the failed call).
    auto check_step = [&](cuda::CUresult result, const char* what) {
      try {
        cuda::check(result, std::string(what) + " of a compiled function's PTX");
      } catch (const InternalError& e) {
        if (!log[0]) throw;
        throw InternalError(std::string(e.what()) + "; the assembler's log:\n" + log);
      }
    };
    // The text with its terminating NUL, as the driver's PTX parser expects.
    check_step(d.LinkAddData(state, cuda::CU_JIT_INPUT_PTX, const_cast<char*>(ptx.c_str()),
                             ptx.size() + 1, "tfjit_function.ptx", 0, nullptr, nullptr),
               "cuLinkAddData");
    void* cubin = nullptr;
    size_t size = 0;
    check_step(d.LinkComplete(state, &cubin, &size), "cuLinkComplete");
    std::string binary(static_cast<const char*>(cubin), size);  // owned by the link state
    d.LinkDestroy(state);
    return binary;
  } catch (...) {
    d.LinkDestroy(state);
    throw;
  }
}

std::unique_ptr<LoadedProgram> load(int ordinal, std::shared_ptr<const Program> program) {
  return std::make_unique<cuda::DeviceProgram>(ordinal, std::move(program));
}

}  // namespace tf::rt::gpu
