// The tfjit dialect: the graph that tf::function traces. One op per primitive; elementwise math
// is two ops (unary, binary) whose `fn` names an entry of ops/elementwise_ops.def, so adding
// an elementwise op never touches this file. Public ops broadcast first (tfjit.broadcast_to),
// so elementwise primitives see operands of equal shape.
#ifndef TFJIT_OPS
#define TFJIT_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Tfjit_Dialect : Dialect {
  let name = "tfjit";
  let summary = "Graphs traced from tf::function calls";
  let cppNamespace = "::tfjit";
}

// The op's shape rule (core/shape_rules.h) bound to its attributes and traced types: what a graph
// with unknown dims runs at every call to derive the result's shape, without MLIR
// (compiler/dynamic_shapes.cpp). Ops without it keep their traced (static) shape.
def ShapeRuleOpInterface : OpInterface<"ShapeRuleOpInterface"> {
  let cppNamespace = "::tfjit";
  let methods = [
    InterfaceMethod<"The result's shape from the operands' shapes at a call.",
                    "::tf::core::ShapeRule", "shapeRule", (ins)>,
  ];
}
defvar WithShapeRule = DeclareOpInterfaceMethods<ShapeRuleOpInterface>;

// Every operand and result is a tensor of a dtype compiled code handles (ir/dialect.h): a
// parsed graph may hold any MLIR type (complex, f80, !llvm.ptr), and none may reach a lowering.
def TfjitTypes : NativeOpTrait<"TfjitTypes"> { let cppNamespace = "::tfjit"; }

// Runs only in host code (ir/dialect.h): a graph holding such an op runs on the CPU.
def HostOnly : NativeOpTrait<"HostOnly"> { let cppNamespace = "::tfjit"; }

class Tfjit_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfjit_Dialect, mnemonic, !listconcat(traits, [Pure, TfjitTypes])>;

