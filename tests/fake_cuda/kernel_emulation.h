// The eager kernels of backends/cuda/kernels.cu compiled for the host (kernel_emulation.cpp), so
// the stand-in driver can run them: eager GPU ops then compute real values on any machine.
#pragma once

#include <functional>
#include <string>

namespace tfjit_fake {

struct LaunchShape {
  unsigned grid[3], block[3];
};

// Whether `name` is a kernel of kernels.cu.
bool is_emulated_kernel(const std::string& name);

// The work of one launch, its arguments copied now (as cuLaunchKernel does). Running it runs
// every GPU thread of the grid; a __syncthreads that only some threads of a block reach throws
// std::runtime_error.
std::function<void()> emulated_launch(const std::string& name, const LaunchShape& shape,
                                      void** params);

// The work of a one-dimensional launch of `thread`, called as (block index, thread index) for
// every GPU thread of the grid, each a fiber as above: its calls of tfjit_fake_cuda_barrier()
// are __syncthreads. (The stand-in driver runs compiled kernels' host builds so.)
std::function<void()> emulated_grid(const LaunchShape& shape,
                                    std::function<void(unsigned, unsigned)> thread);

}  // namespace tfjit_fake
