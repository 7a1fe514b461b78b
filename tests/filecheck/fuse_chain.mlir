// RUN-ARGS: --stage linalg
// x*x + 2*x + 1: the broadcast constants fold in and the whole chain becomes one linalg.generic.
module {
  func.func @main(%x: tensor<8xf32>) -> tensor<8xf32> {
    %two = tfjit.constant dense<2.0> : tensor<f32>
    %one = tfjit.constant dense<1.0> : tensor<f32>
    %b2 = tfjit.broadcast_to %two : tensor<f32> -> tensor<8xf32>
    %b1 = tfjit.broadcast_to %one : tensor<f32> -> tensor<8xf32>
    %sq = tfjit.binary "multiply" %x, %x : tensor<8xf32> -> tensor<8xf32>
    %tx = tfjit.binary "multiply" %b2, %x : tensor<8xf32> -> tensor<8xf32>
    %s = tfjit.binary "add" %sq, %tx : tensor<8xf32> -> tensor<8xf32>
    %r = tfjit.binary "add" %s, %b1 : tensor<8xf32> -> tensor<8xf32>
    return %r : tensor<8xf32>
  }
}
// CHECK-LABEL: func.func @main
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK-NEXT: linalg.yield
// CHECK-NOT: linalg.generic
