// RUN-ARGS: --stage linalg --split-reductions
// Long reductions become trees of short ones (GPU kernels give each output to one thread), except
// rows that GPU blocks reduce whole (lowering/gpu_block_reductions.h). The full sum of 10^6
// squares: both reduced dims collapse into one, 64 elements per thread over 15625 partials
// (thread p reads p, p + 15625, ...: consecutive threads, consecutive elements), then the row of
// 15625 partials whole, by one block; the square stays fused into the first level. A row max over
// 8 rows of 65536 (too few rows to fill a GPU): 1024 partials per row, then rows of 1024. 256 rows
// of 4096, short reductions and argmax (two accumulators) stay whole.
module {
  func.func @main(%x: tensor<1000x1000xf32>, %y: tensor<8x65536xf32>, %z: tensor<64x200xf32>,
                  %v: tensor<256x4096xf32>)
      -> (tensor<f32>, tensor<8xf32>, tensor<64xf32>, tensor<256xf32>, tensor<8xi64>) {
    %s = tfjit.unary "square" %x : tensor<1000x1000xf32> -> tensor<1000x1000xf32>
    %r = tfjit.reduce "reduce_sum" %s {axes = array<i64: 0, 1>, keepdims = false} : tensor<1000x1000xf32> -> tensor<f32>
    %m = tfjit.reduce "reduce_max" %y {axes = array<i64: 1>, keepdims = false} : tensor<8x65536xf32> -> tensor<8xf32>
    %short = tfjit.reduce "reduce_sum" %z {axes = array<i64: 1>, keepdims = false} : tensor<64x200xf32> -> tensor<64xf32>
    %rows = tfjit.reduce "reduce_sum" %v {axes = array<i64: 1>, keepdims = false} : tensor<256x4096xf32> -> tensor<256xf32>
    %a = tfjit.arg_reduce "argmax" %y {axis = 1 : i64} : tensor<8x65536xf32> -> tensor<8xi64>
    return %r, %m, %short, %rows, %a : tensor<f32>, tensor<8xf32>, tensor<64xf32>, tensor<256xf32>, tensor<8xi64>
  }
}
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<1000x1000xf32> into tensor<1000000xf32>
// CHECK: tensor.expand_shape {{.*}} output_shape [64, 15625]
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}}tensor<64x15625xf32>{{.*}}tensor<15625xf32>
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}}tensor<15625xf32>{{.*}}tensor<f32>
// CHECK: tensor.expand_shape %arg1 {{\[\[}}0], [1, 2]] output_shape [8, 64, 1024]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}}tensor<8x1024xf32>
// CHECK: arith.maximumf
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}tensor<8x1024xf32>{{.*}}tensor<8xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}ins(%arg2 : tensor<64x200xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}ins(%arg3 : tensor<256x4096xf32>)
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}}ins(%arg1 : tensor<8x65536xf32>)
