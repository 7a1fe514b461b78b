// tfjit.random_bits: the bits every random op draws (runtime/primitives/random_bits.h gives the
// layout). A pure function of the key and counter operands, which the frontend reads from the
// global generator's state variables and advances, so each call of a compiled function draws
// anew; `stream` (an op seed's hash) is XORed into the key. A result with dims unknown while
// tracing takes its shape from `like` (a tensor of that shape, e.g. the input a dropout mask
// covers), read at run time.
def Tfjit_RandomBitsOp : Tfjit_Op<"random_bits", [WithShapeRule]> {
  let summary = "Philox4x32-10 words for a key and a counter, in a tensor of the result's shape";
  let arguments = (ins 0DTensorOf<[I64]>:$key, 0DTensorOf<[I64]>:$counter,
                       Variadic<AnyRankedTensor>:$like, I64Attr:$stream);
  let results = (outs RankedTensorOf<[I32]>:$output);
  let assemblyFormat = [{
    $key `,` $counter (`like` `(` $like^ `:` type($like) `)`)? attr-dict `:` type($key) `,`
    type($counter) `->` type($output)
  }];
  let hasVerifier = 1;
}
