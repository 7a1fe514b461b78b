// tfjit.random_bits: the bits every random op draws (runtime/primitives/random_bits.h gives the
// layout). A pure function of the key and counter operands, which the frontend reads from the
// global generator's state variables and advances, so each call of a compiled function draws
// anew; `stream` (an op seed's hash) is XORed into the key.
def Tfjit_RandomBitsOp : Tfjit_Op<"random_bits"> {
  let summary = "Philox4x32-10 words for a key and a counter, in a tensor of a static shape";
  let arguments = (ins 0DTensorOf<[I64]>:$key, 0DTensorOf<[I64]>:$counter, I64Attr:$stream);
  let results = (outs StaticShapeTensorOf<[I32]>:$output);
  let assemblyFormat = [{
    $key `,` $counter attr-dict `:` type($key) `,` type($counter) `->` type($output)
  }];
}
