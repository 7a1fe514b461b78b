// RUN-ARGS: --stage bufferized
// A transpose of the last two axes feeding a float32 matmul becomes the GEMM's flag (as the
// backward pass's g w^T and x^T g need), or a batched GEMM's strides: no transpose loop, no
// temporary. With both operands
// transposed, b's is folded and a's stays a copy; a transpose of other axes (here behind a
// reshape) stays a copy too.
module {
  func.func @main(%a: tensor<8x4xf32>, %b: tensor<3x8xf32>, %c: tensor<2x5x4xf32>,
                  %d: tensor<2x6x4xf32>, %e: tensor<4x2x5xf32>)
      -> (tensor<4x3xf32>, tensor<2x5x6xf32>, tensor<4x4xf32>, tensor<5x3xf32>) {
    %at = tfjit.transpose %a {perm = array<i64: 1, 0>} : tensor<8x4xf32> -> tensor<4x8xf32>
    %bt = tfjit.transpose %b {perm = array<i64: 1, 0>} : tensor<3x8xf32> -> tensor<8x3xf32>
    %ab = tfjit.matmul %at, %bt : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
    %dt = tfjit.transpose %d {perm = array<i64: 0, 2, 1>} : tensor<2x6x4xf32> -> tensor<2x4x6xf32>
    %cd = tfjit.matmul %c, %dt : tensor<2x5x4xf32>, tensor<2x4x6xf32> -> tensor<2x5x6xf32>
    %aa = tfjit.matmul %at, %a : tensor<4x8xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
    %et = tfjit.transpose %e {perm = array<i64: 2, 1, 0>} : tensor<4x2x5xf32> -> tensor<5x2x4xf32>
    %e2 = tfjit.reshape %et : tensor<5x2x4xf32> -> tensor<5x8xf32>
    %ee = tfjit.matmul %e2, %bt : tensor<5x8xf32>, tensor<8x3xf32> -> tensor<5x3xf32>
    return %ab, %cd, %aa, %ee : tensor<4x3xf32>, tensor<2x5x6xf32>, tensor<4x4xf32>, tensor<5x3xf32>
  }
}
// CHECK-DAG: %[[NO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[YES:.*]] = arith.constant 1 : i64
// a^T b^T: a's transpose is a loop into a temporary, b's the flag.
// CHECK: linalg.generic
// CHECK: call @tfjit_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %[[NO]], %[[YES]])
// A batched product reads its transposed operand through strides (the strided GEMM).
// CHECK: call @tfjit_sgemm_strided(
// CHECK: call @tfjit_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %[[YES]], %[[NO]])
// CHECK: linalg.generic
// CHECK: call @tfjit_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %[[NO]], %[[YES]])
// CHECK-NOT: linalg.generic
