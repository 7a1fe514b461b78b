// The part of Open MPI's C ABI the MPI backend uses, declared here because the library is
// loaded at run time (dlopen) and the build needs no MPI headers. Open MPI's handles are
// pointers to its predefined objects (MPI_COMM_WORLD is &ompi_mpi_comm_world), so constants are
// looked up by symbol. abi_check.cpp compares every declaration with <mpi.h> where it exists.
#pragma once

#include <cstddef>

namespace tf::mpi::abi {

using Comm = struct ompi_communicator_t*;
using Datatype = struct ompi_datatype_t*;
using Op = struct ompi_op_t*;
using Request = struct ompi_request_t*;
using Errhandler = struct ompi_errhandler_t*;
struct Status {
  int source, tag, error, cancelled;
  size_t ucount;
};

inline constexpr int kSuccess = 0;
inline constexpr int kThreadMultiple = 3;  // MPI_THREAD_MULTIPLE
inline constexpr int kMaxErrorString = 256;
inline Status* const kStatusIgnore = nullptr;

// X(name, return type, parameters): the functions, each loaded by its MPI_ name.
#define TFJIT_MPI_FUNCTIONS(X)                                                           \
  X(Initialized, int, (int*))                                                            \
  X(Finalized, int, (int*))                                                              \
  X(Init_thread, int, (int*, char***, int, int*))                                        \
  X(Finalize, int, ())                                                                   \
  X(Comm_dup, int, (Comm, Comm*))                                                        \
  X(Comm_free, int, (Comm*))                                                             \
  X(Comm_rank, int, (Comm, int*))                                                        \
  X(Comm_size, int, (Comm, int*))                                                        \
  X(Comm_set_errhandler, int, (Comm, Errhandler))                                        \
  X(Isend, int, (const void*, int, Datatype, int, int, Comm, Request*))                  \
  X(Irecv, int, (void*, int, Datatype, int, int, Comm, Request*))                        \
  X(Iallreduce, int, (const void*, void*, int, Datatype, Op, Comm, Request*))            \
  X(Ireduce_scatter_block, int, (const void*, void*, int, Datatype, Op, Comm, Request*)) \
  X(Iallgather, int, (const void*, int, Datatype, void*, int, Datatype, Comm, Request*)) \
  X(Ibcast, int, (void*, int, Datatype, int, Comm, Request*))                            \
  X(Test, int, (Request*, int*, Status*))                                                \
  X(Error_string, int, (int, char*, int*))

// X(our name, Open MPI's symbol): the predefined objects.
#define TFJIT_MPI_OBJECTS(X)               \
  X(comm_world, ompi_mpi_comm_world)       \
  X(errors_return, ompi_mpi_errors_return) \
  X(byte, ompi_mpi_byte)                   \
  X(float32, ompi_mpi_float)               \
  X(float64, ompi_mpi_double)              \
  X(int8, ompi_mpi_int8_t)                 \
  X(int16, ompi_mpi_int16_t)               \
  X(int32, ompi_mpi_int32_t)               \
  X(int64, ompi_mpi_int64_t)               \
  X(uint8, ompi_mpi_uint8_t)               \
  X(op_sum, ompi_mpi_op_sum)               \
  X(op_max, ompi_mpi_op_max)               \
  X(op_min, ompi_mpi_op_min)

}  // namespace tf::mpi::abi
