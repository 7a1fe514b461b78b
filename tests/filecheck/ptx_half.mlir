// RUN-ARGS: --stage ptx
// float16 on the GPU: loaded and stored as 16 bits, computed in float; the reduction's f16 zero
// is a 16-bit kernel parameter the plan fills with its bits (0).
module {
  func.func @main(%x: tensor<24x50xf16>) -> tensor<24xf16> {
    %e = tfjit.unary "exp" %x : tensor<24x50xf16> -> tensor<24x50xf16>
    %m = tfjit.binary "multiply" %e, %x : tensor<24x50xf16> -> tensor<24x50xf16>
    %s = tfjit.reduce "reduce_sum" %m {axes = array<i64: 1>, keepdims = false} : tensor<24x50xf16> -> tensor<24xf16>
    return %s : tensor<24xf16>
  }
}
// CHECK: // launch main_kernel grid(1,1,1) block(256,1,1) params({{.*}}, 0)
// CHECK: .visible .entry main_kernel(
// CHECK: ld.param.b16
// CHECK: st.global.b16
// CHECK: .visible .entry main_kernel_0(
// CHECK: ld.global.b16
// CHECK: cvt.f32.f16
// CHECK: cvt.rn.f16.f32
// CHECK-NOT: .extern .func
