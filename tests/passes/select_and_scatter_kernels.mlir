// RUN-OPT: --tfjit-to-linalg=host-library-calls=false
// tfjit.select_and_scatter for GPU kernels: each window's least matching offset (a min over the
// window dims), then each element sums the gradients of the windows that chose it.
func.func @max_pool_gradient(%x: tensor<2x5x3xf32>, %y: tensor<2x2x3xf32>, %g: tensor<2x2x3xf32>) -> tensor<2x5x3xf32> {
  %dx = tfjit.select_and_scatter %x, %y, %g {window = array<i64: 1, 3, 1>, strides = array<i64: 1, 2, 1>, padding_low = array<i64: 0, 0, 0>, padding_high = array<i64: 0, 0, 0>} : tensor<2x5x3xf32>, tensor<2x2x3xf32>, tensor<2x2x3xf32> -> tensor<2x5x3xf32>
  return %dx : tensor<2x5x3xf32>
}
// CHECK-LABEL: func.func @max_pool_gradient
// CHECK: %[[CHOSEN:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<2x2x3xi32>)
// CHECK: arith.minsi
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<2x5x3xf32>)
// CHECK: tensor.extract %[[CHOSEN]]
// CHECK: arith.addf
