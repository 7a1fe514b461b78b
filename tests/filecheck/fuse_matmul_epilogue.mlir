// RUN-ARGS: --stage bufferized
// A dense layer relu(x w + b): the GEMM, the row bias and the relu become one oneDNN call (act
// code 1 = relu, backends/cpu/matmul_fused.h) writing straight into the result; no loop is left.
module {
  func.func @main(%x: tensor<17x128xf32>, %w: tensor<128x9xf32>, %b: tensor<9xf32>) -> tensor<17x9xf32> {
    %h = tfjit.matmul %x, %w : tensor<17x128xf32>, tensor<128x9xf32> -> tensor<17x9xf32>
    %bb = tfjit.broadcast_to %b : tensor<9xf32> -> tensor<17x9xf32>
    %y = tfjit.binary "add" %h, %bb : tensor<17x9xf32> -> tensor<17x9xf32>
    %z = tfjit.unary "relu" %y : tensor<17x9xf32> -> tensor<17x9xf32>
    return %z : tensor<17x9xf32>
  }
}
// CHECK: func.func private @tfjit_sgemm_bias_act(memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>, memref<?x?xf32>, i64, i64, i64)
// CHECK-NOT: @tfjit_sgemm(
// CHECK: func.func @main(%[[X:.*]]: memref<17x128xf32>, %[[W:.*]]: memref<128x9xf32>, %[[B:.*]]: memref<9xf32>, %[[OUT:.*]]: memref<17x9xf32>)
// CHECK-DAG: %[[RELU:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[NO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[CB:.*]] = memref.cast %[[B]]
// CHECK-DAG: %[[COUT:.*]] = memref.cast %[[OUT]]
// CHECK-NOT: memref.alloc
// CHECK: call @tfjit_sgemm_bias_act(%{{.*}}, %{{.*}}, %[[CB]], %[[COUT]], %[[RELU]], %[[NO]], %[[NO]])
// CHECK-NOT: linalg.generic
// CHECK: return
