// RUN-ARGS: --stage ptx
// Reductions on the GPU: a full sum of 10^6 elements runs as a tree of kernels instead of one
// thread walking every element: 15625 threads (62 blocks) each sum 64 elements, reading the
// argument through a reshaped view, then one block sums the 15625 partials, its threads' shares
// combined in shared memory. The scalar result is written by a kernel too, so the host side
// stays a straight launch plan.
module {
  func.func @main(%x: tensor<1000x1000xf32>) -> tensor<f32> {
    %r = tfjit.reduce "reduce_sum" %x {axes = array<i64: 0, 1>, keepdims = false} : tensor<1000x1000xf32> -> tensor<f32>
    return %r : tensor<f32>
  }
}
// CHECK: // buffer %0: argument, 4000000 bytes
// CHECK: // buffer %1: result, 4 bytes
// CHECK: // buffer %[[T:[0-9]+]]: temporary, 62500 bytes
// CHECK: // launch {{.*}} grid(62,1,1) block(256,1,1) params(%[[T]], %[[T]], 0, 15625, 1)
// CHECK: // launch {{.*}} grid(62,1,1) block(256,1,1) params(%0, %0, 0, 64, 15625, 15625, 1, %[[T]], %[[T]], 0, 15625, 1)
// CHECK: // launch [[LAST:.*]] grid(1,1,1) block(256,1,1) params(%[[T]], %[[T]], 0, 15625, 1, %1, %1, 0)
// CHECK-NOT: // launch
// CHECK: .visible .entry [[LAST]](
// CHECK: .shared .align 4 .b8 {{.*}}[1024];
// CHECK-COUNT-4: ld.global.f32
// CHECK: st.shared.f32
// CHECK-COUNT-8: bar.sync 0;
// CHECK-NOT: bar.sync
// CHECK: st.global.f32
