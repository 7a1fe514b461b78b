#include "backends/cuda/cublas.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cuda/driver.h"
#include "runtime/gpu.h"
#include "tfjit/errors.h"

namespace tf::cuda {

namespace {

using cublasHandle_t = struct cublasContext*;
using cublasStatus_t = int;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
// library_types.h and cublas_api.h: float16/bfloat16 operands, accumulated in float.
constexpr int CUDA_R_16F = 2, CUDA_R_16BF = 14, CUBLAS_COMPUTE_32F = 68, CUBLAS_GEMM_DEFAULT = -1;

struct Cublas {
  cublasStatus_t (*Create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*Destroy)(cublasHandle_t) = nullptr;
  cublasStatus_t (*SetStream)(cublasHandle_t, CUstream) = nullptr;
  cublasStatus_t (*Sgemm)(cublasHandle_t, int, int, int, int, int, const float*, const float*, int,
                          const float*, int, const float*, float*, int) = nullptr;
  cublasStatus_t (*Dgemm)(cublasHandle_t, int, int, int, int, int, const double*, const double*,
                          int, const double*, int, const double*, double*, int) = nullptr;
  cublasStatus_t (*GemmEx)(cublasHandle_t, int, int, int, int, int, const void*, const void*, int,
                           int, const void*, int, int, const void*, void*, int, int, int,
                           int) = nullptr;  // optional: float16/bfloat16 matmul
  cublasStatus_t (*SgemmStridedBatched)(cublasHandle_t, int, int, int, int, int, const float*,
                                        const float*, int, long long, const float*, int, long long,
                                        const float*, float*, int, long long,
                                        int) = nullptr;  // optional: one call per batch
  std::string error;
};

const Cublas& load_cublas() {
  static const Cublas lib = [] {
    Cublas c;
    // cuBLAS costs a process ~150 MB and 50 ms to load: only where a driver found a GPU.
    if (!driver()) {
      c.error = "cuBLAS not loaded: " + driver_unavailable_reason();
      return c;
    }
    void* handle = nullptr;
    std::string tried;
    // First the cuBLAS of the driver's CUDA major version: a newer one loads, then fails to
    // initialise (cuBLAS 13 on a CUDA 12 driver).
    std::vector<std::string> names;
    if (const char* env = std::getenv("TFJIT_CUBLAS"); env && *env) names.push_back(env);
    names.push_back("libcublas.so." + std::to_string(driver()->version / 1000));
    for (const char* name : {"libcublas.so.13", "libcublas.so.12", "libcublas.so"})
      names.push_back(name);
    for (const std::string& name : names) {
      if ((handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
      tried += (tried.empty() ? "" : ", ") + name;
    }
    if (!handle) {
      c.error = "cuBLAS could not be loaded (tried " + tried + ")";
      return c;
    }
    c.Create = reinterpret_cast<decltype(c.Create)>(dlsym(handle, "cublasCreate_v2"));
    c.Destroy = reinterpret_cast<decltype(c.Destroy)>(dlsym(handle, "cublasDestroy_v2"));
    c.SetStream = reinterpret_cast<decltype(c.SetStream)>(dlsym(handle, "cublasSetStream_v2"));
    c.Sgemm = reinterpret_cast<decltype(c.Sgemm)>(dlsym(handle, "cublasSgemm_v2"));
    c.Dgemm = reinterpret_cast<decltype(c.Dgemm)>(dlsym(handle, "cublasDgemm_v2"));
    c.GemmEx = reinterpret_cast<decltype(c.GemmEx)>(dlsym(handle, "cublasGemmEx"));
    c.SgemmStridedBatched = reinterpret_cast<decltype(c.SgemmStridedBatched)>(
        dlsym(handle, "cublasSgemmStridedBatched"));
    if (!c.Create || !c.Destroy || !c.SetStream || !c.Sgemm || !c.Dgemm)
      c.error = "cuBLAS lacks the GEMM API";
    return c;
  }();
  return lib;
}

const Cublas& cublas() {
  const Cublas& lib = load_cublas();
  if (!lib.error.empty()) throw InternalError("matmul on GPU: " + lib.error);
  return lib;
}

void check_status(cublasStatus_t status, const char* what) {
  if (status != 0)
    throw InternalError(std::string("matmul on GPU: ") + what + " failed with cuBLAS status " +
                        std::to_string(status));
}

// One handle per stream (a device's stream, or a program's capture stream), kept until the
// stream goes (release_gemm_stream): a handle's stream is never switched under another thread's
// feet.
struct Handles {
  std::mutex mutex;
  std::unordered_map<CUstream, cublasHandle_t> by_stream;
};
Handles& handles() {
  // Never destroyed: programs held by statics release their streams' handles at exit.
  static Handles& h = *std::make_unique<Handles>().release();
  return h;
}

cublasHandle_t handle_for(CUstream stream) {
  std::lock_guard lock(handles().mutex);
  auto& h = handles().by_stream[stream];
  if (!h) {
    check_status(cublas().Create(&h), "cublasCreate");
    check_status(cublas().SetStream(h, stream), "cublasSetStream");
  }
  return h;
}

}  // namespace

bool cublas_available() { return load_cublas().error.empty(); }

bool cublas_has_half_gemm() { return cublas_available() && load_cublas().GemmEx; }

void prepare_gemm_stream(CUstream stream) { handle_for(stream); }

void release_gemm_stream(CUstream stream) {
  std::lock_guard lock(handles().mutex);
  auto it = handles().by_stream.find(stream);
  if (it == handles().by_stream.end()) return;
  load_cublas().Destroy(it->second);  // with its workspace
  handles().by_stream.erase(it);
}

void gemm(CUstream stream, DType dtype, const void* a, const void* b, void* c, int64_t m, int64_t k,
          int64_t n, bool ta, bool tb) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw UnimplementedError("matmul on GPU: dimensions over 2^31 (m=" + std::to_string(m) +
                             ", k=" + std::to_string(k) + ", n=" + std::to_string(n) + ")");
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: zeros (not left to cuBLAS's reading of beta)
    check(driver()->MemsetD8Async(reinterpret_cast<CUdeviceptr>(c), 0,
                                  static_cast<size_t>(m * n) * dtype_size(dtype), stream),
          "matmul on GPU: zeroing the result");
    return;
  }
  cublasHandle_t h = handle_for(stream);
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
  int opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N, opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  int ldb = static_cast<int>(std::max<int64_t>(1, tb ? k : n));
  int lda = static_cast<int>(std::max<int64_t>(1, ta ? m : k));
  int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
  if (dtype == float16 || dtype == bfloat16) {
    const float one = 1, zero = 0;
    const int type = dtype == float16 ? CUDA_R_16F : CUDA_R_16BF;
    check_status(cublas().GemmEx(h, opb, opa, in, im, ik, &one, b, type, ldb, a, type, lda, &zero,
                                 c, type, in, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  } else if (dtype == float32) {
    const float one = 1, zero = 0;
    check_status(
        cublas().Sgemm(h, opb, opa, in, im, ik, &one, static_cast<const float*>(b), ldb,
                       static_cast<const float*>(a), lda, &zero, static_cast<float*>(c), in),
        "cublasSgemm");
  } else {
    const double one = 1, zero = 0;
    check_status(
        cublas().Dgemm(h, opb, opa, in, im, ik, &one, static_cast<const double*>(b), ldb,
                       static_cast<const double*>(a), lda, &zero, static_cast<double*>(c), in),
        "cublasDgemm");
  }
}

void gemm_batched(CUstream stream, DType dtype, const void* a, const void* b, void* c,
                  int64_t batch, int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
  const int64_t size = static_cast<int64_t>(dtype_size(dtype));
  if (batch <= 1 || dtype != float32 || !cublas().SgemmStridedBatched || m == 0 || n == 0 ||
      k == 0 || batch > INT_MAX) {
    for (int64_t i = 0; i < batch; ++i)
      gemm(stream, dtype, static_cast<const char*>(a) + i * m * k * size,
           static_cast<const char*>(b) + i * k * n * size, static_cast<char*>(c) + i * m * n * size,
           m, k, n, ta, tb);
    return;
  }
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw UnimplementedError("matmul on GPU: dimensions over 2^31 (m=" + std::to_string(m) +
                             ", k=" + std::to_string(k) + ", n=" + std::to_string(n) + ")");
  cublasHandle_t h = handle_for(stream);
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, as in gemm.
  int opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N, opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  int ldb = static_cast<int>(tb ? k : n), lda = static_cast<int>(ta ? m : k);
  const float one = 1, zero = 0;
  check_status(cublas().SgemmStridedBatched(h, opb, opa, static_cast<int>(n), static_cast<int>(m),
                                            static_cast<int>(k), &one, static_cast<const float*>(b),
                                            ldb, k * n, static_cast<const float*>(a), lda, m * k,
                                            &zero, static_cast<float*>(c), static_cast<int>(n),
                                            m * n, static_cast<int>(batch)),
               "cublasSgemmStridedBatched");
}

}  // namespace tf::cuda

namespace tf::rt::gpu {
bool gemm_library_available() { return cuda::cublas_available(); }
}  // namespace tf::rt::gpu
