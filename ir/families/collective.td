// The collectives family: tfjit.all_reduce, the reduction of x over every rank of a communicator
// (runtime/collectives.h; `group` names it in the process's registry, `reduce_op` is
// rt::collectives::ReduceOp). Effectful: every rank must run the same collectives in the same
// order, so none may be removed, merged or reordered. Host only: a graph with a collective is
// compiled for the CPU (NCCL on the GPU's stream is not lowered yet).
def Tfjit_AllReduceOp : Op<Tfjit_Dialect, "all_reduce", [MemoryEffects<[MemWrite]>, TfjitTypes,
    HostOnly, WithShapeRule, AllTypesMatch<["x", "output"]>]> {
  let summary = "x reduced (sum, mean, max, min) over the ranks of a communicator";
  let arguments = (ins AnyRankedTensor:$x, I64Attr:$reduce_op, I64Attr:$group);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
}
