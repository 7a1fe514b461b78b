// What fake_cuda.cpp shares with the other stand-ins built into the same library (the stand-in
// cuDNN, fake_cudnn.cpp): its failure injection and its streams.
#pragma once

#include <functional>

namespace tfjit_fake {

// The error a test asked `call` to fail with (tfjit_fake_cuda_fail_next), else 0.
int injected_error(const char* call);
// Runs `work` now, in order with the stream's earlier work, or records it while the stream is
// being captured into a CUDA Graph (then each launch of the graph runs it).
void run_on_stream(void* stream, std::function<void()> work);
// Nonzero while a CUDA Graph capture is in progress, which it then invalidates: for calls that
// allocate or synchronise (cudnnCreate, cudnnFind*), as the real libraries refuse them then.
int refused_while_capturing();

}  // namespace tfjit_fake
