// Fused activations: oneDNN's post-ops and the equivalent loop (backends/cpu/epilogue.h).
#include "backends/cpu/epilogue.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ops/special_functions.h"
#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::cpu {

bool is_epilogue(int64_t act) { return act >= 0 && act <= static_cast<int64_t>(Epilogue::kSilu); }

// relu is `x > 0 ? x : 0`, so NaN gives 0; oneDNN's relu gives NaN in its reference code but 0
// in its JIT code, whereas clip(0, inf) is max-then-min in both and gives 0 (relu6: clip(0, 6)).
void append_epilogue(dnnl::post_ops& ops, int64_t act) {
  using alg = dnnl::algorithm;
  auto eltwise = [&](alg a, float alpha, float beta) { ops.append_eltwise(1.0f, a, alpha, beta); };
  switch (static_cast<Epilogue>(act)) {
    case Epilogue::kNone:
      return;
    case Epilogue::kRelu:
      return eltwise(alg::eltwise_clip, 0.0f, INFINITY);
    case Epilogue::kTanh:
      return eltwise(alg::eltwise_tanh, 0.0f, 0.0f);
    case Epilogue::kSigmoid:
      return eltwise(alg::eltwise_logistic, 0.0f, 0.0f);
    case Epilogue::kRelu6:
      return eltwise(alg::eltwise_clip, 0.0f, 6.0f);
    case Epilogue::kElu:
      return eltwise(alg::eltwise_elu, 1.0f, 0.0f);
    case Epilogue::kGelu:
      return eltwise(alg::eltwise_gelu_erf, 0.0f, 0.0f);
    case Epilogue::kGeluTanh:
      return eltwise(alg::eltwise_gelu_tanh, 0.0f, 0.0f);
    case Epilogue::kSilu:
      return eltwise(alg::eltwise_swish, 1.0f, 0.0f);
  }
  throw InternalError("fused epilogue: unknown activation code " + std::to_string(act));
}

float activate(float x, int64_t act) {
  switch (static_cast<Epilogue>(act)) {
    case Epilogue::kNone:
      return x;
    case Epilogue::kRelu:
      return x > 0 ? x : 0.0f;
    case Epilogue::kTanh:
      return std::tanh(x);
    case Epilogue::kSigmoid:
      return 1.0f / (1.0f + kernels::special::exp_(-x));
    case Epilogue::kRelu6:
      return x > 0 ? (x < 6.0f ? x : 6.0f) : 0.0f;
    case Epilogue::kElu:
      return x > 0 ? x : std::expm1(x);
    case Epilogue::kGelu:
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752440f));
    case Epilogue::kGeluTanh:
      return 0.5f * x * (1.0f + std::tanh(0.79788456080286535588f * (x + 0.044715f * x * x * x)));
    case Epilogue::kSilu:
      return x / (1.0f + kernels::special::exp_(-x));
  }
  return x;
}

namespace {

// One row; the common cases as loops that vectorise.
void row_epilogue(float* c, int64_t n, const float* bias, const float* residual, int64_t act) {
  const auto e = static_cast<Epilogue>(act);
  if (bias && !residual && e == Epilogue::kRelu) {
    for (int64_t j = 0; j < n; ++j) {
      float x = c[j] + bias[j];
      c[j] = x > 0 ? x : 0.0f;
    }
    return;
  }
  if (bias)
    for (int64_t j = 0; j < n; ++j) c[j] += bias[j];
  if (residual)
    for (int64_t j = 0; j < n; ++j) c[j] += residual[j];
  if (e == Epilogue::kRelu) {
    for (int64_t j = 0; j < n; ++j) c[j] = c[j] > 0 ? c[j] : 0.0f;
  } else if (e != Epilogue::kNone) {
    for (int64_t j = 0; j < n; ++j) c[j] = activate(c[j], act);
  }
}

}  // namespace

void apply_epilogue(float* c, int64_t rows, int64_t n, const float* bias, const float* residual,
                    int64_t act) {
  if (!bias && !residual && static_cast<Epilogue>(act) == Epilogue::kNone) return;
  rt::parallel_for(rows, std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(n, 1)),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t i = begin; i < end; ++i)
                       row_epilogue(c + i * n, n, bias, residual ? residual + i * n : nullptr, act);
                   });
}

}  // namespace tf::cpu
