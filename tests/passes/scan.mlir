// RUN-OPT: --tfjit-to-linalg --split-input-file
// tfjit.scan on the CPU: a loop over the scanned axis, each step one combining linalg.generic.
func.func @cumsum(%x: tensor<5x7xf32>) -> tensor<5x7xf32> {
  %y = tfjit.scan "cumsum" %x {axis = 0 : i64, exclusive = false, reverse = false} : tensor<5x7xf32> -> tensor<5x7xf32>
  return %y : tensor<5x7xf32>
}
// CHECK-LABEL: func.func @cumsum
// CHECK: scf.for
// CHECK: tensor.extract_slice {{.*}} to tensor<1x7xf32>
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: tensor.insert_slice

// -----

func.func @exclusive_reverse(%x: tensor<5xf32>) -> tensor<5xf32> {
  %y = tfjit.scan "cumsum" %x {axis = 0 : i64, exclusive = true, reverse = true} : tensor<5xf32> -> tensor<5xf32>
  return %y : tensor<5xf32>
}
// Reversed: the index runs n - 1 - s. Exclusive: the slice written is the accumulator carried in.
// CHECK-LABEL: func.func @exclusive_reverse
// CHECK: scf.for {{.*}} iter_args(%[[ACC:[a-z0-9]+]] =
// CHECK: arith.subi
// CHECK: arith.subi
// CHECK: tensor.insert_slice %[[ACC]] into
