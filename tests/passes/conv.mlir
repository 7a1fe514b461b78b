// RUN-OPT: --tfjit-to-linalg --split-input-file
// float32: a call of the eager oneDNN kernel on the operands' buffers (read only), into a fresh
// buffer; the attributes [kind, groups, strides, dilations, low, high] as a constant.
func.func @conv_f32(%x: tensor<?x5x5x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<?x3x3x4xf32> {
  %y = tfjit.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, groups = 1} : tensor<?x5x5x3xf32>, tensor<3x3x3x4xf32> -> tensor<?x3x3x4xf32>
  return %y : tensor<?x3x3x4xf32>
}
// CHECK-LABEL: func.func @conv_f32
// CHECK-DAG: %[[ATTRS:.*]] = arith.constant dense<[0, 1, 2, 2, 1, 1, 1, 1, 1, 1]> : tensor<10xi64>
// CHECK-DAG: bufferization.to_memref %{{.*}} read_only {tfjit.call = {{[0-9]+}} : i64} : memref<?x5x5x3xf32>
// CHECK-DAG: bufferization.to_memref %{{.*}} read_only {tfjit.call = {{[0-9]+}} : i64} : memref<3x3x3x4xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x3x3x4xf32>
// CHECK: call @tfjit_conv(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<?xi64>) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<?x3x3x4xf32>

// -----

// float64: one generic over (n, o..., g, co | k..., ci), x zero-padded, the channels split into
// (groups, per group).
func.func @conv_grouped_f64(%x: tensor<2x6x4xf64>, %w: tensor<3x2x6xf64>) -> tensor<2x3x6xf64> {
  %y = tfjit.conv %x, %w {strides = array<i64: 2>, dilations = array<i64: 2>, padding_low = array<i64: 2>, padding_high = array<i64: 1>, groups = 2} : tensor<2x6x4xf64>, tensor<3x2x6xf64> -> tensor<2x3x6xf64>
  return %y : tensor<2x3x6xf64>
}
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d4 * 2, d2, d5)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5, d2, d3)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_grouped_f64
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 2, 0] [2, 6, 4] [1, 1, 1] : tensor<2x6x4xf64> into tensor<2x9x4xf64>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] output_shape [2, 9, 2, 2]
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] output_shape [3, 2, 2, 3]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : tensor<2x3x2x3xf64> into tensor<2x3x6xf64>

// -----

// The input gradient: dy spread out by the strides into zeros, read by the flipped filter
// (K - 1 - k), whose taps are sized by an empty tensor of the filter's spatial shape.
func.func @backprop_input_f64(%w: tensor<3x2x4xf64>, %dy: tensor<1x3x4xf64>) -> tensor<1x6x2xf64> {
  %dx = tfjit.conv_backprop_input %w, %dy {strides = array<i64: 2>, dilations = array<i64: 1>, padding_low = array<i64: 1>, padding_high = array<i64: 0>, groups = 1, input_shape = array<i64: 1, 6, 2>} : tensor<3x2x4xf64>, tensor<1x3x4xf64> -> tensor<1x6x2xf64>
  return %dx : tensor<1x6x2xf64>
}
// CHECK-DAG: #[[DY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d4, d2, d5)>
// CHECK-DAG: #[[FLIPPED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (-d4 + 2, d3, d2, d5)>
// CHECK-DAG: #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4)>
// CHECK-LABEL: func.func @backprop_input_f64
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 0] [1, 3, 4] [1, 2, 1] : tensor<1x3x4xf64> into tensor<1x8x4xf64>
// CHECK: %[[TAP_SHAPE:.*]] = tensor.empty() : tensor<3xf64>
// CHECK: linalg.generic {indexing_maps = [#[[DY]], #[[FLIPPED]], #[[TAPS]], #{{.*}}]{{.*}} ins(%{{.*}}, %{{.*}}, %[[TAP_SHAPE]] :

// -----

// The filter gradient: a generic over (k..., ci, g, co | n, o...) on bfloat16, accumulated in f32.
func.func @backprop_filter_bf16(%x: tensor<2x5x3xbf16>, %dy: tensor<2x3x4xbf16>) -> tensor<3x3x4xbf16> {
  %dw = tfjit.conv_backprop_filter %x, %dy {strides = array<i64: 1>, dilations = array<i64: 1>, padding_low = array<i64: 0>, padding_high = array<i64: 0>, groups = 1, filter_shape = array<i64: 3, 3, 4>} : tensor<2x5x3xbf16>, tensor<2x3x4xbf16> -> tensor<3x3x4xbf16>
  return %dw : tensor<3x3x4xbf16>
}
// CHECK-LABEL: func.func @backprop_filter_bf16
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<3x3x1x4xf32>)
// CHECK: arith.extf
// CHECK: arith.truncf
