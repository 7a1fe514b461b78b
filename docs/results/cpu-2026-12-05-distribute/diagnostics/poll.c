// Iallreduce completion strategies at one size: Wait, Test+yield only, Test+yield then sleep 20us (tfjit's).
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static void done(MPI_Request* r, int mode) {
  for (int spins = 0;; ++spins) {
    int flag = 0;
    if (mode == 0) { MPI_Wait(r, MPI_STATUS_IGNORE); return; }
    MPI_Test(r, &flag, MPI_STATUS_IGNORE);
    if (flag) return;
    if (mode == 1 || spins < 100) sched_yield();
    else { struct timespec ts = {0, 20000}; nanosleep(&ts, NULL); }
  }
}
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank; MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int count = argc > 1 ? atoi(argv[1]) : 262144;
  float* in = aligned_alloc(4096, count * 4 + 4096), *out = aligned_alloc(4096, count * 4 + 4096);
  for (int i = 0; i < count; ++i) in[i] = 1, out[i] = 0;
  const char* names[] = {"Iallreduce+Wait", "Test+yield only", "Test+yield, then sleep 20us (tfjit)", "blocking MPI_Allreduce"};
  for (int rep = 0; rep < 3; ++rep)
    for (int mode = 0; mode < 4; ++mode) {
      int iters = 200;
      MPI_Barrier(MPI_COMM_WORLD);
      double t = MPI_Wtime();
      for (int i = 0; i < iters; ++i) {
        if (mode == 3) { MPI_Allreduce(in, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); continue; }
        MPI_Request r; MPI_Iallreduce(in, out, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r); done(&r, mode);
      }
      t = (MPI_Wtime() - t) / iters * 1e6, MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (rank == 0 && rep == 2) printf("%d B  %-40s %8.1f us\n", count * 4, names[mode], t);
    }
  MPI_Finalize();
}
