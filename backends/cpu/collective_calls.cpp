// The library call compiled CPU code makes for tfjit.all_reduce (runtime/library_abi.h): the
// communicator the op names, on the operand's and result's buffers.
#include <string>
#include <utility>
#include <vector>

#include "runtime/collectives.h"
#include "runtime/library_abi.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

struct UnrankedMemRef {
  int64_t rank;
  void* descriptor;
};

template <int D>
void all_reduce_call(UnrankedMemRef* x, UnrankedMemRef* out, int64_t reduce_op, int64_t group) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    auto communicator = rt::collectives::group(group);
    if (!communicator)
      throw FailedPreconditionError("all_reduce: the communicator of this compiled function (" +
                                    std::to_string(group) +
                                    ") no longer exists; its strategy was destroyed");
    auto* in = static_cast<int64_t*>(x->descriptor);
    auto* o = static_cast<int64_t*>(out->descriptor);
    int64_t count = 1;
    for (int64_t k = 0; k < x->rank; ++k) count *= in[3 + k];
    const auto item = static_cast<int64_t>(dtype_size(dtype));
    communicator->all_reduce(reinterpret_cast<const char*>(in[1]) + in[2] * item,
                             reinterpret_cast<char*>(o[1]) + o[2] * item, count, dtype,
                             static_cast<rt::collectives::ReduceOp>(reduce_op));
  } catch (...) {
    rt::abi::record_failure();
  }
}

template <int... D>
std::vector<rt::abi::LibraryCall> calls(std::integer_sequence<int, D...>) {
  return {{"_mlir_ciface_" + std::string(rt::abi::kAllReducePrefix) +
               std::string(dtype_name(static_cast<DType>(D))),
           reinterpret_cast<void*>(&all_reduce_call<D>)}...};
}
const bool registered =
    rt::abi::register_library_calls(calls(std::make_integer_sequence<int, kNumDTypes>{}));

}  // namespace

}  // namespace tf::cpu
