// RUN-OPT: --tfjit-expand-bfloat16
// A bfloat16 op computed in float32: the extension becomes a shift and the rounding back integer
// arithmetic, so LLVM sees no fpext/fptrunc to narrow the float32 compare back to bfloat.
func.func @relu(%x: bf16) -> bf16 {
  %zero = arith.constant 0.0 : f32
  %w = arith.extf %x : bf16 to f32
  %c = arith.cmpf ogt, %w, %zero : f32
  %r = arith.select %c, %w, %zero : f32
  %t = arith.truncf %r : f32 to bf16
  return %t : bf16
}
// CHECK-LABEL: func.func @relu
// CHECK-NOT: arith.extf
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : bf16 to i16
// CHECK: %[[WIDE:.*]] = arith.extui %[[BITS]] : i16 to i32
// CHECK: %[[SHIFTED:.*]] = arith.shli %[[WIDE]], %{{.*}} : i32
// CHECK: %[[X:.*]] = arith.bitcast %[[SHIFTED]] : i32 to f32
// CHECK: arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-NOT: arith.truncf
// CHECK: arith.bitcast %{{.*}} : i16 to bf16

func.func @vector(%x: vector<8xbf16>) -> vector<8xf32> {
  %w = arith.extf %x : vector<8xbf16> to vector<8xf32>
  return %w : vector<8xf32>
}
// CHECK-LABEL: func.func @vector
// CHECK: arith.constant dense<16> : vector<8xi32>
// CHECK: arith.shli %{{.*}} : vector<8xi32>

// float16 and float64 are left alone.
func.func @others(%x: f16, %y: bf16) -> (f32, f64) {
  %a = arith.extf %x : f16 to f32
  %b = arith.extf %y : bf16 to f64
  return %a, %b : f32, f64
}
// CHECK-LABEL: func.func @others
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.extf %{{.*}} : bf16 to f64
