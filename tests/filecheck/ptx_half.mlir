// RUN-ARGS: --stage ptx
// float16 on the GPU: loaded and stored as 16 bits, computed in float; the reduction's f16 zero
// is a 16-bit constant in the kernel (host constants are copied into kernels, not passed). Rows
// of 50: a block of 64 threads per row, its shares combined in 16-bit shared memory.
module {
  func.func @main(%x: tensor<24x50xf16>) -> tensor<24xf16> {
    %e = tfjit.unary "exp" %x : tensor<24x50xf16> -> tensor<24x50xf16>
    %m = tfjit.binary "multiply" %e, %x : tensor<24x50xf16> -> tensor<24x50xf16>
    %s = tfjit.reduce "reduce_sum" %m {axes = array<i64: 1>, keepdims = false} : tensor<24x50xf16> -> tensor<24xf16>
    return %s : tensor<24xf16>
  }
}
// CHECK: // launch main_kernel grid(24,1,1) block(64,1,1) params(%0, %0, 0, 24, 50, 50, 1, %1, %1, 0, 24, 1)
// CHECK-NOT: // launch
// CHECK: .visible .entry main_kernel(
// CHECK: .shared .align 2 .b8 {{.*}}[128];
// CHECK: ld.global.b16
// CHECK: cvt.f32.f16
// CHECK: cvt.rn.f16.f32
// CHECK: mov.b16 {{.*}}, 0x0000;
// CHECK: st.shared.b16
// CHECK: bar.sync
// CHECK: st.global.b16
// CHECK-NOT: .extern .func
