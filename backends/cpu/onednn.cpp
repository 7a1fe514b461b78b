#include "backends/cpu/onednn.h"

#include <memory>

namespace tf::cpu {

const dnnl::engine& onednn_engine() {
  // Leaked on purpose: compiled code may still run kernels during static destruction.
  static const dnnl::engine& engine =
      *std::make_unique<dnnl::engine>(dnnl::engine::kind::cpu, 0).release();
  return engine;
}

dnnl::stream& onednn_stream() {
  thread_local dnnl::stream stream(onednn_engine());
  return stream;
}

}  // namespace tf::cpu
