// RUN-OPT: --tfjit-to-linalg --split-input-file --verify-diagnostics
// tfjit.all_reduce on the CPU: a call of the communicator named by `group` into a fresh buffer,
// with the reduce op and group as i64 (runtime/library_abi.h); dynamic dims size the buffer.
func.func @all_reduce(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %y = tfjit.all_reduce %x {reduce_op = 1, group = 7} : tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
// CHECK: func.func private @tfjit_all_reduce_float32(memref<*xf32>, memref<*xf32>, i64, i64)
// CHECK-LABEL: func.func @all_reduce
// CHECK-DAG: %[[OP:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[GROUP:.*]] = arith.constant 7 : i64
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x3xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%[[N]]) : memref<?x3xf32>
// CHECK: call @tfjit_all_reduce_float32(%{{.*}}, %{{.*}}, %[[OP]], %[[GROUP]])

// -----

// Two all-reduces stay two calls, in program order: every rank must make the same sequence.
func.func @two(%x: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %a = tfjit.all_reduce %x {reduce_op = 0, group = 1} : tensor<4xi32>
  %b = tfjit.all_reduce %x {reduce_op = 0, group = 1} : tensor<4xi32>
  return %a, %b : tensor<4xi32>, tensor<4xi32>
}
// CHECK-LABEL: func.func @two
// CHECK: call @tfjit_all_reduce_int32
// CHECK: call @tfjit_all_reduce_int32

// -----

// An unused all-reduce is kept: the other ranks wait for it.
func.func @unused(%x: tensor<4xf64>) -> tensor<4xf64> {
  %a = tfjit.all_reduce %x {reduce_op = 2, group = 1} : tensor<4xf64>
  return %x : tensor<4xf64>
}
// CHECK-LABEL: func.func @unused
// CHECK: call @tfjit_all_reduce_float64
