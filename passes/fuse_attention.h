// fuse_attention: replaces attention's score chain with one com.parallax.FusedAttention node,
// so that the scores (M x N per head) are normalised and consumed while in cache instead of
// going through memory three times (runtime/kernels/fused/FusedAttention.cpp).
//
//   s = MatMul(q, kt);  p = Softmax(s) along the last axis;  y = MatMul(p, v)
//   ->  y = com.parallax.FusedAttention(q, kt, v)
//
// Preconditions, all checked: q, kt and v are float32 with known ranks >= 2 (no 1-D MatMul
// operand); the Softmax normalises the last axis (opset 13+: axis -1 or rank - 1; before 13
// the 2-D coercion at rank - 1, which is the same); s is read by the Softmax alone and p by
// the second MatMul alone, as its first input, all three nodes in one region. A mask or bias
// added to the scores (an Add or Where between the MatMul and the Softmax) does not match.
//
// Runs: after canonicalize (which folds the scale multiplications and removes the copies
// around the pattern) and before layout and place, which must see the fused node.
// Guarantees: y keeps its id, name and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_attention(ir::Graph& g);

}  // namespace parallax::passes
