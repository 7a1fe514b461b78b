// RUN-ARGS: --stage ptx
// tfjit.fail_if on the GPU: the flag (computed by a kernel) is copied aside where the check stands,
// since later steps may reuse its memory; the Check step stands there (read once the call's
// steps are done, or when reached in a program with control flow).
module {
  func.func @main(%x: tensor<3xi32>, %d: tensor<3xi32>) -> tensor<3xi32> {
    %z = tfjit.constant dense<0> : tensor<i32>
    %zb = tfjit.broadcast_to %z : tensor<i32> -> tensor<3xi32>
    %eq = tfjit.binary "equal" %d, %zb : tensor<3xi32> -> tensor<3xi1>
    %bad = tfjit.reduce "reduce_any" %eq {axes = array<i64: 0>, keepdims = false} : tensor<3xi1> -> tensor<i1>
    tfjit.fail_if %bad, "floordiv: integer division by zero" : tensor<i1>
    %q = tfjit.binary "floordiv" %x, %d : tensor<3xi32> -> tensor<3xi32>
    return %q : tensor<3xi32>
  }
}
// CHECK: // buffer %[[FLAG:[0-9]+]]: temporary, 1 bytes
// CHECK: // buffer %[[KEPT:[0-9]+]]: temporary, 1 bytes
// CHECK: // launch main_kernel_0 {{.*}} %[[FLAG]], %[[FLAG]],
// CHECK-NEXT: // copy 1 bytes %[[FLAG]] -> %[[KEPT]]
// CHECK-NEXT: // check %[[KEPT]] "floordiv: integer division by zero"
// CHECK-NEXT: // launch main_kernel_1
