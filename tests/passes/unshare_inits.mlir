// RUN-OPT: --tfjit-unshare-inits --split-input-file
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

// -----

// Elementwise kernels sharing one tensor.empty (as CSE leaves them): one whose input dies there
// writes over that input; the others get an empty each (an argument, or a value still used later,
// cannot be written over).
#id = affine_map<(d0) -> (d0)>
func.func @shared_empty(%a: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.exp %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %z = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.sqrt %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  return %y, %z : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @shared_empty
// CHECK-COUNT-2: tensor.empty() : tensor<8xf32>
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<8xf32>) outs(%{{[0-9]+}} : tensor<8xf32>)
// CHECK: math.tanh
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8xf32>) outs(%[[X]] : tensor<8xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<8xf32>) outs(%{{[0-9]+}} : tensor<8xf32>)
// CHECK: math.sqrt
// CHECK-NOT: tensor.empty

// -----

// A value read by a reduction and then by an elementwise op (layer norm's centred values): the
// elementwise op reads it last, so it writes over it.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @last_reader(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%c : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.addf %in, %out : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  %d = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %s : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %t = arith.subf %in, %m : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %s, %d : tensor<4xf32>, tensor<4x8xf32>
}
// CHECK-LABEL: func.func @last_reader
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<4x8xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<4x8xf32>) outs(%arg1 : tensor<4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[C]], %[[S]] : tensor<4x8xf32>, tensor<4xf32>) outs(%[[C]] : tensor<4x8xf32>)

// -----

// Written over while read later by another op: not the last reader, so a fresh init.
#id = affine_map<(d0) -> (d0)>
func.func @read_later(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.exp %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.sqrt %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  return %b, %c : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @read_later
// CHECK: %[[A:.*]] = linalg.generic
// CHECK: math.tanh
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<8xf32>) outs(%{{[0-9]+}} : tensor<8xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<8xf32>) outs(%[[A]] : tensor<8xf32>)
// CHECK: math.sqrt

// -----

// Read last by the elementwise op but also returned: not written over, a fresh init.
#id = affine_map<(d0) -> (d0)>
func.func @also_returned(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.exp %in : f32
    linalg.yield %t : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @also_returned
// CHECK: %[[A:.*]] = linalg.generic
// CHECK: math.tanh
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<8xf32>) outs(%{{[0-9]+}} : tensor<8xf32>)
// CHECK: math.exp
