// RUN-ARGS: --stage ptx --generated-matmul
// The GPU path: a GEMM and a fused elementwise chain with math functions become CUDA kernels in
// PTX for sm_90: 256 threads per block over the flattened elements, the GEMM's reduction inside
// each thread, libdevice's tanhf and expf linked and inlined (no external calls remain).
module {
  func.func @main(%x: tensor<300x200xf32>, %w: tensor<200x100xf32>) -> tensor<300x100xf32> {
    %y = tfjit.matmul %x, %w : tensor<300x200xf32>, tensor<200x100xf32> -> tensor<300x100xf32>
    %t = tfjit.unary "tanh" %y : tensor<300x100xf32> -> tensor<300x100xf32>
    %e = tfjit.unary "exp" %t : tensor<300x100xf32> -> tensor<300x100xf32>
    return %e : tensor<300x100xf32>
  }
}
// CHECK: .target sm_90
// CHECK-NOT: .extern .func
// CHECK: .visible .entry main_kernel(
// CHECK: mov.u32 {{.*}}%ctaid.x
// CHECK: mov.u32 {{.*}}%tid.x
// CHECK: .visible .entry main_kernel_0(
// CHECK: mul.rn.f32
// CHECK: add.rn.f32
// CHECK: .visible .entry main_kernel_1(
// CHECK: ex2.approx
// CHECK-NOT: .extern .func
