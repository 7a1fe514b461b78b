// RUN-OPT: --tfjit-fuse-conv-epilogue --split-input-file
// conv -> + bias (a broadcast channel vector) -> relu, each value used once: one tfjit.fused_conv
// with the bias as its operand and the activation as an attribute.
func.func @conv_bias_relu(%x: tensor<?x5x5x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>) -> tensor<?x5x5x4xf32> {
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<?x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<?x5x5x4xf32>
  %bb = tfjit.broadcast_to %b like(%y : tensor<?x5x5x4xf32>) : tensor<4xf32> -> tensor<?x5x5x4xf32>
  %u = tfjit.binary "add" %y, %bb : tensor<?x5x5x4xf32> -> tensor<?x5x5x4xf32>
  %z = tfjit.unary "relu" %u : tensor<?x5x5x4xf32> -> tensor<?x5x5x4xf32>
  return %z : tensor<?x5x5x4xf32>
}
// CHECK-LABEL: func.func @conv_bias_relu
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x5x5x3xf32>, %[[W:[^:]*]]: tensor<3x3x3x4xf32>, %[[B:[^:]*]]: tensor<4xf32>
// CHECK-NOT: tfjit.conv
// CHECK-NOT: tfjit.binary
// CHECK-NOT: tfjit.unary
// CHECK: %[[Z:.*]] = tfjit.fused_conv %[[X]], %[[W]] bias %[[B]] : tensor<4xf32> {activation = "relu"
// CHECK-NOT: tfjit.unary
// CHECK: return %[[Z]]

// -----

// A residual block's end: conv -> + bias -> + shortcut -> relu6. The shortcut becomes the sum
// post-op's operand.
func.func @conv_bias_residual_relu6(%x: tensor<2x5x5x4xf32>, %w: tensor<3x3x4x4xf32>, %b: tensor<4xf32>, %r: tensor<2x5x5x4xf32>) -> tensor<2x5x5x4xf32> {
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x4xf32>, tensor<3x3x4x4xf32> -> tensor<2x5x5x4xf32>
  %bb = tfjit.broadcast_to %b : tensor<4xf32> -> tensor<2x5x5x4xf32>
  %u = tfjit.binary "add" %bb, %y : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  %v = tfjit.binary "add" %u, %r : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  %z = tfjit.unary "relu6" %v : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  return %z : tensor<2x5x5x4xf32>
}
// CHECK-LABEL: func.func @conv_bias_residual_relu6
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x5x5x4xf32>, %[[W:[^:]*]]: tensor<3x3x4x4xf32>, %[[B:[^:]*]]: tensor<4xf32>, %[[R:[^:]*]]: tensor<2x5x5x4xf32>
// CHECK-NEXT: %[[Z:.*]] = tfjit.fused_conv %[[X]], %[[W]] bias %[[B]] : tensor<4xf32> residual %[[R]] : tensor<2x5x5x4xf32> {activation = "relu6"
// CHECK-NEXT: return %[[Z]]

// -----

// Channels first (NCHW), as tf::nn::conv2d and bias_add trace it: transposes around the
// convolution, the bias a (C, 1, 1) reshape. The fused op runs channels last and is transposed;
// the residual, a transpose of a channels-last tensor, is taken as it was.
func.func @nchw(%x: tensor<2x3x5x5xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>, %r: tensor<2x5x5x4xf32>) -> tensor<2x4x5x5xf32> {
  %xt = tfjit.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<2x3x5x5xf32> -> tensor<2x5x5x3xf32>
  %y = tfjit.conv %xt, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x5x5x4xf32>
  %yt = tfjit.transpose %y {perm = array<i64: 0, 3, 1, 2>} : tensor<2x5x5x4xf32> -> tensor<2x4x5x5xf32>
  %b3 = tfjit.reshape %b : tensor<4xf32> -> tensor<4x1x1xf32>
  %bb = tfjit.broadcast_to %b3 : tensor<4x1x1xf32> -> tensor<2x4x5x5xf32>
  %u = tfjit.binary "add" %yt, %bb : tensor<2x4x5x5xf32> -> tensor<2x4x5x5xf32>
  %rt = tfjit.transpose %r {perm = array<i64: 0, 3, 1, 2>} : tensor<2x5x5x4xf32> -> tensor<2x4x5x5xf32>
  %v = tfjit.binary "add" %u, %rt : tensor<2x4x5x5xf32> -> tensor<2x4x5x5xf32>
  %z = tfjit.unary "elu" %v : tensor<2x4x5x5xf32> -> tensor<2x4x5x5xf32>
  return %z : tensor<2x4x5x5xf32>
}
// CHECK-LABEL: func.func @nchw
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3x5x5xf32>, %[[W:[^:]*]]: tensor<3x3x3x4xf32>, %[[B:[^:]*]]: tensor<4xf32>, %[[R:[^:]*]]: tensor<2x5x5x4xf32>
// CHECK: %[[XT:.*]] = tfjit.transpose %[[X]]
// CHECK-NOT: tfjit.binary
// CHECK: %[[F:.*]] = tfjit.fused_conv %[[XT]], %[[W]] bias %[[B]] : tensor<4xf32> residual %[[R]] : tensor<2x5x5x4xf32> {activation = "elu"
// CHECK-SAME: -> tensor<2x5x5x4xf32>
// CHECK-NEXT: %[[Z:.*]] = tfjit.transpose %[[F]] {perm = array<i64: 0, 3, 1, 2>} : tensor<2x5x5x4xf32> -> tensor<2x4x5x5xf32>
// CHECK-NEXT: return %[[Z]]

