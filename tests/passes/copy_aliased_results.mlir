// RUN-OPT: --tfjit-copy-aliased-results
// A returned argument, and a value returned twice, become fresh tensors; a value returned once
// is left alone.
func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %e = math.exp %y : tensor<4xf32>
  return %x, %e, %e : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK: func.func @main(%[[X:[a-z0-9]+]]: tensor<4xf32>, %[[Y:[a-z0-9]+]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = math.exp %[[Y]]
// CHECK: %[[CX:.*]] = bufferization.alloc_tensor() copy(%[[X]])
// CHECK: %[[CE:.*]] = bufferization.alloc_tensor() copy(%[[E]])
// CHECK: return %[[CX]], %[[E]], %[[CE]]
