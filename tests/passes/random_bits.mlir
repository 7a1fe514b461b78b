// RUN-OPT: --tfjit-to-linalg --split-input-file
// tfjit.random_bits: one generic over the ceil(n / 4) Philox blocks yielding a block's four
// words, each word a contiguous quarter of the flat output, cut to n and shaped.
func.func @bits(%key: tensor<i64>, %counter: tensor<i64>) -> tensor<2x5xi32> {
  %y = tfjit.random_bits %key, %counter {stream = 0 : i64} : tensor<i64>, tensor<i64> -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}
// CHECK-LABEL: func.func @bits
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<i64>, tensor<i64>) outs({{.*}} : tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>)
// CHECK-COUNT-20: arith.muli
// CHECK-NOT: arith.muli
// CHECK: linalg.yield
// CHECK: tensor.insert_slice {{.*}}[0] [3] [1] : tensor<3xi32> into tensor<12xi32>
// CHECK: tensor.insert_slice {{.*}}[9] [3] [1] : tensor<3xi32> into tensor<12xi32>
// CHECK: tensor.extract_slice {{.*}}[0] [10] [1] : tensor<12xi32> to tensor<10xi32>
// CHECK: tensor.expand_shape {{.*}} tensor<10xi32> into tensor<2x5xi32>

// -----

// An op seed's stream is XORed into the key; a scalar draw collapses the one-element slice.
func.func @scalar_with_stream(%key: tensor<i64>, %counter: tensor<i64>) -> tensor<i32> {
  %y = tfjit.random_bits %key, %counter {stream = 12345 : i64} : tensor<i64>, tensor<i64> -> tensor<i32>
  return %y : tensor<i32>
}
// CHECK-LABEL: func.func @scalar_with_stream
// CHECK: arith.constant 12345 : i64
// CHECK: arith.xori
// CHECK: tensor.extract_slice {{.*}} tensor<4xi32> to tensor<1xi32>
// CHECK: tensor.collapse_shape {{.*}} tensor<1xi32> into tensor<i32>

// -----

func.func @empty(%key: tensor<i64>, %counter: tensor<i64>) -> tensor<0x3xi32> {
  %y = tfjit.random_bits %key, %counter {stream = 0 : i64} : tensor<i64>, tensor<i64> -> tensor<0x3xi32>
  return %y : tensor<0x3xi32>
}
// CHECK-LABEL: func.func @empty
// CHECK-NOT: linalg.generic
// CHECK: tensor.empty() : tensor<0x3xi32>

// -----

// Unknown dims: the sizes come from `like` at run time (a dropout mask shaped like its input).
func.func @shaped_like(%key: tensor<i64>, %counter: tensor<i64>, %x: tensor<?x5xf32>) -> tensor<?x5xi32> {
  %y = tfjit.random_bits %key, %counter like(%x : tensor<?x5xf32>) {stream = 0 : i64} : tensor<i64>, tensor<i64> -> tensor<?x5xi32>
  return %y : tensor<?x5xi32>
}
// CHECK-LABEL: func.func @shaped_like
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x5xf32>
// CHECK: arith.ceildivui
// CHECK: linalg.generic {{.*}} outs({{.*}} : tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>)
// CHECK-COUNT-4: tensor.insert_slice {{.*}} : tensor<?xi32> into tensor<?xi32>
// CHECK: tensor.extract_slice {{.*}} : tensor<?xi32> to tensor<?xi32>
// CHECK: tensor.expand_shape {{.*}} output_shape [%[[N]], %{{.*}}] : tensor<?xi32> into tensor<?x5xi32>
