// RUN-OPT: --tfjit-unshare-matmul-inits
// Two matmuls sharing one zero-filled init (as CSE leaves them) get one each.
func.func @shared(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>, %c: tensor<8x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %x = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul ins(%a, %c : tensor<4x8xf32>, tensor<8x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %x, %y : tensor<4x2xf32>, tensor<4x2xf32>
}
// CHECK-LABEL: func.func @shared
// CHECK: %[[F1:.*]] = linalg.fill
// CHECK: linalg.matmul {{.*}} outs(%[[F1]]
// CHECK: %[[F2:.*]] = linalg.fill
// CHECK: linalg.matmul {{.*}} outs(%[[F2]]
