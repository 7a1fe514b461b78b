// The sorting family: tfjit.argsort (the stable permutation that sorts x along `axis`, as i32)
// and tfjit.take_along_axis (x's elements at `indices` along `axis`); runtime/primitives/sort.h.
def Tfjit_ArgsortOp : Tfjit_Op<"argsort", [WithShapeRule]> {
  let summary = "Indices sorting x along an axis, stable; NaN above every number";
  let arguments = (ins AnyRankedTensor:$x, I64Attr:$axis, BoolAttr:$descending);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

def Tfjit_TakeAlongAxisOp : Tfjit_Op<"take_along_axis", [WithShapeRule,
    AllElementTypesMatch<["x", "output"]>]> {
  let summary = "x's elements at the i32 indices along an axis (core::take_along_axis_shape)";
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$indices, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x `,` $indices attr-dict `:` type($x) `,` type($indices) `->` type($output)";
  let hasVerifier = 1;
}
