// RUN-OPT: --tfjit-parallel-loops-to-calls
// An outermost scf.parallel becomes a call to the thread pool with its body outlined into a
// function of a range; the captured memref travels in a stack context.
func.func @main(%a: memref<1048576xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1048576 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %a[%i] : memref<1048576xf32>
    %s = arith.addf %v, %v : f32
    memref.store %s, %a[%i] : memref<1048576xf32>
    scf.reduce
  }
  return
}
// CHECK: func.func private @tfjit_parallel_for
// CHECK: func.func private @main_parallel_0(%{{.*}}: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK: scf.for
// CHECK: memref.load
// CHECK-LABEL: func.func @main
// CHECK-NOT: scf.parallel
// CHECK: %[[F:.*]] = constant @main_parallel_0
// CHECK: call @tfjit_parallel_for(%[[F]], %{{.*}}, %{{.*}}, %{{.*}})
