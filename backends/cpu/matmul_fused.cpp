// oneDNN matmul primitive with a row-broadcast bias and an eltwise post-op: the epilogue is
// applied while C is still in cache, instead of a second pass over C in compiled loops.
#include "backends/cpu/matmul_fused.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include <dnnl.hpp>

#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

using Key = std::tuple<int64_t, int64_t, int64_t, int64_t>;  // m, k, n, act

struct Primitives {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;
  // Creating a primitive costs tens of microseconds; a compiled dense layer sees few shapes.
  std::map<Key, std::shared_ptr<dnnl::matmul>> cache;
};

Primitives& primitives() {
  // Leaked on purpose: compiled code may still run during static destruction.
  static Primitives& p = *std::make_unique<Primitives>().release();
  return p;
}

// The post-op for each Epilogue, with the semantics of frontend/include/tfjit/elementwise_ops.def:
// relu is `x > 0 ? x : 0`, so NaN gives 0; oneDNN's relu gives NaN in its reference code but 0
// in its JIT code, whereas clip(0, inf) is max-then-min in both and gives 0.
void append_epilogue(dnnl::post_ops& ops, int64_t act) {
  switch (static_cast<Epilogue>(act)) {
    case Epilogue::kNone:
      return;
    case Epilogue::kRelu:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, INFINITY);
      return;
    case Epilogue::kTanh:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f);
      return;
    case Epilogue::kSigmoid:
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f);
      return;
  }
  throw InternalError("matmul epilogue: unknown activation code " + std::to_string(act));
}

std::shared_ptr<dnnl::matmul> primitive(Primitives& p, const Key& key) {
  std::lock_guard guard(p.mutex);
  auto& slot = p.cache[key];
  if (slot) return slot;
  auto [m, k, n, act] = key;
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  dnnl::memory::desc a_md({m, k}, dt::f32, tag::ab), b_md({k, n}, dt::f32, tag::ab),
      bias_md({1, n}, dt::f32, tag::ab), c_md({m, n}, dt::f32, tag::ab);
  dnnl::post_ops ops;
  append_epilogue(ops, act);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  dnnl::matmul::primitive_desc pd({a_md, b_md, bias_md, c_md}, attr, p.engine);
  slot = std::make_shared<dnnl::matmul>(pd);
  return slot;
}

// Without a primitive: oneDNN rejects empty dims, and an empty sum is zero (act(bias)).
void degenerate(const float* bias, float* c, int64_t m, int64_t n, int64_t act) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float x = bias[j];
      switch (static_cast<Epilogue>(act)) {
        case Epilogue::kRelu:
          x = x > 0 ? x : 0.0f;
          break;
        case Epilogue::kTanh:
          x = std::tanh(x);
          break;
        case Epilogue::kSigmoid:
          x = 1.0f / (1.0f + std::exp(-x));
          break;
        default:
          break;
      }
      c[i * n + j] = x;
    }
}

}  // namespace

void sgemm_bias_act(const float* a, const float* b, const float* bias, float* c, int64_t m,
                    int64_t k, int64_t n, int64_t act) {
  if (act < 0 || act > static_cast<int64_t>(Epilogue::kSigmoid))
    throw InternalError("matmul epilogue: unknown activation code " + std::to_string(act));
  if (m == 0 || n == 0) return;
  if (k == 0) return degenerate(bias, c, m, n, act);
  try {
    Primitives& p = primitives();
    auto mm = primitive(p, {m, k, n, act});
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    // oneDNN takes non-const handles; it never writes the inputs.
    dnnl::memory a_mem({{m, k}, dt::f32, tag::ab}, p.engine, const_cast<float*>(a));
    dnnl::memory b_mem({{k, n}, dt::f32, tag::ab}, p.engine, const_cast<float*>(b));
    dnnl::memory bias_mem({{1, n}, dt::f32, tag::ab}, p.engine, const_cast<float*>(bias));
    dnnl::memory c_mem({{m, n}, dt::f32, tag::ab}, p.engine, c);
    rt::use_parallel_threads_here();
    thread_local dnnl::stream stream(p.engine);  // one per calling thread: streams are not shared
    mm->execute(stream, {{DNNL_ARG_SRC, a_mem},
                         {DNNL_ARG_WEIGHTS, b_mem},
                         {DNNL_ARG_BIAS, bias_mem},
                         {DNNL_ARG_DST, c_mem}});
    stream.wait();
  } catch (const dnnl::error& e) {
    throw InternalError(std::string("matmul epilogue: oneDNN failed: ") + e.what());
  }
}

}  // namespace tf::cpu
