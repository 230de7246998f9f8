// fuse_layernorm: recognises layer normalisation written out in elementary ops (as PyTorch
// exports it before opset 17) and replaces it with one ONNX LayerNormalization (opset 17).
//
//   m = ReduceMean(x, axes);  d = Sub(x, m)
//   v = ReduceMean(Pow(d, 2) or Mul(d, d), axes)
//   n = Div(d, Sqrt(Add(v, eps)))
//   y = Add(Mul(n, gamma), beta)         (gamma and beta each optional; operands in any order)
//   ->  y = LayerNormalization(x, gamma or 1, beta) {axis, epsilon = eps}
//
// Preconditions, all checked: x has a float type and known rank; both ReduceMeans keep dims
// and reduce exactly the same trailing axes [axis, rank); d is read only by the variance
// branch and the Div, every other intermediate by the next node alone, all in one region;
// the exponent is the constant 2, eps a one-element constant >= 0; gamma and beta are
// constants of x's type that vary only along the normalised axes and broadcast to them
// without changing the result's shape. The node carries opset 17 (the kernel lookup uses the
// node's opset; the model may import an older one).
//
// Runs: inside canonicalize, after fold_constants (eps, gamma and beta are often Constant
// nodes or Identity copies until then).
// Guarantees: y keeps its id and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_layernorm(ir::Graph& g);

}  // namespace parallax::passes
