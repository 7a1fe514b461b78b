// tfjit-opt: runs tfjit's passes (compiler/Passes.td) and MLIR's on an MLIR file, as mlir-opt
// does: `tfjit-opt --tfjit-to-linalg --tfjit-fuse-elementwise in.mlir`. With
// --split-input-file each `// -----` chunk is its own module; with -verify-diagnostics the
// expected-error comments are checked. Every dialect the pipeline uses is registered.
#include "compiler/mlir_support.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char** argv) {
  mlir::registerAllPasses();
  tf::compiler::register_passes();
  mlir::DialectRegistry registry;
  tf::compiler::register_dialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "tfjit-opt: tfjit's and MLIR's passes on MLIR files\n", registry));
}
