// RUN-OPT: --tfjit-gpu-block-reductions
// A row reduction becomes a launch of one block per row: each thread folds elements t,
// t + 256, ... of its row with the op's body, four at a time with their loads first, then the
// rest of the row (2500 = 2 tiles of 1024 + 452: one full lane, one guarded lane that loads the
// last element where it is past the end); the shares are combined in shared memory, halving
// with a barrier between steps, and thread 0 combines the total with the fill's value (the fill
// kernel goes away).
#row = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @rows(%x: memref<512x2500xf32>, %y: memref<512xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<512xf32>)
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<512x2500xf32>) outs(%y : memref<512xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %e = math.exp %v : f32
    %s = arith.addf %acc, %e : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @rows
// CHECK-NOT: linalg
// CHECK: gpu.launch blocks(%[[ROW:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c512{{.*}}) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c256
// CHECK-SAME: workgroup(%[[SHARED:.*]] : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %[[BASE:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK-COUNT-4: memref.load %arg0
// CHECK-COUNT-4: math.exp
// CHECK: scf.yield
// CHECK: memref.load %arg0
// CHECK: arith.cmpi ult
// CHECK: arith.minui
// CHECK: memref.load %arg0
// CHECK: arith.select
// CHECK: memref.store %{{.*}}, %[[SHARED]][%[[T]]]
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: arith.addf
// CHECK-COUNT-7: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: memref.load %[[SHARED]]
// CHECK: arith.addf %cst
// CHECK: memref.store %{{.*}}, %arg1[%{{.*}}]
// CHECK: gpu.terminator

// A column reduction (each output reads elements a row apart), a row shorter than a warp and a
// boolean row (no 1-bit shared memory) keep their thread per output.
#col = affine_map<(d0, d1) -> (d1, d0)>
func.func @kept(%x: memref<1000x300xf32>, %c: memref<300xf32>, %s: memref<64x16xf32>,
                %t: memref<64xf32>, %b: memref<64x100xi1>, %any: memref<64xi1>) {
  linalg.generic {indexing_maps = [#col, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1000x300xf32>) outs(%c : memref<300xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%s : memref<64x16xf32>) outs(%t : memref<64xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%b : memref<64x100xi1>) outs(%any : memref<64xi1>) {
  ^bb0(%v: i1, %acc: i1):
    %r = arith.ori %acc, %v : i1
    linalg.yield %r : i1
  }
  return
}
// CHECK-LABEL: func.func @kept
// CHECK-NOT: gpu.launch
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: gpu.launch

// The fill stays where another view could see the buffer: here the output is a view of a larger
// allocation.
func.func @view(%x: memref<64x100xf32>, %big: memref<128xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.subview %big[0] [64] [1] : memref<128xf32> to memref<64xf32, strided<[1]>>
  linalg.fill ins(%zero : f32) outs(%y : memref<64xf32, strided<[1]>>)
  linalg.generic {indexing_maps = [#row, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<64x100xf32>) outs(%y : memref<64xf32, strided<[1]>>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @view
// CHECK: linalg.fill
// CHECK: gpu.launch
// CHECK: memref.load %{{.*}}[%{{.*}}] : memref<64xf32, strided<[1]>>
