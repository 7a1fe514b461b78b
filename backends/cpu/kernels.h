// The CPU backend's registration entry points (called once, from runtime/kernels.cpp).
#pragma once

#include "ops/scalar.h"
#include "runtime/kernels.h"

namespace tf::cpu {
void register_elementwise(rt::KernelTable& table);
void register_copy(rt::KernelTable& table);
void register_cast(rt::KernelTable& table);
void register_matmul(rt::KernelTable& table);
void register_reduce(rt::KernelTable& table);
}  // namespace tf::cpu
