// RUN-OPT: --tfjit-to-linalg="host-library-calls=false device-scatter-calls=true"
// For the GPU (CompileOptions::device_scatter_calls): the same tfjit_scatter_<dtype> call as on
// the CPU, which the launch plan turns into a step running the GPU's eager kernel (linear in the
// rows), here for float16 with the reduce_max combiner (2) and int64 indices.
func.func @scatter_max_f16(%x: tensor<3x4x2xf16>, %i: tensor<2x5x2xi64>, %u: tensor<2x5x2xf16>) -> tensor<3x4x2xf16> {
  %y = tfjit.scatter "reduce_max" %x, %i, %u : tensor<3x4x2xf16>, tensor<2x5x2xi64>, tensor<2x5x2xf16> -> tensor<3x4x2xf16>
  return %y : tensor<3x4x2xf16>
}
// CHECK: func.func private @tfjit_scatter_float16(memref<*xf16>, memref<*xi64>, memref<*xf16>, memref<*xf16>, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @scatter_max_f16
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[MAX:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[BITS:.*]] = arith.constant 64 : i64
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<3x4x2xf16>
// CHECK: call @tfjit_scatter_float16({{.*}}, %[[MAX]], %[[BITS]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: linalg.generic
