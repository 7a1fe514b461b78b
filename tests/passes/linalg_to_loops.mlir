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

// A row's statistic, read for each of the row's elements, is loaded once per row, before the
// inner loop (so LLVM can vectorise it); the loads that move with the inner loop stay in it.
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @broadcast_row(%x: memref<4x8xf32>, %mean: memref<4xf32>, %out: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mean : memref<4x8xf32>, memref<4xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %m: f32, %o: f32):
    %s = arith.subf %v, %m : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @broadcast_row
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK: %[[M:.*]] = memref.load %{{.*}} : memref<4xf32>
// CHECK-NEXT: scf.for
// CHECK: %[[V:.*]] = memref.load %{{.*}} : memref<4x8xf32>
// CHECK: arith.subf %[[V]], %[[M]]
// CHECK: memref.store

// A fill of a contiguous buffer is one loop over its flat view (a nest of short loops was unrolled
// whole by LLVM); a strided view keeps its nest.
func.func @fill_contiguous(%out: memref<8x4x4x32xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  linalg.fill ins(%ninf : f32) outs(%out : memref<8x4x4x32xf32>)
  return
}
// CHECK-LABEL: func.func @fill_contiguous
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : memref<8x4x4x32xf32> into memref<4096xf32>
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[FLAT]][%{{.*}}] : memref<4096xf32>
// CHECK-NOT: scf.for
func.func @fill_strided(%out: memref<4x8xf32, strided<[16, 1]>>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<4x8xf32, strided<[16, 1]>>)
  return
}
// CHECK-LABEL: func.func @fill_strided
// CHECK-NOT: memref.collapse_shape
// CHECK: scf.for
// CHECK: scf.for
