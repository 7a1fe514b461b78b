// RUN-OPT: --tfjit-to-linalg --tfjit-fuse-elementwise --split-input-file
// A chain of elementwise ops becomes one linalg.generic.
func.func @chain(%x: tensor<8xf32>) -> tensor<8xf32> {
  %sq = tfjit.binary "multiply" %x, %x : tensor<8xf32> -> tensor<8xf32>
  %s = tfjit.binary "add" %sq, %x : tensor<8xf32> -> tensor<8xf32>
  %t = tfjit.unary "tanh" %s : tensor<8xf32> -> tensor<8xf32>
  return %t : tensor<8xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic

// -----

// A reshape next to a matmul is not folded into it: the matmul stays a named op, so it can
// become a GEMM library call.
func.func @matmul_then_reshape(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<2x4x4xf32> {
  %c = tfjit.matmul %a, %b : tensor<8x16xf32>, tensor<16x4xf32> -> tensor<8x4xf32>
  %r = tfjit.reshape %c : tensor<8x4xf32> -> tensor<2x4x4xf32>
  %e = tfjit.unary "exp" %r : tensor<2x4x4xf32> -> tensor<2x4x4xf32>
  return %e : tensor<2x4x4xf32>
}
// CHECK-LABEL: func.func @matmul_then_reshape
// CHECK: linalg.matmul

// -----

// A scalar computation stays a loop-free generic of its own, computed once, not fused into the
// loop that reads it (where it would run at every element).
func.func @scalar_into_loop(%x: tensor<1024xf32>, %s: tensor<f32>) -> tensor<1024xf32> {
  %e = tfjit.unary "exp" %s : tensor<f32> -> tensor<f32>
  %b = tfjit.broadcast_to %e : tensor<f32> -> tensor<1024xf32>
  %y = tfjit.binary "multiply" %x, %b : tensor<1024xf32> -> tensor<1024xf32>
  return %y : tensor<1024xf32>
}
// CHECK-LABEL: func.func @scalar_into_loop
// CHECK: linalg.generic {{.*}}iterator_types = []
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-NOT: math.exp
// CHECK: return

// -----

// A broadcast scalar read by two loops: each takes in its own copy (a read of the scalar), and no
// buffer of the broadcast is left.
func.func @broadcast_read_twice(%x: tensor<1024xf32>, %y: tensor<1024xf32>, %s: tensor<f32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
  %b = tfjit.broadcast_to %s : tensor<f32> -> tensor<1024xf32>
  %u = tfjit.binary "multiply" %x, %b : tensor<1024xf32> -> tensor<1024xf32>
  %v = tfjit.binary "add" %y, %b : tensor<1024xf32> -> tensor<1024xf32>
  return %u, %v : tensor<1024xf32>, tensor<1024xf32>
}
// CHECK-LABEL: func.func @broadcast_read_twice
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg2 : tensor<1024xf32>, tensor<f32>)
// CHECK: linalg.generic {{.*}} ins(%arg1, %arg2 : tensor<1024xf32>, tensor<f32>)
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

// An optimizer's update: the new moment is returned (assigned to its slot) and read by the
// parameter's update. One loop computes both and yields both.
func.func @moment_and_parameter(%m: tensor<1024xf32>, %g: tensor<1024xf32>, %p: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
  %d = tfjit.binary "subtract" %g, %m : tensor<1024xf32> -> tensor<1024xf32>
  %m1 = tfjit.binary "add" %m, %d : tensor<1024xf32> -> tensor<1024xf32>
  %p1 = tfjit.binary "subtract" %p, %m1 : tensor<1024xf32> -> tensor<1024xf32>
  return %m1, %p1 : tensor<1024xf32>, tensor<1024xf32>
}
// CHECK-LABEL: func.func @moment_and_parameter
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} ins(%arg2, %arg0, %arg1 :
// CHECK: ^bb0(%[[P:.*]]: f32, %[[M:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK: %[[D:.*]] = arith.subf %[[G]], %[[M]]
// CHECK: %[[M1:.*]] = arith.addf %[[M]], %[[D]]
// CHECK: %[[P1:.*]] = arith.subf %[[P]], %[[M1]]
// CHECK: linalg.yield %[[M1]], %[[P1]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1

// -----

// A value a reduction reads before the elementwise consumer: fusing it into the consumer would
// define it after that reader, so it stays its own loop.
func.func @read_first_by_a_reduction(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %e = tfjit.unary "exp" %x : tensor<4x8xf32> -> tensor<4x8xf32>
  %s = tfjit.reduce "reduce_sum" %e {axes = array<i64: 1>, keepdims = false} : tensor<4x8xf32> -> tensor<4xf32>
  %t = tfjit.unary "tanh" %e : tensor<4x8xf32> -> tensor<4x8xf32>
  return %s, %t : tensor<4xf32>, tensor<4x8xf32>
}
// CHECK-LABEL: func.func @read_first_by_a_reduction
// CHECK: %[[E:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
// CHECK: math.tanh

// -----

// A row statistic read later as well, and by its first consumer through a broadcast: fused, the
// loop over (rows, columns) would store each row's value once per column. It stays its own loop.
func.func @statistic_read_through_a_broadcast(%x: tensor<4x8xf32>, %s: tensor<4xf32>) -> (tensor<4x8xf32>, tensor<4xf32>) {
  %r = tfjit.unary "rsqrt" %s : tensor<4xf32> -> tensor<4xf32>
  %rr = tfjit.reshape %r : tensor<4xf32> -> tensor<4x1xf32>
  %b = tfjit.broadcast_to %rr : tensor<4x1xf32> -> tensor<4x8xf32>
  %y = tfjit.binary "multiply" %x, %b : tensor<4x8xf32> -> tensor<4x8xf32>
  %z = tfjit.binary "multiply" %r, %r : tensor<4xf32> -> tensor<4xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @statistic_read_through_a_broadcast
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[R]] : tensor<4x8xf32>, tensor<4xf32>)
// CHECK-NOT: math.rsqrt

// -----

// A producer its consumer reads twice (x * x) and the function returns as well: the consumer's
// two reads become one, and the fused loop yields both values, each returned in its place.
func.func @read_twice_by_the_consumer(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tfjit.unary "exp" %x : tensor<8xf32> -> tensor<8xf32>
  %sq = tfjit.binary "multiply" %e, %e : tensor<8xf32> -> tensor<8xf32>
  return %sq, %e : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @read_twice_by_the_consumer
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} ins(%arg0 : tensor<8xf32>)
// CHECK: %[[E:.*]] = math.exp
// CHECK: %[[SQ:.*]] = arith.mulf %[[E]], %[[E]]
// CHECK: linalg.yield %[[E]], %[[SQ]]
// CHECK: return %[[R]]#1, %[[R]]#0
