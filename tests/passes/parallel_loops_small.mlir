// RUN-OPT: --tfjit-parallel-loops-to-calls
// Inside another loop, a parallel loop too small for the pool to split (a static trip count
// below two grains of 2^16 elements' work) stays a loop on the calling thread: a call per
// iteration of a reduction's loops would cost more than the work. Outside loops, small or
// large, they are outlined.
func.func @main(%x: memref<32x14x32xf32>, %sum: memref<1x32xf32>, %big: memref<262144xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c14 = arith.constant 14 : index
  %c32 = arith.constant 32 : index
  %n = arith.constant 262144 : index
  scf.for %b = %c0 to %c32 step %c1 {
    scf.for %h = %c0 to %c14 step %c1 {
      scf.parallel (%i, %c) = (%c0, %c0) to (%c1, %c32) step (%c1, %c1) {
        %v = memref.load %x[%b, %h, %c] : memref<32x14x32xf32>
        %s = memref.load %sum[%i, %c] : memref<1x32xf32>
        %t = arith.addf %s, %v : f32
        memref.store %t, %sum[%i, %c] : memref<1x32xf32>
        scf.reduce
      }
    }
  }
  scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
    %v = memref.load %big[%i] : memref<262144xf32>
    memref.store %v, %big[%i] : memref<262144xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %big[%i] : memref<262144xf32>
    %s = arith.addf %v, %v : f32
    memref.store %s, %big[%i] : memref<262144xf32>
    scf.reduce
  }
  return
}
// CHECK: func.func private @main_parallel_0
// CHECK: func.func private @main_parallel_1
// CHECK-NOT: func.func private @main_parallel_2
// CHECK-LABEL: func.func @main
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.parallel
// CHECK: arith.addf
// CHECK: call @tfjit_parallel_for
// CHECK: call @tfjit_parallel_for
// CHECK-NOT: call @tfjit_parallel_for
