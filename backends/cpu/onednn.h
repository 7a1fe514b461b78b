// oneDNN's CPU engine and this thread's stream, shared by the kernels that build primitives
// (matmul, batched matmul, convolution).
#pragma once

#include <dnnl.hpp>

namespace tf::cpu {

const dnnl::engine& onednn_engine();
// Streams are not shared between threads: one per calling thread, on onednn_engine().
dnnl::stream& onednn_stream();

}  // namespace tf::cpu
