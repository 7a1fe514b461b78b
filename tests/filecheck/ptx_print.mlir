// RUN-ARGS: --stage ptx
// tf::print on the GPU: one Print step with the texts around its inputs, read back when it runs.
module {
  func.func @main(%x: tensor<4xf32>, %m: tensor<2x3xi32>) -> tensor<4xf32> {
    %d = tfjit.binary "add" %x, %x : tensor<4xf32> -> tensor<4xf32>
    %t = tfjit.transpose %m {perm = array<i64: 1, 0>} : tensor<2x3xi32> -> tensor<3x2xi32>
    tfjit.print "d = {} and {}!" %d, %t : tensor<4xf32>, tensor<3x2xi32>
    return %d : tensor<4xf32>
  }
}
// CHECK: // buffer %[[T:[0-9]+]]: temporary, 24 bytes
// CHECK: // launch main_kernel grid
// CHECK-NEXT: // launch main_kernel_0 grid
// CHECK-SAME: %[[T]], %[[T]], 0, 3, 2, 2, 1)
// CHECK-NEXT: // print "d = " %2 " and " %[[T]] "!"
