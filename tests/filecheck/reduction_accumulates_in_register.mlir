// RUN-ARGS: --stage loops
// A reduction over the innermost axis accumulates each output element in a register (a block
// argument of the reduction loop, not a load and store of the output per step), and its combiner
// may reassociate (fastmath<reassoc>) so that LLVM vectorises the loop into lanes. The output is
// read once before the loop (its initial value) and written once after.
module {
  func.func @main(%x: tensor<6x100xf32>) -> tensor<6xf32> {
    %s = tfjit.reduce "reduce_sum" %x {axes = array<i64: 1>, keepdims = false} : tensor<6x100xf32> -> tensor<6xf32>
    return %s : tensor<6xf32>
  }
}
// CHECK: func.func @main(%[[X:.*]]: memref<6x100xf32>, %[[OUT:.*]]: memref<6xf32>)
// CHECK: %[[INIT:.*]] = memref.load %[[OUT]][%[[ROW:.*]]] : memref<6xf32>
// CHECK: cf.br ^[[LOOP:.*]](%{{.*}}, %[[INIT]] : index, f32)
// CHECK: ^[[LOOP]](%[[K:.*]]: index, %[[ACC:.*]]: f32):
// CHECK-NOT: memref.store
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[ROW]], %[[K]]]
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[V]] fastmath<reassoc> : f32
// CHECK-NOT: memref.load %[[OUT]]
// CHECK: memref.store %[[ACC]], %[[OUT]][%[[ROW]]] : memref<6xf32>
