// RUN-ARGS: --stage ptx
// A large elementwise kernel gives each thread 4 elements a block (256) apart: 1024 elements
// per block, the lanes' loads issued before the first store. The size (1027 x 1023, times a
// broadcast row) is not a multiple of 1024, so lanes past the end load the last element and
// store nothing.
module {
  func.func @main(%x: tensor<1027x1023xf32>, %row: tensor<1023xf32>) -> tensor<1027x1023xf32> {
    %b = tfjit.broadcast_to %row : tensor<1023xf32> -> tensor<1027x1023xf32>
    %y = tfjit.binary "multiply" %x, %b : tensor<1027x1023xf32> -> tensor<1027x1023xf32>
    return %y : tensor<1027x1023xf32>
  }
}
// 1027 * 1023 = 1050621 elements: ceil(1050621 / 1024) = 1026 blocks of 256 threads. The index
// arithmetic divides by constants (multiply-high), never by a kernel parameter.
// CHECK: launch main_kernel grid(1026,1,1) block(256,1,1)
// CHECK: .visible .entry main_kernel(
// CHECK-NOT: div.
// CHECK-COUNT-6: ld.global.f32
// CHECK-NOT: div.
// CHECK: st.global.f32
// CHECK-NOT: div.
// CHECK: ret;
