// RUN-OPT: --tfjit-approximate-math
// float32 exp and tanh become polynomial arithmetic (no math op, no libm call); float64 keeps
// its math op.
func.func @f32(%x: f32) -> (f32, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  return %e, %t : f32, f32
}
// CHECK-LABEL: func.func @f32
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: arith.mulf
func.func @f64(%x: f64) -> f64 {
  %e = math.exp %x : f64
  return %e : f64
}
// CHECK-LABEL: func.func @f64
// CHECK: math.exp
