// RUN-OPT: --verify-diagnostics --split-input-file
func.func @bad_combiner(%x: tensor<5xf32>, %i: tensor<2x1xi32>, %u: tensor<2xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{unknown combiner 'reduce_foo'}}
  %y = tfjit.scatter "reduce_foo" %x, %i, %u : tensor<5xf32>, tensor<2x1xi32>, tensor<2xf32> -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

func.func @combiner_dtype(%x: tensor<5xi1>, %i: tensor<2x1xi32>, %u: tensor<2xi1>) -> tensor<5xi1> {
  // expected-error @+1 {{'reduce_sum' does not accept 'i1'}}
  %y = tfjit.scatter "reduce_sum" %x, %i, %u : tensor<5xi1>, tensor<2x1xi32>, tensor<2xi1> -> tensor<5xi1>
  return %y : tensor<5xi1>
}

// -----

func.func @bad_updates(%x: tensor<5x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x4xf32>) -> tensor<5x3xf32> {
  // expected-error @+1 {{updates (2, 4) must have the shape (2, 3)}}
  %y = tfjit.scatter "update" %x, %i, %u : tensor<5x3xf32>, tensor<2x1xi32>, tensor<2x4xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

func.func @too_deep(%x: tensor<5xf32>, %i: tensor<2x2xi32>, %u: tensor<2xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{must have a known last dim (the index depth) of at most the rank of (5,)}}
  %y = tfjit.scatter "update" %x, %i, %u : tensor<5xf32>, tensor<2x2xi32>, tensor<2xf32> -> tensor<5xf32>
  return %y : tensor<5xf32>
}
