// RUN-OPT: --tfjit-to-linalg=host-library-calls=false
// Without host library calls (GPU kernels) a fused convolution is split again: the convolution's
// generic, then its epilogue (bias add, residual add, activation), fused into one generic.
func.func @split(%x: tensor<1x4x4x2xf32>, %w: tensor<1x1x2x3xf32>, %b: tensor<3xf32>, %r: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %y = tfjit.fused_conv %x, %w bias %b : tensor<3xf32> residual %r : tensor<1x4x4x3xf32> {activation = "relu", strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, groups = 1} : tensor<1x4x4x2xf32>, tensor<1x1x2x3xf32> -> tensor<1x4x4x3xf32>
  return %y : tensor<1x4x4x3xf32>
}
// CHECK-LABEL: func.func @split
// CHECK-NOT: call
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.mulf
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: arith.cmpf
