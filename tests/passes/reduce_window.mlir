// RUN-OPT: --tfjit-to-linalg --split-input-file
// tfjit.reduce_window: a generic over (output dims, window dims) reading x at o * stride + k; the
// window dims are reductions, sized by an empty tensor of the window's shape.
func.func @max_pool(%x: tensor<2x6x6x3xf32>) -> tensor<2x3x3x3xf32> {
  %y = tfjit.reduce_window "reduce_max" %x {window = array<i64: 1, 2, 2, 1>, strides = array<i64: 1, 2, 2, 1>, dilations = array<i64: 1, 1, 1, 1>, padding_low = array<i64: 0, 0, 0, 0>, padding_high = array<i64: 0, 0, 0, 0>} : tensor<2x6x6x3xf32> -> tensor<2x3x3x3xf32>
  return %y : tensor<2x3x3x3xf32>
}
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0 + d4, d1 * 2 + d5, d2 * 2 + d6, d3 + d7)>
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[WINDOW:.*]] = tensor.empty() : tensor<1x2x2x1xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]{{.*}} ins(%{{.*}}, %[[WINDOW]] : tensor<2x6x6x3xf32>, tensor<1x2x2x1xf32>)
// CHECK: arith.maximumf

// -----

// Padding and dilation: x is written with strides into a buffer filled with the identity.
func.func @padded_sum(%x: tensor<?x5xf32>) -> tensor<?x12xf32> {
  %y = tfjit.reduce_window "reduce_sum" %x {window = array<i64: 1, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 2>, padding_low = array<i64: 0, 2>, padding_high = array<i64: 0, 2>} : tensor<?x5xf32> -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}
// CHECK-LABEL: func.func @padded_sum
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[BUF:.*]] = tensor.empty(%{{.*}}) : tensor<?x13xf32>
// CHECK: %[[FILLED:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[BUF]]
// CHECK: tensor.insert_slice %{{.*}} into %[[FILLED]][0, 2] [%{{.*}}, 5] [1, 2] : tensor<?x5xf32> into tensor<?x13xf32>
// CHECK: linalg.generic
// CHECK: arith.addf

// -----

// tfjit.select_and_scatter on the CPU: the eager kernel, called on the operands' buffers.
func.func @max_pool_gradient(%x: tensor<2x4x4x3xf32>, %y: tensor<2x2x2x3xf32>, %g: tensor<2x2x2x3xf32>) -> tensor<2x4x4x3xf32> {
  %dx = tfjit.select_and_scatter %x, %y, %g {window = array<i64: 1, 2, 2, 1>, strides = array<i64: 1, 2, 2, 1>, padding_low = array<i64: 0, 0, 0, 0>, padding_high = array<i64: 0, 0, 0, 0>} : tensor<2x4x4x3xf32>, tensor<2x2x2x3xf32>, tensor<2x2x2x3xf32> -> tensor<2x4x4x3xf32>
  return %dx : tensor<2x4x4x3xf32>
}
// CHECK-LABEL: func.func @max_pool_gradient
// CHECK: arith.constant dense<[1, 2, 2, 1, 1, 2, 2, 1, 0, 0, 0, 0]> : tensor<12xi64>
// CHECK: call @tfjit_select_and_scatter_float32(
