// RUN-ARGS: --stats
// Statistics of a small MLP layer: one GEMM and a fused bias + relu + row sum.
// FLOPs by hand: matmul 2*4*2*8 = 128, add 8, relu 8, reduce 8 -> 152. Bytes in: 4*8*4 + 8*2*4 +
// 2*4 = 200; out: 4*4 = 16. Kernels: the GEMM call, the reduction's init fill, one fused loop.
module {
  func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %b: tensor<2xf32>) -> tensor<4xf32> {
    %h = tfjit.matmul %x, %w : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
    %bb = tfjit.broadcast_to %b : tensor<2xf32> -> tensor<4x2xf32>
    %s = tfjit.binary "add" %h, %bb : tensor<4x2xf32> -> tensor<4x2xf32>
    %r = tfjit.unary "relu" %s : tensor<4x2xf32> -> tensor<4x2xf32>
    %o = tfjit.reduce "reduce_sum" %r {axes = array<i64: 1>, keepdims = false} : tensor<4x2xf32> -> tensor<4xf32>
    return %o : tensor<4xf32>
  }
}
// CHECK: ops:
// CHECK-NEXT: tfjit.binary add: 1
// CHECK-NEXT: tfjit.broadcast_to: 1
// CHECK-NEXT: tfjit.matmul: 1
// CHECK-NEXT: tfjit.reduce reduce_sum: 1
// CHECK-NEXT: tfjit.unary relu: 1
// CHECK: kernels after fusion: 3
// CHECK-NEXT: gemms: 1 library calls, 0 generated loops
// CHECK-NEXT: flops: 152
// CHECK-NEXT: bytes in: 200
// CHECK-NEXT: bytes out: 16
// CHECK-NEXT: intermediate buffers: 1 (32 bytes)
// CHECK-NEXT: allocations per call after liveness planning: 1 (32 bytes)
