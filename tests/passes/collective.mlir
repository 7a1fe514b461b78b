// RUN-OPT: --tfjit-to-linalg --split-input-file
// tfjit.all_reduce on the CPU: the start call where the op is (x copied, the reduction queued on
// the communicator named by `group`), the wait just before the result's first use, into a fresh
// buffer; dynamic dims size it (runtime/library_abi.h).
func.func @all_reduce(%x: tensor<?x3xf32>, %w: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %y = tfjit.all_reduce %x {reduce_op = 1, group = 7} : tensor<?x3xf32>
  %busy = tfjit.unary "exp" %w : tensor<?x3xf32> -> tensor<?x3xf32>
  %z = tfjit.binary "add" %y, %busy : tensor<?x3xf32> -> tensor<?x3xf32>
  return %z : tensor<?x3xf32>
}
// CHECK-DAG: func.func private @tfjit_all_reduce_start_float32(memref<*xf32>, memref<*xf32>, i64, i64)
// CHECK-DAG: func.func private @tfjit_all_reduce_wait_float32(memref<*xf32>)
// CHECK-LABEL: func.func @all_reduce
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x3xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%[[N]]) : memref<?x3xf32>
// CHECK: %[[OUT_U:.*]] = memref.cast %[[OUT]]
// CHECK: call @tfjit_all_reduce_start_float32(%{{.*}}, %[[OUT_U]], %{{.*}}, %{{.*}})
// CHECK: math.exp
// CHECK: call @tfjit_all_reduce_wait_float32(%[[OUT_U]])
// CHECK-NEXT: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: arith.addf

// -----

// Two all-reduces stay two calls, in program order: every rank must make the same sequence.
func.func @two(%x: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %a = tfjit.all_reduce %x {reduce_op = 0, group = 1} : tensor<4xi32>
  %b = tfjit.all_reduce %x {reduce_op = 0, group = 1} : tensor<4xi32>
  return %a, %b : tensor<4xi32>, tensor<4xi32>
}
// CHECK-LABEL: func.func @two
// CHECK: call @tfjit_all_reduce_start_int32
// CHECK: call @tfjit_all_reduce_start_int32
// CHECK: call @tfjit_all_reduce_wait_int32
// CHECK: call @tfjit_all_reduce_wait_int32

// -----

// An unused all-reduce is kept (the other ranks wait for it) and awaited at once.
func.func @unused(%x: tensor<4xf64>) -> tensor<4xf64> {
  %a = tfjit.all_reduce %x {reduce_op = 2, group = 1} : tensor<4xf64>
  return %x : tensor<4xf64>
}
// CHECK-LABEL: func.func @unused
// CHECK: call @tfjit_all_reduce_start_float64
// CHECK-NEXT: call @tfjit_all_reduce_wait_float64
