// RUN-OPT: --tfjit-to-linalg=host-library-calls=false --split-input-file
// tfjit.scatter for GPU kernels: one generic over x's dims (parallel) and the indices' batch dims
// (a reduction): each element combines, in row order, the update rows whose index tuple equals
// its leading coordinates (read with tensor.extract), starting from x.
func.func @scatter_max(%x: tensor<3x4x2xf32>, %i: tensor<2x5x2xi64>, %u: tensor<2x5x2xf32>) -> tensor<3x4x2xf32> {
  %y = tfjit.scatter "reduce_max" %x, %i, %u : tensor<3x4x2xf32>, tensor<2x5x2xi64>, tensor<2x5x2xf32> -> tensor<3x4x2xf32>
  return %y : tensor<3x4x2xf32>
}
// CHECK-DAG: #[[UPDATES:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @scatter_max
// CHECK: linalg.generic {indexing_maps = [#[[UPDATES]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%arg2 : tensor<2x5x2xf32>) outs(%arg0 : tensor<3x4x2xf32>)
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<2x5x2xi64>
// CHECK: arith.cmpi eq
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<2x5x2xi64>
// CHECK: arith.cmpi eq
// CHECK: arith.maximumf
// CHECK: arith.select
// CHECK-NOT: func.call

// -----

// One index tuple (indices of rank 1): no reduction dims; "update" selects the update.
func.func @scatter_one(%x: tensor<5xi32>, %i: tensor<1xi32>, %u: tensor<i32>) -> tensor<5xi32> {
  %y = tfjit.scatter "update" %x, %i, %u : tensor<5xi32>, tensor<1xi32>, tensor<i32> -> tensor<5xi32>
  return %y : tensor<5xi32>
}
// CHECK-LABEL: func.func @scatter_one
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%arg2 : tensor<i32>) outs(%arg0 : tensor<5xi32>)
// CHECK: arith.select
