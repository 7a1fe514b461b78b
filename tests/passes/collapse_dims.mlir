// RUN-OPT: --tfjit-collapse-dims --split-input-file
// An elementwise generic with identity maps on static shapes iterates one flat dim; the operands
// are collapsed and the result expanded back (views after bufferization).
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @relu_gradient(%x: tensor<4x5x16xf32>, %g: tensor<4x5x16xf32>) -> tensor<4x5x16xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x5x16xf32>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %g : tensor<4x5x16xf32>, tensor<4x5x16xf32>) outs(%init : tensor<4x5x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %c = arith.cmpf ogt, %a, %zero : f32
    %s = arith.select %c, %b, %zero : f32
    linalg.yield %s : f32
  } -> tensor<4x5x16xf32>
  return %r : tensor<4x5x16xf32>
}
// CHECK-LABEL: func.func @relu_gradient
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<4x5x16xf32> into tensor<320xf32>
// The init is an empty of the collapsed type, not a view of the original empty (which other ops
// may share): unshare-inits gives each op its own.
// CHECK-NOT: tensor.collapse_shape %0
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<320xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-SAME: outs(%[[INIT]] : tensor<320xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [4, 5, 16] : tensor<320xf32> into tensor<4x5x16xf32>

// -----

// A broadcast operand (a non-identity map) keeps the dims.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @bias(%x: tensor<4x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %init = tensor.empty() : tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<4x16xf32>, tensor<16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
// CHECK-LABEL: func.func @bias
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]

// -----

// A reduction over the leading axes (a bias gradient over batch and sequence) keeps one reduction
// loop and one parallel loop.
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d2)>
func.func @column_sum(%x: tensor<8x128x256xf32>, %init: tensor<256xf32>) -> tensor<256xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "reduction", "parallel"]} ins(%x : tensor<8x128x256xf32>) outs(%init : tensor<256xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<256xf32>
  return %r : tensor<256xf32>
}
// CHECK-LABEL: func.func @column_sum
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<8x128x256xf32> into tensor<1024x256xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK-SAME: ins(%{{.*}} : tensor<1024x256xf32>) outs(%{{.*}} : tensor<256xf32>)

// -----

// A row reduction (layer-norm statistics) over (batch, seq, width): one parallel loop over the
// rows.
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @row_sum(%x: tensor<8x128x256xf32>, %init: tensor<8x128xf32>) -> tensor<8x128xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<8x128x256xf32>) outs(%init : tensor<8x128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x128xf32>
  return %r : tensor<8x128xf32>
}
// CHECK-LABEL: func.func @row_sum
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<1024x256xf32>) outs(%{{.*}} : tensor<1024xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [8, 128] : tensor<1024xf32> into tensor<8x128xf32>

// -----

// An operand read transposed indexes (d0, d1) out of order: nothing collapses.
#id = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
func.func @transposed(%x: tensor<4x16xf32>, %y: tensor<16x4xf32>) -> tensor<4x16xf32> {
  %init = tensor.empty() : tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #tr, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<4x16xf32>, tensor<16x4xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]

// -----

// Two runs: (batch, seq) parallel and (heads, width) reduced, each one loop.
#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
func.func @two_runs(%x: tensor<2x3x4x5xf32>, %init: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%x : tensor<2x3x4x5xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @two_runs
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2, 3]] : tensor<2x3x4x5xf32> into tensor<6x20xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]

// -----

// An op reading its loop indices (linalg.index) keeps its dims: it would see collapsed ones.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @reads_indices(%init: tensor<4x8xi64>) -> tensor<4x8xi64> {
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%init : tensor<4x8xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 1 : index
    %v = arith.index_cast %i : index to i64
    linalg.yield %v : i64
  } -> tensor<4x8xi64>
  return %r : tensor<4x8xi64>
}
// CHECK-LABEL: func.func @reads_indices
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: linalg.index 1
