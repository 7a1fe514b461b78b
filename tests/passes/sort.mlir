// RUN-OPT: --tfjit-to-linalg=host-library-calls=false --split-input-file
// tfjit.argsort for GPU kernels: ranks (each element against every other along the axis, ties by
// index), then each position takes the index whose rank it is.
func.func @argsort(%x: tensor<4x6xf32>) -> tensor<4x6xi32> {
  %i = tfjit.argsort %x {axis = 1, descending = false} : tensor<4x6xf32> -> tensor<4x6xi32>
  return %i : tensor<4x6xi32>
}
// CHECK-DAG: #[[SELF:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[OTHER:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @argsort
// CHECK: %[[RANKS:.*]] = linalg.generic {indexing_maps = [#[[SELF]], #[[OTHER]], #[[SELF]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.cmpf olt
// CHECK: linalg.generic {indexing_maps = [#[[OTHER]], #[[SELF]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[RANKS]]

// -----

// tfjit.take_along_axis: one generic over the indices, reading x with tensor.extract at the
// clamped index.
func.func @take(%x: tensor<4x6xf32>, %i: tensor<4x2xi32>) -> tensor<4x2xf32> {
  %y = tfjit.take_along_axis %x, %i {axis = 1} : tensor<4x6xf32>, tensor<4x2xi32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
// CHECK-LABEL: func.func @take
// CHECK: linalg.generic
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<4x6xf32>
