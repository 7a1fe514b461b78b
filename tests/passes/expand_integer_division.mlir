// RUN-OPT: --tfjit-expand-integer-division
// floordivsi and ceildivsi have no LLVM instruction: they become plain integer arithmetic.
func.func @divide(%a: i32, %b: i32) -> (i32, i32) {
  %f = arith.floordivsi %a, %b : i32
  %c = arith.ceildivsi %a, %b : i32
  return %f, %c : i32, i32
}
// CHECK-LABEL: func.func @divide
// CHECK-NOT: floordivsi
// CHECK-NOT: ceildivsi
// CHECK: arith.divsi
