// RUN-OPT: --tfjit-plan-buffers
// Three 4 KiB intermediates, of which the first and the third never live at once: one arena of
// 8 KiB, the third at the first's offset.
#map = affine_map<(d0) -> (d0)>
func.func @main(%x: memref<1024xf32>, %out: memref<1024xf32>) {
  %a = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : memref<1024xf32>) outs(%a : memref<1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %v : f32
    linalg.yield %s : f32
  }
  %b = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.mulf %v, %v : f32
    linalg.yield %s : f32
  }
  memref.dealloc %a : memref<1024xf32>
  %c = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%b : memref<1024xf32>) outs(%c : memref<1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.subf %v, %v : f32
    linalg.yield %s : f32
  }
  memref.dealloc %b : memref<1024xf32>
  memref.copy %c, %out : memref<1024xf32> to memref<1024xf32>
  memref.dealloc %c : memref<1024xf32>
  return
}
// CHECK-LABEL: func.func @main
// CHECK: memref.alloc() {{.*}}: memref<8192xi8>
// CHECK-NOT: memref.alloc()
// CHECK-COUNT-3: memref.view