// -----

// The pre-activation has another use (here returned; in a training step, a gradient that reads
// it): it stays a value of its own, so only conv + bias fuse and relu stays a separate op.
func.func @pre_activation_used(%x: tensor<2x5x5x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>) -> (tensor<2x5x5x4xf32>, tensor<2x5x5x4xf32>) {
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x5x5x4xf32>
  %bb = tfjit.broadcast_to %b : tensor<4xf32> -> tensor<2x5x5x4xf32>
  %u = tfjit.binary "add" %y, %bb : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  %z = tfjit.unary "relu" %u : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  return %z, %u : tensor<2x5x5x4xf32>, tensor<2x5x5x4xf32>
}
// CHECK-LABEL: func.func @pre_activation_used
// CHECK: %[[U:.*]] = tfjit.fused_conv %{{.*}}, %{{.*}} bias %{{.*}} : tensor<4xf32> {activation = ""
// CHECK-NEXT: %[[Z:.*]] = tfjit.unary "relu" %[[U]]
// CHECK-NEXT: return %[[Z]], %[[U]]

// -----

// Not fused: a convolution whose result has two uses, a float64 convolution, and an add of a
// tensor that is not a bias before any bias (a residual first keeps the later bias separate, so
// the sums round as traced).
func.func @not_fused(%x: tensor<2x5x5x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>, %x64: tensor<2x5x5x3xf64>, %w64: tensor<3x3x3x4xf64>) -> (tensor<2x5x5x4xf32>, tensor<2x5x5x4xf32>, tensor<2x5x5x4xf64>) {
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x5x5x4xf32>
  %z = tfjit.unary "relu" %y : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  %y64 = tfjit.conv %x64, %w64 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x3xf64>, tensor<3x3x3x4xf64> -> tensor<2x5x5x4xf64>
  %z64 = tfjit.unary "relu" %y64 : tensor<2x5x5x4xf64> -> tensor<2x5x5x4xf64>
  return %y, %z, %z64 : tensor<2x5x5x4xf32>, tensor<2x5x5x4xf32>, tensor<2x5x5x4xf64>
}
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: tfjit.fused_conv
// CHECK: tfjit.conv
// CHECK: tfjit.unary "relu"
// CHECK: tfjit.conv
// CHECK: tfjit.unary "relu"
// CHECK-NOT: tfjit.fused_conv

// -----

func.func @residual_before_bias(%x: tensor<2x5x5x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>, %r: tensor<2x5x5x4xf32>) -> tensor<2x5x5x4xf32> {
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<2x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x5x5x4xf32>
  %v = tfjit.binary "add" %y, %r : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  %bb = tfjit.broadcast_to %b : tensor<4xf32> -> tensor<2x5x5x4xf32>
  %u = tfjit.binary "add" %v, %bb : tensor<2x5x5x4xf32> -> tensor<2x5x5x4xf32>
  return %u : tensor<2x5x5x4xf32>
}
// CHECK-LABEL: func.func @residual_before_bias
// CHECK: %[[V:.*]] = tfjit.fused_conv %{{.*}}, %{{.*}} residual %{{.*}} : tensor<2x5x5x4xf32> {activation = ""
// CHECK: tfjit.binary "add" %[[V]]
