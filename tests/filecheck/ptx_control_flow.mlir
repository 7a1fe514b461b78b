// RUN-ARGS: --stage ptx
// tf::while_loop on the GPU: the condition's kernel writes a flag that is copied aside and
// branched on; the body's results are copied into the loop header's arguments, then it jumps back.
module {
  func.func @main(%x: tensor<4xf32>, %n: tensor<i32>) -> tensor<4xf32> {
    %r:2 = scf.while (%a = %x, %i = %n) : (tensor<4xf32>, tensor<i32>) -> (tensor<4xf32>, tensor<i32>) {
      %z = tfjit.constant dense<0> : tensor<i32>
      %gt = tfjit.binary "greater" %i, %z : tensor<i32> -> tensor<i1>
      %c = tensor.extract %gt[] : tensor<i1>
      scf.condition(%c) %a, %i : tensor<4xf32>, tensor<i32>
    } do {
    ^bb0(%a: tensor<4xf32>, %i: tensor<i32>):
      %d = tfjit.binary "add" %a, %a : tensor<4xf32> -> tensor<4xf32>
      %one = tfjit.constant dense<1> : tensor<i32>
      %j = tfjit.binary "subtract" %i, %one : tensor<i32> -> tensor<i32>
      scf.yield %d, %j : tensor<4xf32>, tensor<i32>
    }
    return %r#0 : tensor<4xf32>
  }
}
// CHECK: // step [[HEAD:[0-9]+]]: launch main_kernel grid
// CHECK-SAME: %[[FLAG:[0-9]+]], %[[FLAG]], 0)
// CHECK-NEXT: // step {{[0-9]+}}: copy 1 bytes %[[FLAG]] -> %[[KEPT:[0-9]+]]
// CHECK: // step {{[0-9]+}}: branch %[[KEPT]] ? step [[BODY:[0-9]+]] : step [[EXIT:[0-9]+]]
// CHECK: // step [[BODY]]: copy
// CHECK: // step {{[0-9]+}}: launch main_kernel_0
// CHECK: // step {{[0-9]+}}: launch main_kernel_1
// CHECK: // step {{[0-9]+}}: jump to step [[HEAD]]
// CHECK-NEXT: // step {{[0-9]+}}: copy 16 bytes %{{[0-9]+}} -> %2
// CHECK-NOT: // step
