// RUN-ARGS: --dot
module {
  func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
    %y = tfjit.unary "exp" %x : tensor<3xf32> -> tensor<3xf32>
    %z = tfjit.binary "multiply" %y, %x : tensor<3xf32> -> tensor<3xf32>
    return %z : tensor<3xf32>
  }
}
// CHECK: digraph tfjit {
// CHECK: arg0 [shape=ellipse, label="arg 0\ntensor<3xf32>"];
// CHECK: op0 [label="tfjit.unary exp\ntensor<3xf32>"];
// CHECK-NEXT: arg0 -> op0;
// CHECK: op1 [label="tfjit.binary multiply\ntensor<3xf32>"];
// CHECK-NEXT: op0 -> op1;
// CHECK-NEXT: arg0 -> op1;
// CHECK: }
