// RUN-ARGS: --stage linalg
// A batch dimension unknown until the call (input_signature [None, 3]): tensor.empty takes its
// size from the argument with tensor.dim, the bias broadcast is fused into the elementwise loop,
// and the matmul stays a named op on dynamic shapes.
module {
  func.func @main(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> tensor<?x2xf32> {
    %h = tfjit.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
    %bb = tfjit.broadcast_to %b like(%h : tensor<?x2xf32>) : tensor<2xf32> -> tensor<?x2xf32>
    %y = tfjit.binary "add" %h, %bb : tensor<?x2xf32> -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
// CHECK: func.func @main(%[[X:.*]]: tensor<?x3xf32>, %{{.*}}: tensor<3x2xf32>, %{{.*}}: tensor<2xf32>) -> tensor<?x2xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3xf32>
// CHECK: tensor.empty(%[[N]]) : tensor<?x2xf32>
// CHECK: linalg.matmul ins(%[[X]], %{{.*}} : tensor<?x3xf32>, tensor<3x2xf32>)
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<?x2xf32>)
// CHECK: arith.addf
