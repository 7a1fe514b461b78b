// RUN-OPT: --tfjit-to-linalg --split-input-file
// tfjit.scatter on the CPU: a call of the eager kernel (linear: the operand copied, then one pass
// over the update rows) into a fresh buffer; the combiner as an ops::ReduceOp code (-1 for
// update), then the indices' width.
func.func @scatter_add(%x: tensor<6x4xf32>, %i: tensor<5x1xi32>, %u: tensor<5x4xf32>) -> tensor<6x4xf32> {
  %y = tfjit.scatter "reduce_sum" %x, %i, %u : tensor<6x4xf32>, tensor<5x1xi32>, tensor<5x4xf32> -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}
// CHECK: func.func private @tfjit_scatter_float32(memref<*xf32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @scatter_add
// CHECK-DAG: %[[SUM:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[BITS:.*]] = arith.constant 32 : i64
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<6x4xf32>
// CHECK: call @tfjit_scatter_float32({{.*}}, %[[SUM]], %[[BITS]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable

// -----

// Unknown dims: the result's size from x; update is code -1.
func.func @scatter_update(%x: tensor<?x3xf64>, %i: tensor<?x1xi64>, %u: tensor<?x3xf64>) -> tensor<?x3xf64> {
  %y = tfjit.scatter "update" %x, %i, %u : tensor<?x3xf64>, tensor<?x1xi64>, tensor<?x3xf64> -> tensor<?x3xf64>
  return %y : tensor<?x3xf64>
}
// CHECK-LABEL: func.func @scatter_update
// CHECK-DAG: %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3xf64>
// CHECK-DAG: %[[UPDATE:.*]] = arith.constant -1 : i64
// CHECK-DAG: %[[BITS:.*]] = arith.constant 64 : i64
// CHECK: memref.alloc(%[[N]]) : memref<?x3xf64>
// CHECK: call @tfjit_scatter_float64({{.*}}, %[[UPDATE]], %[[BITS]])
