// What the CPU backend's kernel families share: the scalar functors and the registry, into
// which each family file registers itself (runtime/kernels.h).
#pragma once

#include "ops/scalar.h"
#include "runtime/kernels.h"

// The hot loops (elementwise, reductions, pooling) carry one clone per x86-64 level, picked once
// at load time from the CPU's features (GCC's target_clones: an ifunc), so a library built for
// any x86-64 still runs them in AVX-512 or AVX2 where the CPU has it. A clone's callees are
// inlined into it at its level; those left out of line run at the baseline, so no code built
// for a higher level is ever shared. Built for this machine (TFJIT_NATIVE_ARCH=ON) they need none.
// GCC 12 is the first to take x86-64 levels in target_clones; Clang's dispatch of them was wrong
// before LLVM 18 (a clone could run on a CPU without its ISA), so other compilers get none.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && \
    !defined(TFJIT_NATIVE_ARCH_BUILD)
#define TFJIT_ISA_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TFJIT_ISA_CLONES
#endif
