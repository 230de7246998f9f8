// reassociate_attention: when a few queries attend over a long projected input, multiplies the
// projection weights into the queries and the output instead of into the long input.
//
// Multi-head attention over keys and values projected from an input A [B, S, D] (per head h,
// Wk_h and Wv_h the head's d columns of the projections):
//   scores_h = q_h x (A x Wk_h)^T = (q_h x Wk_h^T) x A^T
//   y_h      = P_h x (A x Wv_h + bv_h) = (P_h x A) x Wv_h + bv_h     (each row of P_h sums to 1)
// The left sides project all S rows of A (S x D x H*d multiply-adds per projection); the right
// sides project the M query rows instead (M x d x D per head) but attend in D dimensions rather
// than d. With few queries and many keys the right side does far less work: Whisper-tiny's
// decoder cross-attention (M = 16 tokens, S = 1500 audio frames, D = 384, 6 heads of 64) falls
// from 461 to 115 million multiply-adds per layer, and the S x D key and value tensors are
// never made. A^T is made once per input and shared by every layer that reads it.
//
//   kt = Mul?(Transpose<0,2,3,1>(Reshape<B,S,H,d>(A x Wk)), ck)
//   v  = Mul?(Transpose<0,2,1,3>(Reshape<B,S,H,d>(A x Wv + bv)), cv)
//   y  = com.parallax.FusedAttention(q, kt, v, score operands...)
//   ->
//   y  = Add(MatMul(FusedAttention(MatMul(q, ck * Wk3), A^T, A, score operands...), cv * Wv3),
//            cv * bv3)
// with Wk3 [H, d, D] and Wv3 [H, D, d] the per-head slices (constants made here) and bv3
// [H, 1, d]. For B > 1, A and A^T are viewed as [B, 1, S, D] and [B, 1, D, S]. The scores keep
// their shape [B, H, M, S], so the score epilogue is unchanged.
//
// Each side (key, value) is rewritten on its own when it matches and pays: its new work at most
// half its old (H M d D + H M S D against S D H d + H M S d, per batch entry); the factor 2
// leaves room for the attention kernel's lower efficiency than a projection GEMM's. A key bias
// bk adds q_h . bk_h to every score of a row, which the Softmax removes, so it is dropped, but
// only when the epilogue is nothing but Add/Sub steps (a Mul, Div or Where would not let the
// row constant through unchanged); otherwise a biased key side stays as it is.
//
// Preconditions, all checked: float32; q [B, H, M, d], kt, v and A with static shapes; the
// projection is MatMul or FusedMatMul without activation, its weight a constant [D, H*d] and
// its bias (if any) a constant [H*d]; every intermediate of a side is read once, by the next
// node of the side (so the key and value tensors really disappear); the scale ck/cv is a
// one-element constant; all in the attention's region.
//
// Numerics: the same products summed in another order (last bits), and the value bias added
// after the weighting (exact up to the rounding of sum(P_h) = 1).
//
// Runs: right after fuse-attention, which makes the FusedAttention nodes it matches.
// Guarantees: y keeps its id, name and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool reassociate_attention(ir::Graph& g);

}  // namespace parallax::passes
