// RUN-OPT: --tfjit-to-linalg --split-input-file
// float32: one call of tfjit_conv_fused on the input, filter, bias and residual buffers, into a
// fresh buffer; conv's attributes then [act (relu = 1), has bias, has residual].
func.func @fused(%x: tensor<?x5x5x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>, %r: tensor<?x3x3x4xf32>) -> tensor<?x3x3x4xf32> {
  %y = tfjit.fused_conv %x, %w bias %b : tensor<4xf32> residual %r : tensor<?x3x3x4xf32> {activation = "relu", strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<?x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<?x3x3x4xf32>
  return %y : tensor<?x3x3x4xf32>
}
// CHECK-LABEL: func.func @fused
// CHECK-DAG: arith.constant dense<[0, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]> : tensor<13xi64>
// CHECK-DAG: bufferization.to_memref %{{.*}} read_only {tfjit.call = {{[0-9]+}} : i64} : memref<4xf32>
// CHECK-DAG: bufferization.to_memref %{{.*}} read_only {tfjit.call = {{[0-9]+}} : i64} : memref<?x3x3x4xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x3x3x4xf32>
// CHECK: call @tfjit_conv_fused(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<?xi64>) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<?x3x3x4xf32>

// -----

// No residual, tanh (2): the input stands in for the absent operand.
func.func @bias_tanh(%x: tensor<1x4x4x2xf32>, %w: tensor<1x1x2x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x4x3xf32> {
  %y = tfjit.fused_conv %x, %w bias %b : tensor<3xf32> {activation = "tanh", strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, groups = 1} : tensor<1x4x4x2xf32>, tensor<1x1x2x3xf32> -> tensor<1x4x4x3xf32>
  return %y : tensor<1x4x4x3xf32>
}
// CHECK-LABEL: func.func @bias_tanh
// CHECK: arith.constant dense<[0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 1, 0]> : tensor<13xi64>
// CHECK: call @tfjit_conv_fused(
