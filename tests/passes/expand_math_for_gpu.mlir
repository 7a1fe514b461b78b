// RUN-OPT: --tfjit-expand-math-for-gpu
// GPU kernels: the functions libdevice lowering lacks, in terms of those it has.
func.func @f(%x: f32) -> (f32, f32, f32, f32) {
  %a = math.sinh %x : f32
  %b = math.asin %x : f32
  %c = math.atanh %x : f32
  %d = math.cosh %x : f32
  return %a, %b, %c, %d : f32, f32, f32, f32
}
// CHECK-LABEL: func.func @f
// CHECK-NOT: math.sinh
// CHECK-NOT: math.asin
// CHECK-NOT: math.atanh
// CHECK-NOT: math.cosh
// CHECK-DAG: math.expm1
// CHECK-DAG: math.atan2
// CHECK-DAG: math.log1p
// CHECK-DAG: math.exp
