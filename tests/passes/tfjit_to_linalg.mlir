// RUN-OPT: --tfjit-to-linalg --split-input-file
// Elementwise ops become linalg.generic with the table's scalar op; a matmul a named linalg op.
func.func @elementwise(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %s = tfjit.binary "add" %x, %y : tensor<8xf32> -> tensor<8xf32>
  %e = tfjit.unary "exp" %s : tensor<8xf32> -> tensor<8xf32>
  return %e : tensor<8xf32>
}
// CHECK-LABEL: func.func @elementwise
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK-NOT: tfjit.

// -----

func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %c = tfjit.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %c : tensor<4x2xf32>
}
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.fill
// CHECK: linalg.matmul
