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
