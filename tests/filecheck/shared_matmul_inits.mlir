// RUN-ARGS: --stage bufferized
// Two equally shaped matmuls: CSE merges their zero-filled accumulators, and
// tfjit-unshare-matmul-inits gives each its own again, so both become GEMM library calls (no
// generated linalg.matmul, no copy of shared zeros).
module {
  func.func @main(%a: tensor<16x8xf32>, %b: tensor<8x4xf32>, %c: tensor<8x4xf32>) -> tensor<16x4xf32> {
    %x = tfjit.matmul %a, %b : tensor<16x8xf32>, tensor<8x4xf32> -> tensor<16x4xf32>
    %y = tfjit.matmul %a, %c : tensor<16x8xf32>, tensor<8x4xf32> -> tensor<16x4xf32>
    %s = tfjit.binary "add" %x, %y : tensor<16x4xf32> -> tensor<16x4xf32>
    return %s : tensor<16x4xf32>
  }
}
// CHECK-NOT: linalg.matmul
// CHECK-NOT: memref.copy
// CHECK: call @tfjit_sgemm(
// CHECK-NOT: linalg.matmul
// CHECK: call @tfjit_sgemm(
// CHECK-NOT: linalg.matmul
