// RUN-OPT: --tfjit-linalg-to-gpu-loops
// An elementwise op on buffers becomes one scf.parallel over all its elements, tiled by the GPU
// block size (tiles to blocks, a tile's elements to threads); no sequential loop is left.
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%a: memref<64x48xf32>, %b: memref<64x48xf32>) {
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<64x48xf32>) outs(%b : memref<64x48xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @main
// CHECK-NOT: linalg.generic
// CHECK-NOT: scf.for
// CHECK-DAG: %[[N:.*]] = arith.constant 3072 : index
// CHECK-DAG: %[[BLOCK:.*]] = arith.constant 256 : index
// CHECK: scf.parallel (%[[TILE:.*]]) = ({{.*}}) to (%[[N]]) step (%[[STEP:.*]]) {
// CHECK: scf.parallel (%[[LANE:.*]]) = ({{.*}}) to (%[[STEP]])
// CHECK: %[[I:.*]] = arith.addi %[[LANE]], %[[TILE]]
// CHECK: arith.remsi %[[I]]
// CHECK: arith.mulf
