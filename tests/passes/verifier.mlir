// RUN-OPT: --verify-diagnostics --split-input-file
// The dialect's verifiers apply the shared shape rules (core/shape_rules.h) and name the reason.
func.func @inner_dims(%a: tensor<4x8xf32>, %b: tensor<7x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+2 {{inner dimensions differ: (4, 8) x (7, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = tfjit.matmul %a, %b : tensor<4x8xf32>, tensor<7x2xf32> -> tensor<4x2xf32>
  return %c : tensor<4x2xf32>
}

// -----

func.func @unknown_fn(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{unknown function 'no_such_op'}}
  %e = tfjit.unary "no_such_op" %x : tensor<8xf32> -> tensor<8xf32>
  return %e : tensor<8xf32>
}

// -----

func.func @random_bits_of_unknown_shape(%key: tensor<i64>, %counter: tensor<i64>) -> tensor<?xi32> {
  // expected-error @+1 {{must be statically shaped tensor of 32-bit signless integer values}}
  %y = tfjit.random_bits %key, %counter {stream = 0 : i64} : tensor<i64>, tensor<i64> -> tensor<?xi32>
  return %y : tensor<?xi32>
}

// -----

func.func @reduce_window_of_wrong_size(%x: tensor<6xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{result should have shape (3,)}}
  %y = tfjit.reduce_window "reduce_max" %x {window = array<i64: 2>, strides = array<i64: 2>, dilations = array<i64: 1>, padding_low = array<i64: 0>, padding_high = array<i64: 0>} : tensor<6xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @reduce_window_over_unknown_dim(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{an unknown dimension must have window, stride and dilation 1}}
  %y = tfjit.reduce_window "reduce_max" %x {window = array<i64: 2>, strides = array<i64: 1>, dilations = array<i64: 1>, padding_low = array<i64: 0>, padding_high = array<i64: 0>} : tensor<?xf32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}
