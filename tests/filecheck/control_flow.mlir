// RUN-ARGS: --stage linalg
// A traced tf::cond (scf.if on a scalar bool tensor) and tf::print: scf survives the lowering of
// tfjit ops inside its regions, and the print becomes library calls.
module {
  func.func @main(%p: tensor<i1>, %x: tensor<4xf32>) -> tensor<4xf32> {
    %c = tensor.extract %p[] : tensor<i1>
    %r = scf.if %c -> (tensor<4xf32>) {
      %d = tfjit.binary "add" %x, %x : tensor<4xf32> -> tensor<4xf32>
      scf.yield %d : tensor<4xf32>
    } else {
      %n = tfjit.unary "negative" %x : tensor<4xf32> -> tensor<4xf32>
      scf.yield %n : tensor<4xf32>
    }
    tfjit.print "r = {}" %r : tensor<4xf32>
    return %r : tensor<4xf32>
  }
}
// CHECK-DAG: memref.global "private" constant @[[TEXT:tfjit_text_[0-9]+]] : memref<5xi8> = dense<[114, 32, 61, 32, 0]>
// CHECK-DAG: func.func private @tfjit_print_float32(tensor<*xf32> {bufferization.access = "read"}, memref<?xi8>)
// CHECK-DAG: func.func private @tfjit_print_end(memref<?xi8>)
// CHECK-LABEL: func.func @main
// CHECK: %[[C:.*]] = tensor.extract
// CHECK: scf.if %[[C]] -> (tensor<4xf32>)
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: } else {
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: %[[U:.*]] = tensor.cast %{{.*}} : tensor<4xf32> to tensor<*xf32>
// CHECK: memref.get_global @[[TEXT]]
// CHECK: call @tfjit_print_float32(%[[U]], %{{.*}})
// CHECK: call @tfjit_print_end(
