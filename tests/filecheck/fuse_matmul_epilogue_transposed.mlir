// RUN-ARGS: --stage bufferized
// A dense layer whose weights are stored transposed, tanh(x wᵀ + b) (act code 2): the transpose
// is the GEMM's flag and the bias and tanh its epilogue, all one oneDNN call; no loop is left.
module {
  func.func @main(%x: tensor<17x128xf32>, %w: tensor<9x128xf32>, %b: tensor<9xf32>) -> tensor<17x9xf32> {
    %wt = tfjit.transpose %w {perm = array<i64: 1, 0>} : tensor<9x128xf32> -> tensor<128x9xf32>
    %h = tfjit.matmul %x, %wt : tensor<17x128xf32>, tensor<128x9xf32> -> tensor<17x9xf32>
    %bb = tfjit.broadcast_to %b : tensor<9xf32> -> tensor<17x9xf32>
    %y = tfjit.binary "add" %bb, %h : tensor<17x9xf32> -> tensor<17x9xf32>
    %z = tfjit.unary "tanh" %y : tensor<17x9xf32> -> tensor<17x9xf32>
    return %z : tensor<17x9xf32>
  }
}
// CHECK: func.func @main(%[[X:.*]]: memref<17x128xf32>, %[[W:.*]]: memref<9x128xf32>, %[[B:.*]]: memref<9xf32>, %[[OUT:.*]]: memref<17x9xf32>)
// CHECK-DAG: %[[TANH:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[NO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[YES:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[CW:.*]] = memref.cast %[[W]]
// CHECK-NOT: linalg.generic
// CHECK: call @tfjit_sgemm_bias_act(%{{.*}}, %[[CW]], %{{.*}}, %{{.*}}, %[[TANH]], %[[NO]], %[[YES]])
// CHECK-NOT: linalg.generic
// CHECK: return
