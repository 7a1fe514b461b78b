// RUN-OPT: --tfjit-schedule-collectives --split-input-file
// A pack of gradients is all-reduced as soon as its last member is ready: the reshape and concat
// that feed only the all-reduce move up with it, above the rest of the backward pass (here the
// tanh chain), which then runs while the ranks communicate.
func.func @pack(%g1: tensor<2x2xf32>, %g2: tensor<3xf32>, %x: tensor<8xf32>) -> (tensor<7xf32>, tensor<8xf32>) {
  %t1 = tfjit.unary "tanh" %x : tensor<8xf32> -> tensor<8xf32>
  %t2 = tfjit.unary "tanh" %t1 : tensor<8xf32> -> tensor<8xf32>
  %f1 = tfjit.reshape %g1 : tensor<2x2xf32> -> tensor<4xf32>
  %c = tfjit.concat %f1, %g2 {axis = 0 : i64} : tensor<4xf32>, tensor<3xf32> -> tensor<7xf32>
  %r = tfjit.all_reduce %c {reduce_op = 0, group = 1} : tensor<7xf32>
  return %r, %t2 : tensor<7xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @pack
// CHECK-NEXT: tfjit.reshape
// CHECK-NEXT: tfjit.concat
// CHECK-NEXT: tfjit.all_reduce
// CHECK-NEXT: tfjit.unary "tanh"
// CHECK-NEXT: tfjit.unary "tanh"

// -----

// Collectives keep their order: the second (whose operand is ready first) stays after the first.
func.func @order(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tfjit.unary "exp" %x : tensor<4xf32> -> tensor<4xf32>
  %a = tfjit.all_reduce %e {reduce_op = 0, group = 1} : tensor<4xf32>
  %b = tfjit.all_reduce %y {reduce_op = 0, group = 1} : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @order
// CHECK-NEXT: tfjit.unary "exp"
// CHECK-NEXT: tfjit.all_reduce %{{.*}} {group = 1 : i64, reduce_op = 0 : i64}
// CHECK-NEXT: tfjit.all_reduce %arg1
