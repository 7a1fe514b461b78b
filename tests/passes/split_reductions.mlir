// RUN-OPT: --tfjit-split-reductions
// A sum over 4M elements (one GPU thread's serial walk) becomes partial sums, then their sum.
#in = affine_map<(d0) -> (d0)>
#out = affine_map<(d0) -> ()>
func.func @sum(%x: tensor<4194304xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction"]}
      ins(%x : tensor<4194304xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}
// CHECK-LABEL: func.func @sum
// CHECK: tensor.expand_shape %{{.*}} output_shape [64, 65536]
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]

// A window reduction (x read at o * stride + k) is left alone: collapsing its reduction loops
// would mis-read the strided map.
#window_read = affine_map<(d0, d1, d2) -> (d0 * 2 + d1 + d2)>
#window = affine_map<(d0, d1, d2) -> (d1, d2)>
#window_out = affine_map<(d0, d1, d2) -> (d0)>
func.func @window(%x: tensor<4200xf32>, %init: tensor<1xf32>) -> tensor<1xf32> {
  %w = tensor.empty() : tensor<2050x2050xf32>
  %y = linalg.generic {indexing_maps = [#window_read, #window, #window_out], iterator_types = ["parallel", "reduction", "reduction"]} ins(%x, %w : tensor<4200xf32>, tensor<2050x2050xf32>) outs(%init : tensor<1xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<1xf32>
  return %y : tensor<1xf32>
}
// CHECK-LABEL: func.func @window
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction"]
// CHECK-NOT: linalg.generic
