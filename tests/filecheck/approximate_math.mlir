// RUN-ARGS: --stage loops
// float32 exp (and expm1, tanh, erf) becomes polynomial arithmetic the vectoriser can widen (no
// libm call per element); log stays libm (MLIR's approximation is wrong for subnormals), and so
// does every function of float64.
module {
  func.func @main(%x: tensor<64xf32>, %y: tensor<64xf64>) -> (tensor<64xf32>, tensor<64xf64>) {
    %e = tfjit.unary "exp" %x : tensor<64xf32> -> tensor<64xf32>
    %t = tfjit.unary "tanh" %e : tensor<64xf32> -> tensor<64xf32>
    %l = tfjit.unary "log" %t : tensor<64xf32> -> tensor<64xf32>
    %d = tfjit.unary "exp" %y : tensor<64xf64> -> tensor<64xf64>
    return %l, %d : tensor<64xf32>, tensor<64xf64>
  }
}
// CHECK: func.func @main(
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK-NOT: math.tanh
// CHECK: math.log %{{.*}} : f32
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK: math.exp %{{.*}} : f64
