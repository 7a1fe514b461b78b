// tfjit.scan: the cumulative ops (ops/scan_ops.def names `fn`).
def Tfjit_ScanOp : Tfjit_Op<"scan", [WithShapeRule, AllTypesMatch<["x", "output"]>]> {
  let summary = "Cumulative combination along an axis, inclusive or exclusive, forward or reverse";
  let arguments = (ins StrAttr:$fn, AnyRankedTensor:$x, I64Attr:$axis, BoolAttr:$exclusive,
                       BoolAttr:$reverse);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$fn $x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}
