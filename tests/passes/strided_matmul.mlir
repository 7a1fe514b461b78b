// RUN-OPT: --tfjit-to-linalg --split-input-file
// Batched float32 matmuls on the host: one strided GEMM call reading each operand where it lies.
// Layout: [batch dims, their sizes, m, n, k, A's strides (batch..., m, k), B's (batch..., k, n),
// C's (batch..., m, n)].

// Attention's scores q kᵀ with both operands' heads split from [B*S, H*D] rows (B 2, S 3, H 2,
// D 4): the batch is two dims, (b, h); q's rows step over H*D = 8, kᵀ is read column-major.
func.func @scores(%q: tensor<6x8xf32>, %k: tensor<6x8xf32>) -> tensor<4x3x3xf32> {
  %q4 = tfjit.reshape %q : tensor<6x8xf32> -> tensor<2x3x2x4xf32>
  %qt = tfjit.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : tensor<2x3x2x4xf32> -> tensor<2x2x3x4xf32>
  %qh = tfjit.reshape %qt : tensor<2x2x3x4xf32> -> tensor<4x3x4xf32>
  %k4 = tfjit.reshape %k : tensor<6x8xf32> -> tensor<2x3x2x4xf32>
  %kt = tfjit.transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : tensor<2x3x2x4xf32> -> tensor<2x2x3x4xf32>
  %kh = tfjit.reshape %kt : tensor<2x2x3x4xf32> -> tensor<4x3x4xf32>
  %khT = tfjit.transpose %kh {perm = array<i64: 0, 2, 1>} : tensor<4x3x4xf32> -> tensor<4x4x3xf32>
  %s = tfjit.matmul %qh, %khT : tensor<4x3x4xf32>, tensor<4x4x3xf32> -> tensor<4x3x3xf32>
  return %s : tensor<4x3x3xf32>
}
// CHECK-LABEL: func.func @scores
// CHECK-NOT: linalg.generic
// CHECK: arith.constant dense<[2, 2, 2, 3, 3, 4, 24, 4, 8, 1, 24, 4, 1, 8, 18, 9, 3, 1]> : tensor<18xi64>
// CHECK: bufferization.to_memref %arg0
// CHECK: bufferization.to_memref %arg1
// CHECK: memref.alloc() : memref<4x3x3xf32>
// CHECK: call @tfjit_sgemm_strided(
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

// The heads merged back: the product is written straight into the [B*S, H*D] result.
func.func @merge(%p: tensor<4x3x3xf32>, %v: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %v4 = tfjit.reshape %v : tensor<6x8xf32> -> tensor<2x3x2x4xf32>
  %vt = tfjit.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : tensor<2x3x2x4xf32> -> tensor<2x2x3x4xf32>
  %vh = tfjit.reshape %vt : tensor<2x2x3x4xf32> -> tensor<4x3x4xf32>
  %o = tfjit.matmul %p, %vh : tensor<4x3x3xf32>, tensor<4x3x4xf32> -> tensor<4x3x4xf32>
  %o4 = tfjit.reshape %o : tensor<4x3x4xf32> -> tensor<2x2x3x4xf32>
  %ot = tfjit.transpose %o4 {perm = array<i64: 0, 2, 1, 3>} : tensor<2x2x3x4xf32> -> tensor<2x3x2x4xf32>
  %y = tfjit.reshape %ot : tensor<2x3x2x4xf32> -> tensor<6x8xf32>
  return %y : tensor<6x8xf32>
}
// CHECK-LABEL: func.func @merge
// CHECK: arith.constant dense<[2, 2, 2, 3, 4, 3, 18, 9, 3, 1, 24, 4, 8, 1, 24, 4, 8, 1]> : tensor<18xi64>
// CHECK: memref.alloc() : memref<6x8xf32>
// CHECK: call @tfjit_sgemm_strided(
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

// A result read by others besides its reshape keeps its own buffer; a plain batch is one dim.
func.func @shared_result(%a: tensor<4x3x5xf32>, %b: tensor<4x5x2xf32>) -> (tensor<4x3x2xf32>, tensor<24xf32>) {
  %c = tfjit.matmul %a, %b : tensor<4x3x5xf32>, tensor<4x5x2xf32> -> tensor<4x3x2xf32>
  %f = tfjit.reshape %c : tensor<4x3x2xf32> -> tensor<24xf32>
  return %c, %f : tensor<4x3x2xf32>, tensor<24xf32>
}
// CHECK-LABEL: func.func @shared_result
// CHECK: arith.constant dense<[1, 4, 3, 2, 5, 15, 5, 1, 10, 2, 1, 6, 2, 1]> : tensor<14xi64>
// CHECK: memref.alloc() : memref<4x3x2xf32>
// CHECK: call @tfjit_sgemm_strided(

// -----

// Unknown dims, 2-D products and other dtypes keep the named ops.
func.func @named(%a: tensor<?x3x5xf32>, %b: tensor<?x5x2xf32>, %c: tensor<3x5xf32>, %d: tensor<5x2xf32>, %e: tensor<2x3x5xf64>, %f: tensor<2x5x2xf64>) -> (tensor<?x3x2xf32>, tensor<3x2xf32>, tensor<2x3x2xf64>) {
  %x = tfjit.matmul %a, %b : tensor<?x3x5xf32>, tensor<?x5x2xf32> -> tensor<?x3x2xf32>
  %y = tfjit.matmul %c, %d : tensor<3x5xf32>, tensor<5x2xf32> -> tensor<3x2xf32>
  %z = tfjit.matmul %e, %f : tensor<2x3x5xf64>, tensor<2x5x2xf64> -> tensor<2x3x2xf64>
  return %x, %y, %z : tensor<?x3x2xf32>, tensor<3x2xf32>, tensor<2x3x2xf64>
}
// CHECK-LABEL: func.func @named
// CHECK-NOT: tfjit_sgemm_strided
// CHECK: linalg.batch_matmul
// CHECK: linalg.matmul
// CHECK: linalg.batch_matmul

// -----

// Batch splits that no common split reconciles (a's batch (3, 2) over x's (2, 3), b's (2, 3) over
// y's (3, 2)): b is read as it is, its transpose copied; a keeps its strides.
func.func @disagreeing(%x: tensor<2x3x4x5xf32>, %y: tensor<3x2x5x4xf32>) -> tensor<6x4x4xf32> {
  %xt = tfjit.transpose %x {perm = array<i64: 1, 0, 2, 3>} : tensor<2x3x4x5xf32> -> tensor<3x2x4x5xf32>
  %a = tfjit.reshape %xt : tensor<3x2x4x5xf32> -> tensor<6x4x5xf32>
  %yt = tfjit.transpose %y {perm = array<i64: 1, 0, 2, 3>} : tensor<3x2x5x4xf32> -> tensor<2x3x5x4xf32>
  %b = tfjit.reshape %yt : tensor<2x3x5x4xf32> -> tensor<6x5x4xf32>
  %c = tfjit.matmul %a, %b : tensor<6x4x5xf32>, tensor<6x5x4xf32> -> tensor<6x4x4xf32>
  return %c : tensor<6x4x4xf32>
}
// CHECK-LABEL: func.func @disagreeing
// CHECK: arith.constant dense<[2, 3, 2, 4, 4, 5, 20, 60, 5, 1, 40, 20, 4, 1, 32, 16, 4, 1]> : tensor<18xi64>
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: bufferization.to_memref %arg0
// CHECK: call @tfjit_sgemm_strided(
