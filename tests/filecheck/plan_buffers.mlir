// RUN-ARGS: --stats
// Liveness planning: three GEMMs in a row. h1 (4x8 f32, 128 bytes) is dead once h2 is computed,
// so h3 (4x2, 32 bytes) takes its place: 288 bytes of intermediates in a 256-byte arena, one
// allocation per call instead of three.
module {
  func.func @main(%x: tensor<4x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>, %w3: tensor<8x2xf32>) -> tensor<4xf32> {
    %h1 = tfjit.matmul %x, %w1 : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %h2 = tfjit.matmul %h1, %w2 : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %h3 = tfjit.matmul %h2, %w3 : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
    %o = tfjit.reduce "reduce_sum" %h3 {axes = array<i64: 1>, keepdims = false} : tensor<4x2xf32> -> tensor<4xf32>
    return %o : tensor<4xf32>
  }
}
// CHECK: intermediate buffers: 3 (288 bytes)
// CHECK-NEXT: allocations per call after liveness planning: 1 (256 bytes)
