// RUN-OPT: --verify-diagnostics --split-input-file
func.func @bad_fn(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{unknown function 'cumfoo'}}
  %y = tfjit.scan "cumfoo" %x {axis = 0 : i64, exclusive = false, reverse = false} : tensor<5xf32> -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

func.func @bad_axis(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{axis 1 is out of range}}
  %y = tfjit.scan "cumsum" %x {axis = 1 : i64, exclusive = false, reverse = false} : tensor<5xf32> -> tensor<5xf32>
  return %y : tensor<5xf32>
}

// -----

func.func @bad_dtype(%x: tensor<5xi32>) -> tensor<5xi32> {
  // expected-error @+1 {{'cumulative_logsumexp' does not accept 'i32'}}
  %y = tfjit.scan "cumulative_logsumexp" %x {axis = 0 : i64, exclusive = false, reverse = false} : tensor<5xi32> -> tensor<5xi32>
  return %y : tensor<5xi32>
}
