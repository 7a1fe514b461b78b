// RUN-ARGS: --stage bufferized
// float32 GEMM becomes a oneDNN call that writes straight into the result buffer; the zero
// fill of the accumulator is folded into the call (C = A * B rather than C += A * B).
module {
  func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
    %c = tfjit.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
    return %c : tensor<4x2xf32>
  }
}
// CHECK: func.func private @tfjit_sgemm(memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>, i64, i64)
// CHECK: func.func @main(%{{.*}}: memref<4x8xf32>, %{{.*}}: memref<8x2xf32>, %[[OUT:.*]]: memref<4x2xf32>)
// CHECK-NOT: linalg.fill
// CHECK-NOT: memref.alloc
// CHECK: %[[NO:.*]] = arith.constant 0 : i64
// CHECK: call @tfjit_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %[[NO]], %[[NO]])
// CHECK-NOT: memref.alloc
