// RUN-ARGS: --stage asm
// EXPECT-EXIT: 2
// A float literal for a complex constant (tfjit-fuzz-files, seed 1, mlir case 219): MLIR 19
// parses it into an attribute shorter than its type, and the verifier's diagnostic, printing the
// op, read past it. It is refused before anything prints it.
module {
  func.func @main(%arg0: tensor<64xf32>) -> tensor<64xf32> {
    %0 = tfjit.constant dense<2.000000e+00> : tensor<complex<f32>>
    %1 = tfjit.broadcast_to %0 : tensor<complex<f32>> -> tensor<64xf32>
    %2 = tfjit.binary "multiply" %1, %arg0 : tensor<64xf32> -> tensor<64xf32>
    return %2 : tensor<64xf32>
  }
}
// CHECK: malformed graph: 'tfjit.constant' has a complex constant; compiled code has no complex values
