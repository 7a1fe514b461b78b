// Runs the eager CUDA kernels on the host. kernels.cu is compiled here as C++ (with
// cuda_emulation.h force-included by tests/CMakeLists.txt); a launch runs its blocks one after
// another (the last first), and each GPU thread of a block as a fiber (ucontext), switched at
// __syncthreads. A block whose first thread never reaches a barrier runs its other threads as plain
// calls, which keeps grid-stride kernels cheap. Kernel arguments are read with the types of the
// kernel's own signature, so a host launcher that packs an argument of the wrong type shows up
// here as a wrong value, as it would on a GPU.
#include "tests/fake_cuda/kernel_emulation.h"

#include <ucontext.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "backends/cuda/kernels.cu"

namespace tfjit_fake {
namespace {

constexpr size_t kStackBytes = 64 << 10;

struct GpuThread {
  ucontext_t context;
  std::unique_ptr<char[]> stack = std::make_unique_for_overwrite<char[]>(kStackBytes);
  EmulatedDim3 index;
  bool done = false;
};

// The block being run: its threads (a pool reused across blocks) and the scheduler's context.
struct Block {
  ucontext_t scheduler;
  const std::function<void()>* body = nullptr;
  std::vector<std::unique_ptr<GpuThread>> threads;
  GpuThread* running = nullptr;  // null while a thread runs as a plain call
  bool reached_barrier = false;
};
thread_local Block* current_block = nullptr;

void thread_main() {
  (*current_block->body)();
  current_block->running->done = true;  // returning resumes uc_link: the scheduler
}

void start(Block& b, GpuThread& t, EmulatedDim3 index) {
  getcontext(&t.context);
  t.context.uc_stack.ss_sp = t.stack.get();
  t.context.uc_stack.ss_size = kStackBytes;
  t.context.uc_link = &b.scheduler;
  makecontext(&t.context, thread_main, 0);
  t.index = index;
  t.done = false;
}

// Runs `t` until it reaches a barrier or returns.
void resume(Block& b, GpuThread& t) {
  b.running = &t;
  threadIdx = t.index;
  swapcontext(&b.scheduler, &t.context);
  b.running = nullptr;
}

void run_block(Block& b, const std::vector<EmulatedDim3>& indices) {
  const size_t n = indices.size();
  while (b.threads.size() < n) b.threads.push_back(std::make_unique<GpuThread>());
  b.reached_barrier = false;
  GpuThread& first = *b.threads[0];
  start(b, first, indices[0]);
  resume(b, first);
  if (first.done && !b.reached_barrier) {
    for (size_t i = 1; i < n; ++i) {
      threadIdx = indices[i];
      (*b.body)();
    }
    if (b.reached_barrier)
      throw std::runtime_error("__syncthreads reached by some threads of a block but not thread 0");
    return;
  }
  for (size_t i = 1; i < n; ++i) {
    start(b, *b.threads[i], indices[i]);
    resume(b, *b.threads[i]);
  }
  // Each round takes every live thread from one barrier to the next (or to its end). All must
  // reach each barrier: a thread that ends while others wait at one is a divergent barrier
  // (undefined on a GPU), as is one that waits while others have ended.
  auto check_uniform = [&] {
    size_t ended = 0;
    for (size_t i = 0; i < n; ++i) ended += b.threads[i]->done;
    if (ended != 0 && ended != n)
      throw std::runtime_error("__syncthreads reached by some threads of a block but not all");
    return ended == 0;
  };
  while (check_uniform())
    for (size_t i = 0; i < n; ++i) resume(b, *b.threads[i]);
}

template <class... Args, size_t... I>
std::function<void()> bind_arguments(void (*kernel)(Args...), void** params,
                                     std::index_sequence<I...>) {
  return [kernel, args = std::tuple<Args...>(*static_cast<Args*>(params[I])...)] {
    std::apply(kernel, args);
  };
}

using Binder = std::function<std::function<void()>(void**)>;

template <class... Args>
Binder binder(void (*kernel)(Args...)) {
  return [kernel](void** params) {
    return bind_arguments(kernel, params, std::index_sequence_for<Args...>{});
  };
}

const std::map<std::string, Binder>& kernel_table() {
  static const std::map<std::string, Binder> table = [] {
    std::map<std::string, Binder> t;
#define TFJIT_UNARY(name, ...) t["tfjit_unary_" #name] = binder(&tfjit_unary_##name);
#define TFJIT_BINARY(name, ...) t["tfjit_binary_" #name] = binder(&tfjit_binary_##name);
#include "ops/elementwise_ops.def"
#define TFJIT_REDUCTION(name, ...)                         \
  t["tfjit_reduce_" #name] = binder(&tfjit_reduce_##name); \
  t["tfjit_reduce_partials_" #name] = binder(&tfjit_reduce_partials_##name);
#include "ops/reduction_ops.def"
    t["tfjit_cast"] = binder(&tfjit_cast);
    t["tfjit_strided_copy"] = binder(&tfjit_strided_copy);
    t["tfjit_select"] = binder(&tfjit_select);
    t["tfjit_arg_reduce"] = binder(&tfjit_arg_reduce);
    t["tfjit_gather"] = binder(&tfjit_gather);
    t["tfjit_take_along_axis"] = binder(&tfjit_take_along_axis);
    t["tfjit_random_bits"] = binder(&tfjit_random_bits);
#define TFJIT_SCAN(name, ...) t["tfjit_scan_" #name] = binder(&tfjit_scan_##name);
#include "ops/scan_ops.def"
#define TFJIT_REDUCTION(name, ...)                                       \
  t["tfjit_reduce_window_" #name] = binder(&tfjit_reduce_window_##name); \
  t["tfjit_scatter_" #name] = binder(&tfjit_scatter_##name);
#include "ops/reduction_ops.def"
    t["tfjit_select_and_scatter"] = binder(&tfjit_select_and_scatter);
    t["tfjit_scatter_last_rows"] = binder(&tfjit_scatter_last_rows);
    t["tfjit_scatter_update"] = binder(&tfjit_scatter_update);
    return t;
  }();
  return table;
}

}  // namespace

void arrive_at_barrier() {
  Block& b = *current_block;
  b.reached_barrier = true;
  if (b.running) swapcontext(&b.running->context, &b.scheduler);
}

bool is_emulated_kernel(const std::string& name) { return kernel_table().count(name) != 0; }

namespace {

// Runs `body` for every GPU thread of `shape`, block by block.
void run_grid(const LaunchShape& shape, const std::function<void()>& body) {
  static std::mutex one_at_a_time;  // shared memory is static
  std::lock_guard lock(one_at_a_time);
  std::vector<EmulatedDim3> indices;
  for (unsigned z = 0; z < shape.block[2]; ++z)
    for (unsigned y = 0; y < shape.block[1]; ++y)
      for (unsigned x = 0; x < shape.block[0]; ++x) indices.push_back({x, y, z});
  static Block block;  // its threads' stacks are reused by every launch
  block.body = &body;
  struct Running {
    explicit Running(Block& b) { current_block = &b; }
    ~Running() { current_block = nullptr; }
  } running(block);
  blockDim = {shape.block[0], shape.block[1], shape.block[2]};
  gridDim = {shape.grid[0], shape.grid[1], shape.grid[2]};
  // Last block first: a GPU runs blocks in no set order, so a kernel whose result depends on
  // blocks running in order (a last-writer-wins race) shows it here rather than passing.
  for (unsigned z = shape.grid[2]; z-- > 0;)
    for (unsigned y = shape.grid[1]; y-- > 0;)
      for (unsigned x = shape.grid[0]; x-- > 0;) {
        blockIdx = {x, y, z};
        run_block(block, indices);
      }
}

}  // namespace

std::function<void()> emulated_launch(const std::string& name, const LaunchShape& shape,
                                      void** params) {
  auto body = std::make_shared<std::function<void()>>(kernel_table().at(name)(params));
  return [body, shape] { run_grid(shape, *body); };
}

std::function<void()> emulated_grid(const LaunchShape& shape,
                                    std::function<void(unsigned, unsigned)> thread) {
  return [shape, thread = std::move(thread)] {
    run_grid(shape, [&] { thread(blockIdx.x, threadIdx.x); });
  };
}

}  // namespace tfjit_fake

void __syncthreads() { tfjit_fake::arrive_at_barrier(); }

extern "C" __attribute__((visibility("default"))) void tfjit_fake_cuda_barrier() {
  tfjit_fake::arrive_at_barrier();
}
