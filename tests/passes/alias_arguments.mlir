// RUN-OPT: --tfjit-copy-aliased-results --tfjit-alias-arguments --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tfjit-drop-aliased-results --canonicalize --split-input-file
// An update that reads the variable once per element writes it in place: no buffer, no copy, and
// the aliased result leaves the signature.
#id = affine_map<(d0) -> (d0)>
func.func @in_place(%p: tensor<8xf32> {tfjit.aliasing_output = 1 : i64}, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%p, %g : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %t = arith.subf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%g : tensor<8xf32>) outs(%e2 : tensor<8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %t = arith.negf %a : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  return %y, %x : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[P:.*]]: memref<8xf32>, %[[G:.*]]: memref<8xf32>) -> memref<8xf32>
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}} ins(%[[P]], %[[G]] : {{.*}}) outs(%[[P]] : memref<8xf32>)
// CHECK-NOT: memref.copy
// CHECK: return %{{.*}} : memref<8xf32>

// -----

// A 2-D variable whose update collapse_dims made one loop: the loop writes a collapsed view of it.
#id = affine_map<(d0) -> (d0)>
func.func @collapsed(%p: tensor<4x8xf32> {tfjit.aliasing_output = 0 : i64}, %g: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %p1 = tensor.collapse_shape %p [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  %g1 = tensor.collapse_shape %g [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  %e = tensor.empty() : tensor<32xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%p1, %g1 : tensor<32xf32>, tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %t = arith.subf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<32xf32>
  %r = tensor.expand_shape %x [[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
// CHECK-LABEL: func.func @collapsed
// CHECK-SAME: (%[[P:.*]]: memref<4x8xf32>, %{{.*}}: memref<4x8xf32>) {
// CHECK: %[[V:.*]] = memref.collapse_shape %[[P]]
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}} outs(%[[V]] : memref<32xf32>)
// CHECK-NOT: memref.copy
// CHECK: return{{$}}

// -----

// The old value is still read after the new one is computed (a user result), so the new value is
// computed elsewhere and copied over at the end.
#id = affine_map<(d0) -> (d0)>
func.func @read_after(%p: tensor<8xf32> {tfjit.aliasing_output = 0 : i64}, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%p, %g : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %t = arith.subf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e2 : tensor<8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %t = arith.negf %a : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  return %x, %y : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @read_after
// CHECK-SAME: (%[[P:.*]]: memref<8xf32>, %{{.*}}: memref<8xf32>) -> memref<8xf32>
// CHECK: %[[NEW:.*]] = memref.alloc
// CHECK: linalg.generic {{.*}} outs(%[[NEW]] : memref<8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]] : memref<8xf32>)
// CHECK: memref.copy %[[NEW]], %[[P]]
// CHECK: return

// -----

// A variable assigned a value the function also returns: one copy for each.
func.func @also_returned(%p: tensor<8xf32> {tfjit.aliasing_output = 1 : i64}, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  return %g, %g : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @also_returned
// CHECK-SAME: (%[[P:.*]]: memref<8xf32>, %[[G:.*]]: memref<8xf32>) -> memref<8xf32>
// CHECK-DAG: memref.copy %[[G]], %[[P]]
// CHECK-DAG: memref.copy %[[G]], %[[C:.*]] :
// CHECK: return %[[C]]

// -----

// A variable assigned its own value: a copy onto itself, which goes.
func.func @unchanged(%p: tensor<8xf32> {tfjit.aliasing_output = 0 : i64}) -> tensor<8xf32> {
  return %p : tensor<8xf32>
}
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: memref.copy %{{.*}}, %arg0
// CHECK: return{{$}}

// -----

// Two variables swapping values: each old value is copied aside before either is written.
func.func @swap(%a: tensor<8xf32> {tfjit.aliasing_output = 1 : i64}, %b: tensor<8xf32> {tfjit.aliasing_output = 0 : i64}) -> (tensor<8xf32>, tensor<8xf32>) {
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @swap
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>) {
// CHECK: memref.copy %[[A]], %[[CA:.*]] :
// CHECK: memref.copy %[[B]], %[[CB:.*]] :
// CHECK: memref.copy %[[CB]], %[[A]]
// CHECK: memref.copy %[[CA]], %[[B]]

// -----

// One variable zeroed, another given the first's old value.
func.func @shift(%a: tensor<8xf32> {tfjit.aliasing_output = 0 : i64}, %b: tensor<8xf32> {tfjit.aliasing_output = 1 : i64}) -> (tensor<8xf32>, tensor<8xf32>) {
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  return %zero, %a : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @shift
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>) {
// CHECK: memref.copy %[[A]], %[[OLD:.*]] :
// CHECK: memref.copy %{{.*}}, %[[A]]
// CHECK: memref.copy %[[OLD]], %[[B]]

// -----

// One variable zeroed, another given a reshape of the first's old value.
func.func @shift_view(%a: tensor<2x4xf32> {tfjit.aliasing_output = 0 : i64}, %b: tensor<8xf32> {tfjit.aliasing_output = 1 : i64}) -> (tensor<2x4xf32>, tensor<8xf32>) {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %v = tensor.collapse_shape %a [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  return %zero, %v : tensor<2x4xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @shift_view
// CHECK-SAME: (%[[A:.*]]: memref<2x4xf32>, %[[B:.*]]: memref<8xf32>) {
// CHECK: memref.copy %{{.*}}, %[[OLD:.*]] :
// CHECK: memref.copy %{{.*}}, %[[A]]
// CHECK: memref.copy %[[OLD]], %[[B]]

// -----

// An optimizer's fused update (fuse_elementwise): one loop yields the moment and the parameter,
// each written over its own variable.
#id = affine_map<(d0) -> (d0)>
func.func @optimizer(%p: tensor<8xf32> {tfjit.aliasing_output = 1 : i64}, %m: tensor<8xf32> {tfjit.aliasing_output = 0 : i64}, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %e2 = tensor.empty() : tensor<8xf32>
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id], iterator_types = ["parallel"]} ins(%p, %m, %g : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) outs(%e, %e2 : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%pi: f32, %mi: f32, %gi: f32, %o1: f32, %o2: f32):
    %m2 = arith.addf %mi, %gi : f32
    %p2 = arith.subf %pi, %m2 : f32
    linalg.yield %m2, %p2 : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  return %r#0, %r#1 : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @optimizer
// CHECK-SAME: (%[[P:.*]]: memref<8xf32>, %[[M:.*]]: memref<8xf32>, %[[G:.*]]: memref<8xf32>) {
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}} ins(%[[P]], %[[M]], %[[G]] : {{.*}}) outs(%[[M]], %[[P]] : memref<8xf32>, memref<8xf32>)
// CHECK-NOT: memref.copy
// CHECK: return{{$}}
