// RUN-OPT: --tfjit-to-linalg --split-input-file
// Elementwise ops become linalg.generic with the table's scalar op; a matmul a named linalg op.
func.func @elementwise(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %s = tfjit.binary "add" %x, %y : tensor<8xf32> -> tensor<8xf32>
  %e = tfjit.unary "exp" %s : tensor<8xf32> -> tensor<8xf32>
  return %e : tensor<8xf32>
}
// CHECK-LABEL: func.func @elementwise
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK-NOT: tfjit.

// -----

func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %c = tfjit.matmul %a, %b : tensor<4x8xf32>, tensor<8x2xf32> -> tensor<4x2xf32>
  return %c : tensor<4x2xf32>
}
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.fill
// CHECK: linalg.matmul

// -----

// Dynamic dims pass through structural ops. A reshape that only adds or removes 1s collapses the
// input's 1s away and expands the output's in, so each group holds one dynamic dim.
func.func @unit_dim_reshape(%x: tensor<?x1x?xf32>) -> tensor<1x?x?x1xf32> {
  %y = tfjit.reshape %x : tensor<?x1x?xf32> -> tensor<1x?x?x1xf32>
  return %y : tensor<1x?x?x1xf32>
}
// CHECK-LABEL: func.func @unit_dim_reshape
// CHECK: %[[CORE:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<?x1x?xf32> into tensor<?x?xf32>
// CHECK: tensor.expand_shape %[[CORE]] {{\[\[}}0, 1], [2, 3]] output_shape [1, %{{.*}}, %{{.*}}, 1] : tensor<?x?xf32> into tensor<1x?x?x1xf32>

// -----

// Size -1: the rest of the dimension, sized with tensor.dim.
func.func @slice_rest(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %y = tfjit.slice %x {start = array<i64: 1, 1>, size = array<i64: -1, 2>, stride = array<i64: 1, 1>} : tensor<?x4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
// CHECK-LABEL: func.func @slice_rest
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[REST:.*]] = arith.subi %[[DIM]], %c1
// CHECK: tensor.extract_slice %{{.*}}[1, 1] [%[[REST]], 2] [1, 1] : tensor<?x4xf32> to tensor<?x2xf32>

// -----

// Concat along an axis whose last operand is dynamic: the offsets stay static, the result's size
// is the sum.
func.func @concat_dynamic_last(%a: tensor<2x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %y = tfjit.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
// CHECK-LABEL: func.func @concat_dynamic_last
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[SUM:.*]] = arith.addi %c2, %[[DIM]]
// CHECK: %[[EMPTY:.*]] = tensor.empty(%[[SUM]]) : tensor<?x3xf32>
// CHECK: %[[FIRST:.*]] = tensor.insert_slice %{{.*}} into %[[EMPTY]][0, 0] [2, 3] [1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %[[FIRST]][2, 0] [%{{.*}}, 3] [1, 1]

// -----

// Gather: params lend the sizes of the result dims that come from them.
func.func @gather_dynamic(%p: tensor<?x5xf32>, %i: tensor<3xi32>) -> tensor<?x3xf32> {
  %y = tfjit.gather %p, %i {axis = 1 : i64} : tensor<?x5xf32>, tensor<3xi32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
// CHECK-LABEL: func.func @gather_dynamic
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x5xf32>
// CHECK: tensor.empty(%[[DIM]]) : tensor<?x3xf32>
// CHECK: linalg.generic
// CHECK: tensor.extract

// -----

// A dynamic dim reversed whole (size -1, stride -1) reads element n - 1 - i with tensor.extract.
func.func @reverse_dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = tfjit.slice %x {start = array<i64: -1, 3>, size = array<i64: -1, 4>, stride = array<i64: -1, -1>} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @reverse_dynamic
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[WHOLE:.*]] = tensor.extract_slice %{{.*}}[0, 0] [%[[N]], 4] [1, 1]
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: affine.apply
// CHECK: tensor.extract %[[WHOLE]]

// -----

// concat's inverse: piece 1 starts after piece 0's run-time size and takes piece 1's.
func.func @unconcat_dynamic(%g: tensor<?x3xf32>, %a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %y = tfjit.unconcat %g like(%a, %b : tensor<?x3xf32>, tensor<?x3xf32>) {axis = 0 : i64, index = 1 : i64} : tensor<?x3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
// CHECK-LABEL: func.func @unconcat_dynamic
// CHECK: %[[OFFSET:.*]] = tensor.dim %arg1, %c0{{.*}} : tensor<?x3xf32>
// CHECK: %[[SIZE:.*]] = tensor.dim %arg2, %c0{{.*}} : tensor<?x3xf32>
// CHECK: tensor.extract_slice %{{.*}}[%[[OFFSET]], 0] [%[[SIZE]], 3] [1, 1] : tensor<?x3xf32> to tensor<?x3xf32>

// -----

// A reshape whose dims come from like operands: one dynamic dim expands the flattened input
// with the size read from the like operand and the other inferred; several need tensor.reshape
// (LLVM 19's bufferization of expand_shape cannot take two dynamic sizes in one group).
func.func @reshape_like_heads(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> tensor<?x?x2x4xf32> {
  %z = tfjit.reshape %x like(%y : tensor<?x8xf32>) {like_dims = array<i64: 0, 0, -1, -1, -1, -1, -1, -1>} : tensor<?x8xf32> -> tensor<?x?x2x4xf32>
  return %z : tensor<?x?x2x4xf32>
}
// CHECK-LABEL: func.func @reshape_like_heads
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<?x8xf32> into tensor<?xf32>
// CHECK: %[[BATCH:.*]] = tensor.dim %{{.*}}, %c0{{.*}} : tensor<?x8xf32>
// CHECK: %[[COUNT:.*]] = tensor.dim %[[FLAT]], %c0
// CHECK: %[[ROWS:.*]] = arith.divui %[[COUNT]]
// CHECK: %[[SHAPE:.*]] = tensor.from_elements %[[BATCH]], %[[ROWS]], %c2{{.*}}, %c4{{.*}} : tensor<4xindex>
// CHECK: tensor.reshape %[[FLAT]](%[[SHAPE]]) : (tensor<?xf32>, tensor<4xindex>) -> tensor<?x?x2x4xf32>

// -----

// Every 3rd element from 1 to the end of a dynamic dim: ceil((n - 1) / 3) of them.
func.func @slice_stepped_rest(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = tfjit.slice %x {start = array<i64: 1, 0>, size = array<i64: -1, 4>, stride = array<i64: 3, 1>} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
// CHECK-LABEL: func.func @slice_stepped_rest
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[SPAN:.*]] = arith.subi %[[DIM]], %c1
// CHECK: %[[COUNT:.*]] = arith.ceildivui %[[SPAN]], %c3
// CHECK: tensor.extract_slice %{{.*}}[1, 0] [%[[COUNT]], 4] [3, 1] : tensor<?x4xf32> to tensor<?x4xf32>
