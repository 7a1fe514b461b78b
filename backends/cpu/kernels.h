// What the CPU backend's kernel families share: the scalar functors and the registry, into
// which each family file registers itself (runtime/kernels.h).
#pragma once

#include "ops/scalar.h"
#include "runtime/kernels.h"
