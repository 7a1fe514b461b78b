// RUN-OPT: --tfjit-to-linalg=parallel-scans=true
// tfjit.scan for GPU kernels: one generic, parallel over the outputs, reducing over the window.
func.func @cummax(%x: tensor<5x7xf32>) -> tensor<5x7xf32> {
  %y = tfjit.scan "cummax" %x {axis = 1 : i64, exclusive = true, reverse = false} : tensor<5x7xf32> -> tensor<5x7xf32>
  return %y : tensor<5x7xf32>
}
// CHECK-LABEL: func.func @cummax
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.cmpi ult
// CHECK: arith.maximumf
// CHECK: arith.select
