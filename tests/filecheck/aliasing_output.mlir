// RUN-ARGS: --stage bufferized
// A variable's update (p - 0.1 g on a 2-D variable, as a tf::function traces it): the collapsed
// loop reads and writes the variable's own buffer, and the aliased result leaves @main.
module {
  func.func @main(%g: tensor<16x32xf32>, %p: tensor<16x32xf32> {tfjit.aliasing_output = 1 : i64}) -> (tensor<f32>, tensor<16x32xf32>) {
    %lr = tfjit.constant dense<0.1> : tensor<f32>
    %b = tfjit.broadcast_to %lr : tensor<f32> -> tensor<16x32xf32>
    %d = tfjit.binary "multiply" %b, %g : tensor<16x32xf32> -> tensor<16x32xf32>
    %n = tfjit.binary "subtract" %p, %d : tensor<16x32xf32> -> tensor<16x32xf32>
    %s = tfjit.reduce "reduce_sum" %g {axes = array<i64: 0, 1>, keepdims = false} : tensor<16x32xf32> -> tensor<f32>
    return %s, %n : tensor<f32>, tensor<16x32xf32>
  }
}
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[G:[[:alnum:]]+]]: memref<16x32xf32>, %[[P:[[:alnum:]]+]]: memref<16x32xf32>, %{{.*}}: memref<f32>)
// CHECK-NOT: memref.copy
// CHECK: %[[V:.*]] = memref.collapse_shape %[[P]]
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}} outs(%[[V]] : memref<512xf32>)
// CHECK-NOT: memref.copy
// CHECK: return
