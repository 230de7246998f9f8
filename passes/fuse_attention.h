// fuse_attention: replaces attention's score chain with one com.parallax.FusedAttention node,
// so that the scores (M x N per head) are scaled, masked, normalised and consumed while in
// cache instead of going through memory once per node (runtime/kernels/fused/FusedAttention.cpp).
//
//   s = MatMul(q, kt);  s1 = Mul(s, scale);  s2 = Add(s1, bias);  s3 = Where(c, x, s2);
//   p = Softmax(s3) along the last axis;  y = MatMul(p, v)
//   ->  y = com.parallax.FusedAttention(q, kt, v, scale, bias, c, x)
//           {score_ops: ["Mul", "Add", "WhereNot"]}
//
// Between the MatMul and the Softmax the chain may hold up to 8 epilogue steps, in any order:
// Add(s, x) or Add(x, s), Mul likewise, Sub(s, x), Div(s, x) (x float32), Where(c, s, x) or
// Where(c, x, s) (c bool, x float32), and Reshapes that only add or drop leading 1s (Swin's
// per-window mask is added to a [1, windows, heads, N, N] view of the scores). Each step's
// operands must broadcast to the scores [..., M, N] without enlarging them: every dimension 1
// or equal to the scores' (dimensions beyond the scores' rank 1), all statically known. So a
// bias that would broadcast the scores along a new axis, or one of unknown shape, stays
// unfused. Where's condition and fill are taken as inputs, not folded into an additive mask,
// so a mask computed at run time (DistilBERT's padding mask) costs no extra pass over the
// scores; a Cast to bool or an Expand that feeds the condition alone is looked through and
// removed with the chain, since the kernel broadcasts the condition itself.
//
// The first MatMul may be a com.parallax.FusedMatMul without activation: canonicalize folds
// an added constant that broadcasts along the keys only (a fixed key mask, [N]) into a bias,
// which becomes the epilogue's first step, Add.
//
// Preconditions, all checked: q, kt, v and the scores are float32 with known ranks >= 2 (no
// 1-D MatMul operand); the Softmax normalises the last axis (opset 13+: axis -1 or rank - 1;
// before 13 the 2-D coercion at rank - 1, which is the same); after any Reshape the Softmax
// sees the first MatMul's shape again; every intermediate (the scores, each step's result, the
// probabilities) is read by the next node of the chain alone, the probabilities as the second
// MatMul's first input; all nodes of the chain in one region.
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
