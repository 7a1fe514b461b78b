// RUN-OPT: --canonicalize --split-input-file
// A transpose of a transpose is one transpose; an identity permutation is no op.
func.func @twice(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %a = tfjit.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %b = tfjit.transpose %a {perm = array<i64: 1, 0, 2>} : tensor<2x4x3xf32> -> tensor<4x2x3xf32>
  return %b : tensor<4x2x3xf32>
}
// CHECK-LABEL: func.func @twice
// CHECK-NEXT: %[[T:.*]] = tfjit.transpose %arg0 {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT: return %[[T]]

// -----

func.func @back(%x: tensor<5x6xf32>) -> tensor<5x6xf32> {
  %a = tfjit.transpose %x {perm = array<i64: 1, 0>} : tensor<5x6xf32> -> tensor<6x5xf32>
  %b = tfjit.transpose %a {perm = array<i64: 1, 0>} : tensor<6x5xf32> -> tensor<5x6xf32>
  return %b : tensor<5x6xf32>
}
// CHECK-LABEL: func.func @back
// CHECK-NEXT: return %arg0
