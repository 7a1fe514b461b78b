// RUN-ARGS: --stage traced
// EXPECT-EXIT: 2
// An argument may alias only a result of its own type.
module {
  func.func @main(%p: tensor<4xf32> {tfjit.aliasing_output = 0 : i64}) -> tensor<8xf32> {
    %c = tfjit.concat %p, %p {axis = 0 : i64} : tensor<4xf32>, tensor<4xf32> -> tensor<8xf32>
    return %c : tensor<8xf32>
  }
}
// CHECK: malformed graph: argument 0's tfjit.aliasing_output must name a distinct result of its own static type
