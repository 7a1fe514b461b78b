// tfjit.scatter: updates combined into a copy of x at indices (tf.scatter_nd's layout;
// runtime/primitives/scatter.h). `combiner` is "update" (the last update of an element wins) or a
// reduction of ops/reduction_ops.def (reduce_sum, reduce_prod, reduce_max, reduce_min, ...).
// Rows whose index tuple lies outside x are skipped, as XLA's scatter skips them; the
// op functions check the indices before (tfjit.fail_if).
def Tfjit_ScatterOp : Tfjit_Op<"scatter", [WithShapeRule,
    AllTypesMatch<["x", "output"]>, AllElementTypesMatch<["x", "updates"]>]> {
  let summary = "A copy of x with updates combined in at the index tuples (core::scatter_shape)";
  let arguments = (ins StrAttr:$combiner, AnyRankedTensor:$x, TensorOf<[I32, I64]>:$indices,
                       AnyRankedTensor:$updates);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$combiner $x `,` $indices `,` $updates attr-dict `:` type($x) `,` type($indices) `,` type($updates) `->` type($output)";
  let hasVerifier = 1;
}
