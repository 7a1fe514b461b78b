// RUN-ARGS: --stage linalg --split-reductions
// Long reductions become trees of short ones (GPU kernels give each output to one thread). The
// full sum of 10^6 squares: both reduced dims collapse into one, 64 elements per thread over
// 15625 partials (thread p reads p, p + 15625, ...: consecutive threads, consecutive elements),
// then 125 x 125, then 125 serially; the square stays fused into the first level. A row max of
// 8192: 128 partials per row. Short reductions and argmax (two accumulators) stay whole.
module {
  func.func @main(%x: tensor<1000x1000xf32>, %y: tensor<64x8192xf32>, %z: tensor<64x200xf32>)
      -> (tensor<f32>, tensor<64xf32>, tensor<64xf32>, tensor<64xi64>) {
    %s = tfjit.unary "square" %x : tensor<1000x1000xf32> -> tensor<1000x1000xf32>
    %r = tfjit.reduce "reduce_sum" %s {axes = array<i64: 0, 1>, keepdims = false} : tensor<1000x1000xf32> -> tensor<f32>
    %m = tfjit.reduce "reduce_max" %y {axes = array<i64: 1>, keepdims = false} : tensor<64x8192xf32> -> tensor<64xf32>
    %short = tfjit.reduce "reduce_sum" %z {axes = array<i64: 1>, keepdims = false} : tensor<64x200xf32> -> tensor<64xf32>
    %a = tfjit.arg_reduce "argmax" %y {axis = 1 : i64} : tensor<64x8192xf32> -> tensor<64xi64>
    return %r, %m, %short, %a : tensor<f32>, tensor<64xf32>, tensor<64xf32>, tensor<64xi64>
  }
}
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<1000x1000xf32> into tensor<1000000xf32>
// CHECK: tensor.expand_shape {{.*}} output_shape [64, 15625]
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}}tensor<64x15625xf32>{{.*}}tensor<15625xf32>
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.expand_shape {{.*}} output_shape [125, 125]
// CHECK: linalg.generic {{.*}}tensor<125x125xf32>{{.*}}tensor<125xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}}tensor<125xf32>{{.*}}tensor<f32>
// CHECK: tensor.expand_shape %arg1 {{\[\[}}0], [1, 2]] output_shape [64, 64, 128]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}}tensor<64x128xf32>
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}}tensor<64x128xf32>{{.*}}tensor<64xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}ins(%arg2 : tensor<64x200xf32>)
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}}ins(%arg1 : tensor<64x8192xf32>)
