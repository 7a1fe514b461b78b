// RUN-OPT: --tfjit-linalg-to-loops
// A small elementwise op becomes a sequential loop; a large one (two thread grains or more) an
// scf.parallel the thread pool splits.
#map = affine_map<(d0) -> (d0)>
func.func @small(%a: memref<16xf32>, %b: memref<16xf32>) {
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : memref<16xf32>) outs(%b : memref<16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for
func.func @large(%a: memref<1048576xf32>, %b: memref<1048576xf32>) {
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : memref<1048576xf32>) outs(%b : memref<1048576xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @large
// CHECK: scf.parallel
