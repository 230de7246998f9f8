// fuse_l2norm: recognises L2 normalisation over the last axis as PyTorch's F.normalize exports
// it and replaces it with one com.parallax.L2Normalize node.
//
//   n = ReduceL2(x, axes = [last], keepdims = 1)
//   c = Clip(n, eps)                     (min only: max(||x||, eps), F.normalize's clamp)
//   e = Expand(c, shape of x)            (optional: Div broadcasts c anyway)
//   y = Div(x, e or c)
//   ->  y = com.parallax.L2Normalize(x) {epsilon = eps}
//
// SwinV2's cosine attention normalises every query and key this way (24 times per image);
// unfused it is four passes over x's shape (the Expand makes a full copy of the norms), fused
// one read and one write per row (runtime/kernels/fused/L2Normalize.cpp).
//
// Preconditions, all checked: x is float32 with a known rank >= 1; the ReduceL2 reduces
// exactly the last axis, keeping it; eps is a one-element float32 constant >= 0 and Clip has
// no max; the Expand yields exactly x's static shape; n, c and e are each read by the next
// node alone, all in one region; the Div's result has x's shape.
//
// Runs: inside canonicalize, after fold_constants (eps and the Expand's shape are often
// computed by Constant / Shape nodes until then).
// Guarantees: y keeps its id and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_l2norm(ir::Graph& g);

}  // namespace parallax::passes
