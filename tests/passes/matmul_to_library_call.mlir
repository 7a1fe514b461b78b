// RUN-OPT: --tfjit-matmul-to-library-call
// A float32 GEMM on buffers becomes a call into the GEMM library; transpose_b is a flag.
func.func @gemm(%a: memref<4x8xf32>, %b: memref<8x2xf32>, %c: memref<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x2xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x2xf32>) outs(%c : memref<4x2xf32>)
  return
}
// CHECK-LABEL: func.func @gemm
// CHECK-NOT: linalg.matmul
// CHECK: call @tfjit_sgemm(
func.func @gemm_bt(%a: memref<4x8xf32>, %b: memref<2x8xf32>, %c: memref<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x2xf32>)
  linalg.matmul_transpose_b ins(%a, %b : memref<4x8xf32>, memref<2x8xf32>) outs(%c : memref<4x2xf32>)
  return
}
// CHECK-LABEL: func.func @gemm_bt
// CHECK: %[[T:.*]] = arith.constant 1 : i64
// CHECK: call @tfjit_sgemm({{.*}}, %[[T]])
