// Compile-time check of openmpi_abi.h against Open MPI's <mpi.h> (built only where the header
// is installed): the backend declares the ABI itself so that it builds without MPI.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <cstddef>
#include <type_traits>

#include "backends/mpi/openmpi_abi.h"

namespace tf::mpi::abi {

static_assert(std::is_same_v<Comm, MPI_Comm>);
static_assert(std::is_same_v<Datatype, MPI_Datatype>);
static_assert(std::is_same_v<Op, MPI_Op>);
static_assert(std::is_same_v<Request, MPI_Request>);
static_assert(std::is_same_v<Errhandler, MPI_Errhandler>);
static_assert(sizeof(Status) == sizeof(MPI_Status));
static_assert(kSuccess == MPI_SUCCESS);
static_assert(kThreadMultiple == MPI_THREAD_MULTIPLE);
static_assert(kMaxErrorString <= MPI_MAX_ERROR_STRING);

// Each function's type, as <mpi.h> declares it (our Status standing for MPI_Status).
template <class T>
struct Theirs {
  using type = T;
};
template <>
struct Theirs<Status*> {
  using type = MPI_Status*;
};
template <class F>
struct WithTheirTypes;
template <class R, class... A>
struct WithTheirTypes<R (*)(A...)> {
  using type = R (*)(typename Theirs<A>::type...);
};
static_assert(offsetof(Status, ucount) == offsetof(MPI_Status, _ucount));
#define TFJIT_X(name, R, params) \
  static_assert(std::is_same_v<WithTheirTypes<R(*) params>::type, decltype(&MPI_##name)>);
TFJIT_MPI_FUNCTIONS(TFJIT_X)
#undef TFJIT_X

// Each object exists under the name we look up (an undefined one fails to compile).
#define TFJIT_X(ours, symbol) [[maybe_unused]] static const void* const ours##_address = &symbol;
TFJIT_MPI_OBJECTS(TFJIT_X)
#undef TFJIT_X

}  // namespace tf::mpi::abi
