// RUN-ARGS: --time
// Where a compile's time goes: each MLIR pass nested under "MLIR passes", then LLVM's steps and
// the link, in the order they run, each with milliseconds and a share of the total.
module {
  func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4xf32> {
    %h = tfjit.matmul %x, %w : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
    %r = tfjit.unary "relu" %h : tensor<4x2xf32> -> tensor<4x2xf32>
    %o = tfjit.reduce "reduce_sum" %r {axes = array<i64: 1>, keepdims = false} : tensor<4x2xf32> -> tensor<4xf32>
    return %o : tensor<4xf32>
  }
}
// CHECK: compile time: {{[0-9.]+}} ms wall
// CHECK-NEXT: {{ +[0-9.]+ ms +[0-9.]+%}}  MLIR passes
// CHECK: {{ +[0-9.]+ ms +[0-9.]+%}}    TfjitToLinalg
// CHECK: {{ +[0-9.]+ ms +[0-9.]+%}}    OneShotBufferize
// CHECK: {{ +[0-9.]+ ms +[0-9.]+%}}    ReconcileUnrealizedCasts
// CHECK-NEXT: {{ +[0-9.]+ ms +[0-9.]+%}}  translate to LLVM IR
// CHECK-NEXT: {{ +[0-9.]+ ms +[0-9.]+%}}  split large functions
// CHECK-NEXT: {{ +[0-9.]+ ms +[0-9.]+%}}  LLVM optimisation
// CHECK-NEXT: {{ +[0-9.]+ ms +[0-9.]+%}}  machine code
// CHECK-NEXT: {{ +[0-9.]+ ms +[0-9.]+%}}  JIT link
// CHECK: {{ +[0-9.]+ ms +100.0%}}  Total
// CHECK-NOT: compile time
