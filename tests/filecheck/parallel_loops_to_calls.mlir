// RUN-ARGS: --stage loops
// A loop nest above the threading threshold runs on tfjit's thread pool: its outer dims collapse
// into the one the pool splits, the innermost stays a loop of its own (contiguous, so it
// vectorises), and the body becomes a function of a range that loads what it captures (here the
// descriptors of the argument and result memrefs) from a struct the caller fills. (A transposed
// read keeps the nest three-dimensional: plain elementwise code is flattened to one dim first.)
module {
  func.func @main(%x: tensor<4x512x256xf32>) -> tensor<4x256x512xf32> {
    %t = tfjit.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<4x512x256xf32> -> tensor<4x256x512xf32>
    %y = tfjit.unary "abs" %t : tensor<4x256x512xf32> -> tensor<4x256x512xf32>
    return %y : tensor<4x256x512xf32>
  }
}
// CHECK: func.func private @tfjit_parallel_for((!llvm.ptr, i64, i64) -> (), !llvm.ptr, i64, i64)
// CHECK: func.func private @main_parallel_0(%[[CTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK-COUNT-2: llvm.load {{.*}} -> !llvm.struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>
// CHECK: arith.index_cast %[[BEGIN]] : i64 to index
// CHECK: arith.index_cast %[[END]] : i64 to index
// The range of the split dim (rows of 512), then the row as an inner loop:
// CHECK-COUNT-2: cf.cond_br
// CHECK: math.absf
// CHECK: func.func @main(
// CHECK-DAG: %[[N:.*]] = arith.constant 1024 : i64
// CHECK-DAG: %[[GRAIN:.*]] = arith.constant 128 : i64
// CHECK-DAG: %[[FN:.*]] = constant @main_parallel_0
// CHECK: %[[CONTEXT:.*]] = llvm.alloca {{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>, struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>)>
// CHECK-COUNT-2: llvm.store
// CHECK: call @tfjit_parallel_for(%[[FN]], %[[CONTEXT]], %[[N]], %[[GRAIN]])
// CHECK-NOT: scf.parallel
