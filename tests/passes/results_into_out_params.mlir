// RUN-OPT: --tfjit-results-into-out-params
// A result computed in an allocation, reshaped and copied into its output parameter, is computed
// in the output parameter.
func.func @reshaped(%x: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %a = memref.alloc() : memref<32xf32>
  %cx = memref.collapse_shape %x [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  linalg.map { math.exp } ins(%cx : memref<32xf32>) outs(%a : memref<32xf32>)
  %e = memref.expand_shape %a [[0, 1]] output_shape [4, 8] : memref<32xf32> into memref<4x8xf32>
  memref.copy %e, %out : memref<4x8xf32> to memref<4x8xf32>
  return
}
// CHECK-LABEL: func.func @reshaped(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<4x8xf32>, %[[OUT:[a-z0-9]+]]: memref<4x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1]]
// CHECK: linalg.map { math.exp } ins(%{{.*}} : memref<32xf32>) outs(%[[VIEW]] : memref<32xf32>)
// CHECK-NOT: memref.copy
// CHECK: return

// A collapse is undone by an expand of the output parameter; a cast by a cast back.
func.func @collapsed(%x: memref<2x4xf32>, %out: memref<8xf32>) {
  %a = memref.alloc() : memref<2x4xf32>
  linalg.map { math.exp } ins(%x : memref<2x4xf32>) outs(%a : memref<2x4xf32>)
  %c = memref.collapse_shape %a [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  memref.copy %c, %out : memref<8xf32> to memref<8xf32>
  return
}
// CHECK-LABEL: func.func @collapsed(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<2x4xf32>, %[[OUT:[a-z0-9]+]]: memref<8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[OUT]] {{\[\[}}0, 1]] output_shape [2, 4]
// CHECK: linalg.map { math.exp } ins(%[[X]] : memref<2x4xf32>) outs(%[[VIEW]] : memref<2x4xf32>)
// CHECK-NOT: memref.copy

func.func @cast(%x: memref<8xf32>, %out: memref<?xf32>) {
  %a = memref.alloc() : memref<8xf32>
  linalg.map { math.exp } ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  %c = memref.cast %a : memref<8xf32> to memref<?xf32>
  memref.copy %c, %out : memref<?xf32> to memref<?xf32>
  return
}
// CHECK-LABEL: func.func @cast(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<8xf32>, %[[OUT:[a-z0-9]+]]: memref<?xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.cast %[[OUT]] : memref<?xf32> to memref<8xf32>
// CHECK: linalg.map { math.exp } ins(%[[X]] : memref<8xf32>) outs(%[[VIEW]] : memref<8xf32>)
// CHECK-NOT: memref.copy

// One allocation copied into two outputs: computed in the last, copied from it into the first.
func.func @twice(%x: memref<8xf32>, %out: memref<8xf32>, %out2: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  linalg.map { math.exp } ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  memref.copy %a, %out : memref<8xf32> to memref<8xf32>
  memref.copy %a, %out2 : memref<8xf32> to memref<8xf32>
  return
}
// CHECK-LABEL: func.func @twice(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<8xf32>, %[[OUT:[a-z0-9]+]]: memref<8xf32>, %[[OUT2:[a-z0-9]+]]: memref<8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: linalg.map { math.exp } ins(%[[X]] : memref<8xf32>) outs(%[[OUT2]] : memref<8xf32>)
// CHECK-NEXT: memref.copy %[[OUT2]], %[[OUT]]
// CHECK-NEXT: return

// An allocation inside a loop is left alone.
func.func @in_loop(%x: memref<8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c1 step %c1 {
    %a = memref.alloc() : memref<8xf32>
    linalg.map { math.exp } ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
    memref.copy %a, %out : memref<8xf32> to memref<8xf32>
  }
  return
}
// CHECK-LABEL: func.func @in_loop(
// CHECK: scf.for
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.copy

// Memory still read after the copy keeps its allocation and the copy.
func.func @read_after_copy(%x: memref<8xf32>, %out: memref<2x4xf32>, %out2: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  linalg.map { math.exp } ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  %e = memref.expand_shape %a [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  memref.copy %e, %out : memref<2x4xf32> to memref<2x4xf32>
  linalg.map { math.absf } ins(%a : memref<8xf32>) outs(%out2 : memref<8xf32>)
  return
}
// CHECK-LABEL: func.func @read_after_copy(
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.copy

// An output parameter used elsewhere too is left alone.
func.func @out_used_twice(%x: memref<8xf32>, %out: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  linalg.map { math.exp } ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  linalg.map { math.exp } ins(%x : memref<8xf32>) outs(%out : memref<8xf32>)
  memref.copy %a, %out : memref<8xf32> to memref<8xf32>
  return
}
// CHECK-LABEL: func.func @out_used_twice(
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.copy

// Dynamic sizes: an allocation copied as it is, or expanded, is the output parameter (collapsed).
func.func @dynamic(%x: memref<?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %a = memref.alloc(%n) : memref<?xf32>
  linalg.map { math.exp } ins(%x : memref<?xf32>) outs(%a : memref<?xf32>)
  memref.copy %a, %out : memref<?xf32> to memref<?xf32>
  return
}
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?xf32>, %[[OUT:[a-z0-9]+]]: memref<?xf32>)
// CHECK-NOT: memref.alloc
// CHECK: linalg.map { math.exp } ins(%[[X]] : memref<?xf32>) outs(%[[OUT]] : memref<?xf32>)
// CHECK-NOT: memref.copy

func.func @dynamic_expanded(%x: memref<?xf32>, %out: memref<?x4xf32>, %rows: index) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %a = memref.alloc(%n) : memref<?xf32>
  linalg.map { math.exp } ins(%x : memref<?xf32>) outs(%a : memref<?xf32>)
  %e = memref.expand_shape %a [[0, 1]] output_shape [%rows, 4] : memref<?xf32> into memref<?x4xf32>
  memref.copy %e, %out : memref<?x4xf32> to memref<?x4xf32>
  return
}
// CHECK-LABEL: func.func @dynamic_expanded(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?xf32>, %[[OUT:[a-z0-9]+]]: memref<?x4xf32>
// CHECK-NOT: memref.alloc
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1]]
// CHECK: linalg.map { math.exp } ins(%[[X]] : memref<?xf32>) outs(%[[VIEW]] : memref<?xf32>)
// CHECK-NOT: memref.copy

// A dynamic collapse cannot be undone without its sizes: left alone.
func.func @dynamic_collapsed(%x: memref<?x4xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x4xf32>
  linalg.map { math.exp } ins(%x : memref<?x4xf32>) outs(%a : memref<?x4xf32>)
  %c = memref.collapse_shape %a [[0, 1]] : memref<?x4xf32> into memref<?xf32>
  memref.copy %c, %out : memref<?xf32> to memref<?xf32>
  return
}
// CHECK-LABEL: func.func @dynamic_collapsed(
// CHECK: memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: memref.copy
