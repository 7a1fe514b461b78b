// The convolution family (core::ConvSpec's canonical layouts: input (batch, spatial...,
// channels), filter (spatial..., channels / groups, out channels)): the convolution and its two
// gradients, each a primitive of its own as in TensorFlow (Conv2DBackpropInput/Filter).
class Tfjit_ConvFamilyOp<string mnemonic, string summary_, string a, string b, string result,
                         dag extra = (ins)>
    : Tfjit_Op<mnemonic, [WithShapeRule, AllElementTypesMatch<[a, b, result]>]> {
  let summary = summary_;
  let arguments = !con((ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                            DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                            DenseI64ArrayAttr:$padding_low, DenseI64ArrayAttr:$padding_high,
                            I64Attr:$groups), extra);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)";
  let hasVerifier = 1;
}

def Tfjit_ConvOp : Tfjit_ConvFamilyOp<"conv",
    "Convolution of lhs (the input) by rhs (the filter) (core::conv_shape)", "lhs", "rhs",
    "output">;
def Tfjit_ConvBackpropInputOp : Tfjit_ConvFamilyOp<"conv_backprop_input",
    "The gradient of a convolution for its input of shape input_shape, from rhs (the output "
    "gradient) and lhs (the filter); a batch of -1 is the output gradient's",
    "lhs", "rhs", "output", (ins DenseI64ArrayAttr:$input_shape)>;
def Tfjit_ConvBackpropFilterOp : Tfjit_ConvFamilyOp<"conv_backprop_filter",
    "The gradient of a convolution for its filter of shape filter_shape, from lhs (the input) "
    "and rhs (the output gradient)",
    "lhs", "rhs", "output", (ins DenseI64ArrayAttr:$filter_shape)>;

// A convolution with its epilogue, act(conv(lhs, rhs) + bias + residual): what
// compiler/lowering/fuse_conv_epilogue.cpp makes of conv -> bias add -> residual add ->
// activation chains in compiled CPU code, for one oneDNN call (bias as the primitive's bias,
// residual as a sum post-op, activation as an eltwise post-op). bias is rank 1 (the output
// channels), residual has the result's type, activation is "" or a unary table op that
// FusedConvOp::activations() lists.
def Tfjit_FusedConvOp : Tfjit_Op<"fused_conv", [WithShapeRule, AttrSizedOperandSegments]> {
  let summary = "act(conv(lhs, rhs) + bias + residual) (core::conv_shape)";
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                       Optional<AnyRankedTensor>:$bias, Optional<AnyRankedTensor>:$residual,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding_low, DenseI64ArrayAttr:$padding_high,
                       I64Attr:$groups, StrAttr:$activation);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^ `:` type($bias))? (`residual` $residual^ `:` type($residual))?
    attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    // The activations oneDNN applies as eltwise post-ops, by their op table names.
    static llvm::ArrayRef<llvm::StringRef> activations();
  }];
}
