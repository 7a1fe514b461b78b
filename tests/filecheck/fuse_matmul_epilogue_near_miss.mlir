// RUN-ARGS: --stage bufferized
// The product is also a result: it needs its own GEMM, so the bias and relu stay a loop.
module {
  func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>, %b: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
    %h = tfjit.matmul %x, %w : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
    %bb = tfjit.broadcast_to %b : tensor<3xf32> -> tensor<4x3xf32>
    %y = tfjit.binary "add" %h, %bb : tensor<4x3xf32> -> tensor<4x3xf32>
    %z = tfjit.unary "relu" %y : tensor<4x3xf32> -> tensor<4x3xf32>
    return %h, %z : tensor<4x3xf32>, tensor<4x3xf32>
  }
}
// CHECK-NOT: tfjit_sgemm_bias_act
// CHECK: call @tfjit_sgemm(
// CHECK: linalg.generic
// CHECK: arith.select
// CHECK-NOT: tfjit_sgemm_bias_act
