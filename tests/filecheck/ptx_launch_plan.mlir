// RUN-ARGS: --stage ptx
// The host side of the GPU path as a launch plan (printed as PTX comments above the kernels):
// the GEMM goes to cuBLAS with its sizes and the transpose as its flag (no copy), the constant
// becomes its own buffer (uploaded once), and every memref argument of a launch is MLIR's
// descriptor: buffer address twice, offset, sizes, strides.
module {
  func.func @main(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> tensor<8x3xf32> {
    %wt = tfjit.transpose %w {perm = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
    %y = tfjit.matmul %x, %wt : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
    %c = tfjit.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
    %cb = tfjit.broadcast_to %c : tensor<3xf32> -> tensor<8x3xf32>
    %z = tfjit.binary "multiply" %y, %cb : tensor<8x3xf32> -> tensor<8x3xf32>
    return %z : tensor<8x3xf32>
  }
}
// CHECK: // buffer %0: argument, 128 bytes
// CHECK: // buffer %1: argument, 48 bytes
// CHECK: // buffer %2: result, 96 bytes
// CHECK: // buffer %[[C:[0-9]+]]: constant, 12 bytes
// CHECK-NOT: launch
// CHECK: // gemm float32 batch=1 m=8 n=3 k=4 transpose_b a=%0 b=%1 c=%2
// CHECK: // launch main_kernel {{.*}} params(%2, %2, 0, 8, 3, 3, 1, %[[C]], %[[C]], 0, 3, 1)
// CHECK: .visible .entry main_kernel(
// CHECK-NOT: .entry
