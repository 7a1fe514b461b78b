// RUN-ARGS: --stage loops
// float32 transcendentals become polynomial arithmetic the vectoriser can widen (no libm call
// per element); float64 keeps the math op (libm, exact to the last bit).
module {
  func.func @main(%x: tensor<64xf32>, %y: tensor<64xf64>) -> (tensor<64xf32>, tensor<64xf64>) {
    %e = tfjit.unary "exp" %x : tensor<64xf32> -> tensor<64xf32>
    %l = tfjit.unary "log" %e : tensor<64xf32> -> tensor<64xf32>
    %d = tfjit.unary "exp" %y : tensor<64xf64> -> tensor<64xf64>
    return %l, %d : tensor<64xf32>, tensor<64xf64>
  }
}
// CHECK: func.func @main(
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK-NOT: math.log
// CHECK: math.exp %{{.*}} : f64
