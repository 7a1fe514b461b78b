// tfjit.reduce_window: a reduction over sliding windows (pooling); `fn` names a line of
// ops/reduction_ops.def, whose identity fills the padding and the dilation gaps.
def Tfjit_ReduceWindowOp : Tfjit_Op<"reduce_window", [WithShapeRule]> {
  let summary = "Windows of x, each combined into one element (core::reduce_window_shape)";
  let arguments = (ins StrAttr:$fn, AnyRankedTensor:$x, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding_low, DenseI64ArrayAttr:$padding_high);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$fn $x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

// tfjit.select_and_scatter: a window max's or min's gradient (runtime/primitives/reduce_window.h):
// x's shape, zero but where each window's first element equal to its extreme y gets g.
def Tfjit_SelectAndScatterOp : Tfjit_Op<"select_and_scatter", [WithShapeRule,
    AllTypesMatch<["x", "output"]>, AllElementTypesMatch<["x", "y", "g"]>]> {
  let summary = "Each window's gradient g to its first element equal to y (x's shape)";
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$y, AnyRankedTensor:$g,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding_low, DenseI64ArrayAttr:$padding_high);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x `,` $y `,` $g attr-dict `:` type($x) `,` type($y) `,` type($g) `->` type($output)";
  let hasVerifier = 1;
}
