// fuse_gelu: recognises the erf form of GELU and replaces it with one com.parallax.Gelu node.
//
//   d = Div(x, sqrt(2))  or  Mul(x, 1/sqrt(2))       (Mul operands in either order)
//   e = Erf(d);  a = Add(e, 1)
//   y = Mul(Mul(x, a), 0.5)  or  Mul(Mul(a, 0.5), x)  or  Mul(Mul(x, 0.5), a)
//   ->  y = com.parallax.Gelu(x)
//
// Preconditions, all checked: x has a float type; every intermediate value is read by the
// next node of the pattern alone, in one region; each constant is a one-element constant of
// x's type that adds no dimensions, equal to sqrt(2), 1/sqrt(2), 1 or 0.5 within the rounding
// of that type (close_to in canonicalize_rewriter.h). Anything else stays as it is.
//
// Runs: inside canonicalize, before fuse_activation (which then fuses MatMul + bias + Gelu).
// Guarantees: y keeps its id and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_gelu(ir::Graph& g);

}  // namespace parallax::passes
