// RUN-OPT: --tfjit-fuse-matmul-epilogue
// relu(A B + bias) on buffers, relu as tfjit-to-linalg writes it (select(s > 0, s, 0)): the GEMM
// and its epilogue become one library call with act = 1 (runtime/library_abi.h); a generic that
// computes anything else is left alone. (The pass runs before deallocations are inserted.)
#bias = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @dense(%a: memref<4x8xf32>, %b: memref<8x2xf32>, %bias: memref<2xf32>, %out: memref<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<4x2xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x2xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x2xf32>) outs(%c : memref<4x2xf32>)
  linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<4x2xf32>, memref<2xf32>) outs(%out : memref<4x2xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %s = arith.addf %v, %w : f32
    %p = arith.cmpf ogt, %s, %zero : f32
    %r = arith.select %p, %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}
// CHECK-LABEL: func.func @dense
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK: %[[RELU:.*]] = arith.constant 1 : i64
// CHECK: call @tfjit_sgemm_bias_act({{.*}}, %[[RELU]],

func.func @not_an_epilogue(%a: memref<4x8xf32>, %b: memref<8x2xf32>, %bias: memref<2xf32>, %out: memref<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<4x2xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x2xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x2xf32>) outs(%c : memref<4x2xf32>)
  linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<4x2xf32>, memref<2xf32>) outs(%out : memref<4x2xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %s = arith.mulf %v, %w : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @not_an_epilogue
// CHECK: linalg.matmul
// CHECK: linalg.generic
