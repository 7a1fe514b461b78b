// The environment the test executables need, set before main from definitions made by
// tests/CMakeLists.txt. (Catch2 v2's test discovery keeps only the first entry of an ENVIRONMENT
// list, so CTest cannot carry it.) A variable already set by the caller wins.
#include <cstdlib>

namespace {

struct Variable {
  const char* name;
  const char* value;
};

constexpr Variable kEnvironment[] = {
#ifdef TFJIT_TEST_CACHE_DIR
    {"TFJIT_CACHE_DIR", TFJIT_TEST_CACHE_DIR},  // never the user's disk cache
#endif
    // On a GPU, test processes run in parallel: each would otherwise reserve nearly all memory.
    {"TF_FORCE_GPU_ALLOW_GROWTH", "true"},
#ifdef TFJIT_TEST_FAKE_CUDA
    {"TFJIT_CUDA_DRIVER", TFJIT_TEST_FAKE_CUDA},
    {"TFJIT_CUBLAS", TFJIT_TEST_FAKE_CUDA},
    {"TFJIT_CUDNN", TFJIT_TEST_FAKE_CUDA},
#endif
#ifdef TFJIT_TEST_PTXAS
    {"TFJIT_FAKE_CUDA_PTXAS", TFJIT_TEST_PTXAS},  // the fake driver assembles PTX with it
#endif
};

const bool configured = [] {
  for (const Variable& v : kEnvironment) setenv(v.name, v.value, /*overwrite=*/0);
  return true;
}();

}  // namespace
