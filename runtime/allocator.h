// The host allocator: 64-byte-aligned blocks, with large blocks cached by size class so that
// eager ops on big tensors reuse warm memory instead of paying page faults on every result.
#pragma once

#include <cstddef>

namespace tf::rt {

void* host_allocate(size_t bytes);  // nullptr when out of memory
void host_deallocate(void* ptr, size_t bytes);

}  // namespace tf::rt
