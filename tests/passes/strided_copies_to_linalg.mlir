// RUN-OPT: --tfjit-strided-copies-to-linalg
// A copy out of a strided view becomes linalg.copy (plain loops), not a runtime-library call.
func.func @copy(%a: memref<8x8xf32>, %b: memref<8x4xf32>) {
  %v = memref.subview %a[0, 0] [8, 4] [1, 2] : memref<8x8xf32> to memref<8x4xf32, strided<[8, 2]>>
  memref.copy %v, %b : memref<8x4xf32, strided<[8, 2]>> to memref<8x4xf32>
  return
}
// CHECK-LABEL: func.func @copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy
