// RUN-ARGS: --stage ptx
// tf::round (math.roundeven) has no libdevice function: it must still reach PTX, as the NVPTX
// backend's round-to-nearest-even conversion, next to a libdevice function (tanh).
module {
  func.func @main(%x: tensor<1000xf32>) -> tensor<1000xf32> {
    %r = tfjit.unary "round" %x : tensor<1000xf32> -> tensor<1000xf32>
    %t = tfjit.unary "tanh" %r : tensor<1000xf32> -> tensor<1000xf32>
    return %t : tensor<1000xf32>
  }
}
// CHECK: .visible .entry main_kernel(
// CHECK: cvt.rni.f32.f32
// CHECK-NOT: .extern .func
