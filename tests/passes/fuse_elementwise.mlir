// RUN-OPT: --tfjit-to-linalg --tfjit-fuse-elementwise --split-input-file
// A chain of elementwise ops becomes one linalg.generic.
func.func @chain(%x: tensor<8xf32>) -> tensor<8xf32> {
  %sq = tfjit.binary "multiply" %x, %x : tensor<8xf32> -> tensor<8xf32>
  %s = tfjit.binary "add" %sq, %x : tensor<8xf32> -> tensor<8xf32>
  %t = tfjit.unary "tanh" %s : tensor<8xf32> -> tensor<8xf32>
  return %t : tensor<8xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic

// -----

// A reshape next to a matmul is not folded into it: the matmul stays a named op, so it can
// become a GEMM library call.
func.func @matmul_then_reshape(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<2x4x4xf32> {
  %c = tfjit.matmul %a, %b : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  %r = tfjit.reshape %c : tensor<8x4xf32> -> tensor<2x4x4xf32>
  %e = tfjit.unary "exp" %r : tensor<2x4x4xf32> -> tensor<2x4x4xf32>
  return %e : tensor<2x4x4xf32>
}
// CHECK-LABEL: func.func @matmul_then_reshape
// CHECK: linalg.matmul

// -----

// A scalar computation stays a loop-free generic of its own, computed once, not fused into the
// loop that reads it (where it would run at every element).
func.func @scalar_into_loop(%x: tensor<1024xf32>, %s: tensor<f32>) -> tensor<1024xf32> {
  %e = tfjit.unary "exp" %s : tensor<f32> -> tensor<f32>
  %b = tfjit.broadcast_to %e : tensor<f32> -> tensor<1024xf32>
  %y = tfjit.binary "multiply" %x, %b : tensor<1024xf32> -> tensor<1024xf32>
  return %y : tensor<1024xf32>
}
// CHECK-LABEL: func.func @scalar_into_loop
// CHECK: linalg.generic {{.*}}iterator_types = []
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-NOT: math.exp
// CHECK: return