def Tfjit_ConstantOp : Tfjit_Op<"constant", [ConstantLike,
    AllTypesMatch<["value", "output"]>]> {
  let summary = "A tensor constant";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

// The result has the operand's shape, and its element type or i1 (the table's result column).
def Tfjit_UnaryOp : Tfjit_Op<"unary", [WithShapeRule]> {
  let summary = "Elementwise unary op from the op table";
  let arguments = (ins StrAttr:$fn, AnyRankedTensor:$x);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$fn $x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

def Tfjit_BinaryOp : Tfjit_Op<"binary", [AllTypesMatch<["x", "y"]>, WithShapeRule]> {
  let summary = "Elementwise binary op from the op table, on operands of equal type";
  let arguments = (ins StrAttr:$fn, AnyRankedTensor:$x, AnyRankedTensor:$y);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$fn $x `,` $y attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

// An unknown (?) result dim takes its run-time size from x's aligned dim when that is ?, else
// from the first `like` operand whose aligned dim is ? (e.g. the other operand of the binary
// op being broadcast): the graph has no other way to know it. A ? dim of x is never broadcast.
def Tfjit_BroadcastToOp : Tfjit_Op<"broadcast_to", [WithShapeRule]> {
  let summary = "NumPy broadcast of x to the result's shape";
  let arguments = (ins AnyRankedTensor:$x, Variadic<AnyRankedTensor>:$like);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $x (`like` `(` $like^ `:` type($like) `)`)? attr-dict `:` type($x) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tfjit_CastOp : Tfjit_Op<"cast", [WithShapeRule]> {
  let summary = "Elementwise dtype conversion with TensorFlow's rules";
  let arguments = (ins AnyRankedTensor:$x);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tfjit_MatmulOp : Tfjit_Op<"matmul", [DeclareOpInterfaceMethods<InferTypeOpInterface>,
                                          WithShapeRule]> {
  let summary = "Matrix product (m, k) x (k, n) -> (m, n)";
  let arguments = (ins AnyRankedTensor:$a, AnyRankedTensor:$b);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$a `,` $b attr-dict `:` type($a) `,` type($b) `->` type($output)";
}

def Tfjit_ReduceOp : Tfjit_Op<"reduce", [DeclareOpInterfaceMethods<InferTypeOpInterface>,
                                          WithShapeRule]> {
  let summary = "Reduction from ops/reduction_ops.def over axes (sorted, unique, in range)";
  let arguments = (ins StrAttr:$fn, AnyRankedTensor:$x, DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$fn $x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

def Tfjit_SelectOp : Tfjit_Op<"select", [AllTypesMatch<["x", "y", "output"]>, WithShapeRule]> {
  let summary = "Elementwise cond ? x : y, on operands of equal shape";
  let arguments = (ins TensorOf<[I1]>:$cond, AnyRankedTensor:$x, AnyRankedTensor:$y);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$cond `,` $x `,` $y attr-dict `:` type($cond) `,` type($output)";
  let hasVerifier = 1;
}

// A result dim listed in `like_dims` takes its run-time size from a `like` operand: (operand,
// dim) pairs, operand -1 for dims that are static or inferred from the element count (at most
// one such unknown dim). How tf::reshape(x, tf::shape(y)) and shapes computed from tf::shape
// of unknown dims trace.
def Tfjit_ReshapeOp : Tfjit_Op<"reshape", [WithShapeRule]> {
  let summary = "Same elements in row-major order, a new shape";
  let arguments = (ins AnyRankedTensor:$x, Variadic<AnyRankedTensor>:$like,
                       OptionalAttr<DenseI64ArrayAttr>:$like_dims);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $x (`like` `(` $like^ `:` type($like) `)`)? attr-dict `:` type($x) `->` type($output)
  }];
  let builders = [OpBuilder<(ins "::mlir::Type":$output, "::mlir::Value":$x), [{
    build($_builder, $_state, output, x, ::mlir::ValueRange{}, nullptr);
  }]>];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tfjit_TransposeOp : Tfjit_Op<"transpose", [DeclareOpInterfaceMethods<InferTypeOpInterface>,
                                                WithShapeRule]> {
  let summary = "Permutes dimensions: output dim i is input dim perm[i]";
  let arguments = (ins AnyRankedTensor:$x, DenseI64ArrayAttr:$perm);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($output)";
  let hasFolder = 1;
}

def Tfjit_ConcatOp : Tfjit_Op<"concat", [DeclareOpInterfaceMethods<InferTypeOpInterface>,
                                          WithShapeRule]> {
  let summary = "Joins tensors of one element type along an axis";
  let arguments = (ins Variadic<AnyRankedTensor>:$values, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$values attr-dict `:` type($values) `->` type($output)";
}

// concat's inverse, for its gradient when sizes along the axis are known only at the call: the
// parts lend only their sizes there.
def Tfjit_UnconcatOp : Tfjit_Op<"unconcat", [WithShapeRule]> {
  let summary = "Piece `index` of x cut along `axis` at the sizes the `parts` have there";
  let arguments = (ins AnyRankedTensor:$x, Variadic<AnyRankedTensor>:$parts, I64Attr:$axis,
                       I64Attr:$index);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $x `like` `(` $parts `:` type($parts) `)` attr-dict `:` type($x) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Tfjit_SliceOp : Tfjit_Op<"slice", [WithShapeRule]> {
  let summary = "Elements start[d] + stride[d] * i, i < size[d], of each dimension d (size -1: the rest of it)";
  let arguments = (ins AnyRankedTensor:$x, DenseI64ArrayAttr:$start, DenseI64ArrayAttr:$size,
                       DenseI64ArrayAttr:$stride);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

def Tfjit_GatherOp : Tfjit_Op<"gather", [WithShapeRule]> {
  let summary = "Slices of params along axis at integer indices (clamped into range; fail_if reports them)";
  let arguments = (ins AnyRankedTensor:$params, TensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$params `,` $indices attr-dict `:` type($params) `,` type($indices) `->` type($output)";
  let hasVerifier = 1;
}

def Tfjit_ArgReduceOp : Tfjit_Op<"arg_reduce", [WithShapeRule]> {
  let summary = "argmax / argmin along one axis, as int64 indices";
  let arguments = (ins StrAttr:$fn, AnyRankedTensor:$x, I64Attr:$axis);
  let results = (outs TensorOf<[I64]>:$output);
  let assemblyFormat = "$fn $x attr-dict `:` type($x) `->` type($output)";
  let hasVerifier = 1;
}

// The one op with a side effect (so canonicalize/CSE keep it, in order): tf::print at run time.
// `format` is the printed line, with "{}" for each input in turn and literal braces doubled.
def Tfjit_PrintOp : Op<Tfjit_Dialect, "print", [MemoryEffects<[MemWrite]>]> {
  let summary = "Prints a line with the inputs' values each time the graph runs";
  let arguments = (ins StrAttr:$format, Variadic<AnyRankedTensor>:$inputs);
  let assemblyFormat = "$format ($inputs^ `:` type($inputs))? attr-dict";
  let hasVerifier = 1;
}

// Bad input that only the values reveal (an integer divisor that is 0, a gather index out of
// range), which eager ops check before computing: once the graph has run, the call raises
// InvalidArgumentError(message) if `failed` is true. Effectful like print, so it is kept.
def Tfjit_FailIfOp : Op<Tfjit_Dialect, "fail_if", [MemoryEffects<[MemWrite]>]> {
  let summary = "Raises InvalidArgumentError(message) at the end of the call if failed is true";
  let arguments = (ins 0DTensorOf<[I1]>:$failed, StrAttr:$message);
  let assemblyFormat = "$failed `,` $message attr-dict `:` type($failed)";
}

// Each primitive family's ops (ir/families/*.td).
include "TfjitFamilies.td"

#endif  // TFJIT_OPS
