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
  // expected-error @+1 {{needs 'like' for the unknown dims}}
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

// -----

// A parsed graph may hold any MLIR type; only the dtypes compiled code handles pass.
func.func @complex_elements(%x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  // expected-error @+1 {{element type 'complex<f32>' is not a dtype compiled code handles}}
  %y = tfjit.unary "negative" %x : tensor<4xcomplex<f32>> -> tensor<4xcomplex<f32>>
  return %y : tensor<4xcomplex<f32>>
}

// -----

func.func @f80_elements(%x: tensor<4xf80>) -> tensor<4xf80> {
  // expected-error @+1 {{element type 'f80' is not a dtype compiled code handles}}
  %y = tfjit.binary "add" %x, %x : tensor<4xf80> -> tensor<4xf80>
  return %y : tensor<4xf80>
}

// -----

func.func @complex_constant() -> tensor<2xcomplex<f32>> {
  // expected-error @+1 {{element type 'complex<f32>' is not a dtype compiled code handles}}
  %c = tfjit.constant dense<(1.0, 2.0)> : tensor<2xcomplex<f32>>
  return %c : tensor<2xcomplex<f32>>
}

// -----

// LLVM aborts the process on a global with a dim past 2^32, even one of no elements.
func.func @empty_constant_of_huge_dim() -> tensor<4611686018427387904x0xf32> {
  // expected-error @+1 {{dimension 4611686018427387904 is too large for a constant}}
  %c = tfjit.constant dense<> : tensor<4611686018427387904x0xf32>
  return %c : tensor<4611686018427387904x0xf32>
}

// -----

func.func @slice_changes_rank(%x: tensor<?x4xf32>) -> tensor<2x4x1xf32> {
  // expected-error @+1 {{changes the rank}}
  %y = tfjit.slice %x {start = array<i64: 0, 0>, size = array<i64: 2, 4>, stride = array<i64: 1, 1>} : tensor<?x4xf32> -> tensor<2x4x1xf32>
  return %y : tensor<2x4x1xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x5x5x3xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<1x3x3x4xf32> {
  // expected-error @+1 {{the input's channels (3, shape (1, 5, 5, 3)) must equal the filter's input channels (2}}
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, groups = 1} : tensor<1x5x5x3xf32>, tensor<3x3x2x4xf32> -> tensor<1x3x3x4xf32>
  return %y : tensor<1x3x3x4xf32>
}

// -----

func.func @conv_result_shape(%x: tensor<1x5x5x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<1x5x5x4xf32> {
  // expected-error @+1 {{result should have shape (1, 3, 3, 4)}}
  %y = tfjit.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, groups = 1} : tensor<1x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<1x5x5x4xf32>
  return %y : tensor<1x5x5x4xf32>
}

// -----

func.func @conv_integers(%x: tensor<1x5x3xi32>, %w: tensor<3x3x4xi32>) -> tensor<1x3x4xi32> {
  // expected-error @+1 {{expects float operands, got 'i32'}}
  %y = tfjit.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 1>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, groups = 1} : tensor<1x5x3xi32>, tensor<3x3x4xi32> -> tensor<1x3x4xi32>
  return %y : tensor<1x3x4xi32>
}

// -----

func.func @conv_backprop_input_shape(%w: tensor<3x3x4xf32>, %dy: tensor<1x3x4xf32>) -> tensor<1x5x3xf32> {
  // expected-error @+1 {{the input shape: dimension -7 in shape (1, -7, 3) is negative}}
  %dx = tfjit.conv_backprop_input %w, %dy {strides = array<i64: 1>, dilations = array<i64: 1>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, groups = 1, input_shape = array<i64: 1, -7, 3>} : tensor<3x3x4xf32>, tensor<1x3x4xf32> -> tensor<1x5x3xf32>
  return %dx : tensor<1x5x3xf32>
}

// -----

func.func @all_reduce_bad_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{reduce_op 9 is not sum (0), mean (1), max (2) or min (3)}}
  %y = tfjit.all_reduce %x {reduce_op = 9, group = 1} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @all_reduce_no_group(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{group 0 names no communicator}}
  %y = tfjit.all_reduce %x {reduce_op = 0, group = 0} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @all_reduce_bool(%x: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{cannot all-reduce 'i1'}}
  %y = tfjit.all_reduce %x {reduce_op = 0, group = 1} : tensor<4xi1>
  return %y : tensor<4xi1>
}


// -----

func.func @unconcat_sizes_that_do_not_add_up(%g: tensor<5x3xf32>, %a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{the parts' sizes along axis 0 add up to 4, not to dimension 0 of (5, 3)}}
  %y = tfjit.unconcat %g like(%a, %b : tensor<2x3xf32>, tensor<2x3xf32>) {axis = 0 : i64, index = 1 : i64} : tensor<5x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @reshape_like_naming_no_dim(%x: tensor<?xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{like_dims pair (0, 2) names no operand dim}}
  %z = tfjit.reshape %x like(%y : tensor<?x4xf32>) {like_dims = array<i64: 0, 2, -1, -1>} : tensor<?xf32> -> tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

// -----

func.func @reshape_like_inferring_two_dims(%x: tensor<?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{two dims of (None, None) to infer}}
  %z = tfjit.reshape %x like(%x : tensor<?xf32>) {like_dims = array<i64: -1, -1, -1, -1>} : tensor<?xf32> -> tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}
