// The installed cuDNN (where there is one: the toolkit's libcudnn.so.9, or one on the loader's
// path) against what backends/cuda/cudnn.cpp expects of it, without a GPU: it is cuDNN 9, exports
// every entry point cudnn_abi.h declares, and its descriptor calls accept the descriptions tfjit
// makes (channels-last tensors by strides, filters in its NHWC format, groups, FMA math) in every
// dtype tfjit uses. cudnn_abi_check.cpp checks the declarations' types at build time; this checks
// the library that runs.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <string>

#include "backends/cuda/cudnn_abi.h"

namespace {

using namespace tf::cuda::dnn;

void* open_cudnn() {
#ifdef TFJIT_TEST_CUDNN
  if (void* h = dlopen(TFJIT_TEST_CUDNN, RTLD_NOW | RTLD_LOCAL)) return h;
#endif
  return dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
}

template <class F>
F entry(void* lib, const char* name) {
  auto f = reinterpret_cast<F>(dlsym(lib, name));
  REQUIRE(f);
  return f;
}

TEST_CASE("the installed cuDNN exports what tfjit calls and accepts its descriptors",
          "[cudnn][abi]") {
  void* lib = open_cudnn();
  if (!lib) {
    WARN("skipped: no libcudnn.so.9 here");
    return;
  }
  std::string missing;
#define TFJIT_CHECK_EXPORTED(member, symbol, type) \
  if (!dlsym(lib, symbol)) missing += std::string(symbol) + " ";
  TFJIT_CUDNN_ENTRY_POINTS(TFJIT_CHECK_EXPORTED)
#undef TFJIT_CHECK_EXPORTED
  CHECK(missing == "");
  CHECK(entry<size_t (*)()>(lib, "cudnnGetVersion")() / 10000 == 9);

  // A handle needs a GPU: with none, cuDNN says it is not initialised (cudnn.cpp's
  // UnavailableError).
  Handle handle = nullptr;
  const Status created = entry<Status (*)(Handle*)>(lib, "cudnnCreate")(&handle);
  CHECK((created == kSuccess || status_category(created) == 1));

  auto create_tensor = entry<Status (*)(TensorDesc*)>(lib, "cudnnCreateTensorDescriptor");
  auto set_tensor = entry<Status (*)(TensorDesc, int, int, const int*, const int*)>(
      lib, "cudnnSetTensorNdDescriptor");
  auto destroy_tensor = entry<Status (*)(TensorDesc)>(lib, "cudnnDestroyTensorDescriptor");
  auto create_filter = entry<Status (*)(FilterDesc*)>(lib, "cudnnCreateFilterDescriptor");
  auto set_filter =
      entry<Status (*)(FilterDesc, int, int, int, const int*)>(lib, "cudnnSetFilterNdDescriptor");
  auto destroy_filter = entry<Status (*)(FilterDesc)>(lib, "cudnnDestroyFilterDescriptor");
  auto create_conv = entry<Status (*)(ConvDesc*)>(lib, "cudnnCreateConvolutionDescriptor");
  auto set_conv = entry<Status (*)(ConvDesc, int, const int*, const int*, const int*, int, int)>(
      lib, "cudnnSetConvolutionNdDescriptor");
  auto set_groups = entry<Status (*)(ConvDesc, int)>(lib, "cudnnSetConvolutionGroupCount");
  auto set_math = entry<Status (*)(ConvDesc, int)>(lib, "cudnnSetConvolutionMathType");
  auto destroy_conv = entry<Status (*)(ConvDesc)>(lib, "cudnnDestroyConvolutionDescriptor");

  for (int type : {kDataFloat, kDataDouble, kDataHalf, kDataBfloat16}) {
    INFO("cuDNN data type " << type);
    TensorDesc x = nullptr;
    FilterDesc w = nullptr;
    ConvDesc conv = nullptr;
    REQUIRE(create_tensor(&x) == kSuccess);
    REQUIRE(create_filter(&w) == kSuccess);
    REQUIRE(create_conv(&conv) == kSuccess);
    // (n, c, h, w) = (2, 6, 7, 5) stored channels last; 2-D and 3-D.
    const int dims[] = {2, 6, 7, 5}, strides[] = {6 * 7 * 5, 1, 5 * 6, 6};
    CHECK(set_tensor(x, type, 4, dims, strides) == kSuccess);
    const int dims3[] = {2, 6, 4, 7, 5}, strides3[] = {6 * 4 * 7 * 5, 1, 7 * 5 * 6, 5 * 6, 6};
    CHECK(set_tensor(x, type, 5, dims3, strides3) == kSuccess);
    // (k, c / groups, r, s) stored (k, r, s, c / groups).
    const int filter[] = {4, 3, 3, 3};
    CHECK(set_filter(w, type, kTensorNhwc, 4, filter) == kSuccess);
    const int pad[] = {1, 0}, stride[] = {1, 2}, dilation[] = {2, 1};
    CHECK(set_conv(conv, 2, pad, stride, dilation, kCrossCorrelation,
                   type == kDataDouble ? kDataDouble : kDataFloat) == kSuccess);
    CHECK(set_groups(conv, 2) == kSuccess);
    CHECK(set_math(conv, kFmaMath) == kSuccess);
    CHECK(set_math(conv, kTensorOpMath) == kSuccess);
    CHECK(destroy_conv(conv) == kSuccess);
    CHECK(destroy_filter(w) == kSuccess);
    CHECK(destroy_tensor(x) == kSuccess);
  }
  // Not dlclose'd: cuDNN's sub-libraries stay loaded for the process.
}

}  // namespace
