// RUN-OPT: --tfjit-to-linalg=device-conv-calls=true --split-input-file
// For the GPU with cuDNN (CompileOptions::device_conv_calls): every float dtype becomes the same
// tfjit_conv call as float32 on the CPU, which the launch plan turns into a cuDNN step.
func.func @conv_f16(%x: tensor<?x5x5x3xf16>, %w: tensor<3x3x3x4xf16>) -> tensor<?x3x3x4xf16> {
  %y = tfjit.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<?x5x5x3xf16>, tensor<3x3x3x4xf16> -> tensor<?x3x3x4xf16>
  return %y : tensor<?x3x3x4xf16>
}
// CHECK-LABEL: func.func @conv_f16
// CHECK-NOT: linalg.generic
// CHECK-DAG: arith.constant dense<[0, 1, 2, 2, 1, 1, 1, 1, 1, 1]> : tensor<10xi64>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x3x3x4xf16>
// CHECK: call @tfjit_conv(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf16>, memref<*xf16>, memref<*xf16>, memref<?xi64>) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<?x3x3x4xf16>
// CHECK-NOT: linalg.generic

// -----

// Gradients too, in float64: kinds 2 (filter) and 1 (input).
func.func @gradients_f64(%x: tensor<1x6x2xf64>, %w: tensor<3x2x4xf64>, %dy: tensor<1x3x4xf64>) -> (tensor<3x2x4xf64>, tensor<1x6x2xf64>) {
  %dw = tfjit.conv_backprop_filter %x, %dy {strides = array<i64: 2>, dilations = array<i64: 1>, padding_low = array<i64: 1>, padding_high = array<i64: 0>, groups = 1, filter_shape = array<i64: 3, 2, 4>} : tensor<1x6x2xf64>, tensor<1x3x4xf64> -> tensor<3x2x4xf64>
  %dx = tfjit.conv_backprop_input %w, %dy {strides = array<i64: 2>, dilations = array<i64: 1>, padding_low = array<i64: 1>, padding_high = array<i64: 0>, groups = 1, input_shape = array<i64: 1, 6, 2>} : tensor<3x2x4xf64>, tensor<1x3x4xf64> -> tensor<1x6x2xf64>
  return %dw, %dx : tensor<3x2x4xf64>, tensor<1x6x2xf64>
}
// CHECK-LABEL: func.func @gradients_f64
// CHECK-NOT: linalg.generic
// CHECK: arith.constant dense<[2, 1, 2, 1, 1, 0]> : tensor<6xi64>
// CHECK: call @tfjit_conv({{.*}}) : (memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<?xi64>) -> ()
// CHECK: arith.constant dense<[1, 1, 2, 1, 1, 0]> : tensor<6xi64>
// CHECK: call @tfjit_conv({{.*}}) : (memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<?xi64>) -> ()
// CHECK-NOT: linalg.generic


// -----

// A float32 convolution fused with ReLU: the same tfjit_conv_fused call as on the CPU (cuDNN's
// fused convolution), here without a residual (the input stands in for it).
func.func @fused_relu(%x: tensor<1x4x4x2xf32>, %w: tensor<1x1x2x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x4x3xf32> {
  %y = tfjit.fused_conv %x, %w bias %b : tensor<3xf32> {activation = "relu", strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, groups = 1} : tensor<1x4x4x2xf32>, tensor<1x1x2x3xf32> -> tensor<1x4x4x3xf32>
  return %y : tensor<1x4x4x3xf32>
}
// CHECK-LABEL: func.func @fused_relu
// CHECK-NOT: linalg.generic
// CHECK: arith.constant dense<[0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0]> : tensor<13xi64>
// CHECK: call @tfjit_conv_fused({{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<?xi64>) -> ()
// CHECK-NOT: linalg.generic

// -----

// Any other activation: cuDNN's legacy API does not fuse it, so the convolution is a plain call
// and its epilogue a generated kernel.
func.func @fused_tanh(%x: tensor<1x4x4x2xf32>, %w: tensor<1x1x2x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x4x3xf32> {
  %y = tfjit.fused_conv %x, %w bias %b : tensor<3xf32> {activation = "tanh", strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, groups = 1} : tensor<1x4x4x2xf32>, tensor<1x1x2x3xf32> -> tensor<1x4x4x3xf32>
  return %y : tensor<1x4x4x3xf32>
}
// CHECK-LABEL: func.func @fused_tanh
// CHECK-NOT: tfjit_conv_fused
// CHECK: call @tfjit_conv({{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<?xi64>) -> ()
// CHECK: linalg.generic
// CHECK: math.tanh
