// RUN-ARGS: --stage traced
// EXPECT-EXIT: 2
// The verifier names the op and the reason for each malformed graph.
module {
  func.func @main(%a: tensor<4x8xf32>, %b: tensor<7x2xf32>) -> tensor<4x2xf32> {
    %c = tfjit.matmul %a, %b : tensor<4x8xf32>, tensor<7x2xf32> -> tensor<4x2xf32>
    return %c : tensor<4x2xf32>
  }
}
// CHECK: malformed graph
// CHECK: 'tfjit.matmul' inner dimensions differ: (4, 8) x (7, 2)
