// RUN-OPT: --tfjit-parallel-loops-to-calls
// A parallel loop whose body allocates stays a loop on the calling thread: a failed allocation
// leaves compiled code by a jump that may not cross the thread pool's frames.
func.func @main(%a: memref<1048576x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1048576 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %row = memref.alloc() : memref<16xf32>
    %v = memref.load %a[%i, %c0] : memref<1048576x16xf32>
    memref.store %v, %row[%c0] : memref<16xf32>
    memref.dealloc %row : memref<16xf32>
    scf.reduce
  }
  return
}
// CHECK-LABEL: func.func @main
// CHECK: scf.parallel
// CHECK: memref.alloc
// CHECK-NOT: tfjit_parallel_for
