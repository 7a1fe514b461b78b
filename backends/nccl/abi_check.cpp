// Compile-time check of nccl_abi.h against NCCL's nccl.h (built only where the header is
// installed): the backend declares the ABI itself so that it builds without NCCL or CUDA.
#include <nccl.h>

#include <type_traits>

#include "backends/nccl/nccl_abi.h"

namespace tf::nccl::abi {

// The handles are the same types (declared at global scope in nccl_abi.h for this).
static_assert(std::is_same_v<Comm, ncclComm_t>);
static_assert(std::is_same_v<Stream, cudaStream_t>);

static_assert(kUniqueIdBytes == NCCL_UNIQUE_ID_BYTES);
static_assert(sizeof(UniqueId) == sizeof(ncclUniqueId));
static_assert(alignof(UniqueId) == alignof(ncclUniqueId));
static_assert(sizeof(Result) == sizeof(ncclResult_t));
static_assert(sizeof(DataType) == sizeof(ncclDataType_t));
static_assert(sizeof(RedOp) == sizeof(ncclRedOp_t));
static_assert(kMinVersion == NCCL_VERSION(2, 10, 0));

// Every enumerator we declare, with nccl.h's value (compared as ints: different enum types).
#define TFJIT_SAME(ours, theirs) static_assert(static_cast<int>(ours) == static_cast<int>(theirs));
TFJIT_SAME(kSuccess, ncclSuccess)
TFJIT_SAME(kInProgress, ncclInProgress)
TFJIT_SAME(kInt8, ncclInt8)
TFJIT_SAME(kUint8, ncclUint8)
TFJIT_SAME(kInt32, ncclInt32)
TFJIT_SAME(kInt64, ncclInt64)
TFJIT_SAME(kFloat16, ncclFloat16)
TFJIT_SAME(kFloat32, ncclFloat32)
TFJIT_SAME(kFloat64, ncclFloat64)
TFJIT_SAME(kBfloat16, ncclBfloat16)
TFJIT_SAME(kSum, ncclSum)
TFJIT_SAME(kMax, ncclMax)
TFJIT_SAME(kMin, ncclMin)
#undef TFJIT_SAME

// Each function's type, as nccl.h declares it (our enums and UniqueId standing for nccl.h's).
template <class T>
struct Theirs {
  using type = T;
};
template <>
struct Theirs<Result> {
  using type = ncclResult_t;
};
template <>
struct Theirs<Result*> {
  using type = ncclResult_t*;
};
template <>
struct Theirs<DataType> {
  using type = ncclDataType_t;
};
template <>
struct Theirs<RedOp> {
  using type = ncclRedOp_t;
};
template <>
struct Theirs<UniqueId> {
  using type = ncclUniqueId;
};
template <>
struct Theirs<UniqueId*> {
  using type = ncclUniqueId*;
};
template <class F>
struct WithTheirTypes;
template <class R, class... A>
struct WithTheirTypes<R (*)(A...)> {
  using type = typename Theirs<R>::type (*)(typename Theirs<A>::type...);
};
#define TFJIT_X(name, R, params) \
  static_assert(std::is_same_v<WithTheirTypes<R(*) params>::type, decltype(&nccl##name)>);
TFJIT_NCCL_FUNCTIONS(TFJIT_X)
#undef TFJIT_X

}  // namespace tf::nccl::abi
