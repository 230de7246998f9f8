// attention_heads: lets com.parallax.FusedAttention read and write the heads where the
// projections put them, side by side in the last axis, instead of through the Transposes an
// exporter writes to split and merge them.
//
//   q  = Op?(Transpose<0,2,1,3>(Reshape<B,M,H,d>(xq)), c)      Op: Mul or Div by a scalar
//   kt = Op?(Transpose<0,2,3,1>(Reshape<B,N,H,d>(xk)), c')
//   v  = Transpose<0,2,1,3>(Reshape<B,N,H,dv>(xv))
//   y  = Reshape<B,M,H*dv>(Transpose<0,2,1,3>(FusedAttention(q, kt, v, operands...)))
//   ->
//   y  = FusedAttention(Op?(xq, c), Op?(xk, c'), xv, operands...) {heads: H, score_ops as before}
//
// with xq [B, M, H*d], xk [B, N, H*d], xv [B, N, H*dv]. nn.MultiheadAttention's export of one
// sequence is the rank-3 form of the same: rows first, [R, 1, H*c] split to [R, H, c] and
// permuted by <1,0,2> (keys <1,2,0>, the batch of 1 merged into the heads axis), merged back
// to [M, H*dv]; the projections are then read as [R, H*c] (a Reshape of the same elements
// where they have another shape). A batch above 1 interleaves batches and heads in that axis,
// which `heads` does not describe. Five copies of the activations per
// attention (Whisper's encoder: 3 MB each, per layer) go; the kernel reads each head's columns
// with a row stride of H*d and K transposed in place (its packing does that anyway), and
// writes each head's columns of y. The scalar scale moves to the unsplit tensor, which holds
// the same elements, so every value stays bit for bit what it was; the scores keep their
// shape [B, H, M, N], so the score operands are unchanged.
//
// Preconditions, all checked: the FusedAttention has no `heads` yet; every Reshape and
// Transpose above (and the scale) is read by the next node alone, all in the attention's
// region; the shapes are static and as written, float32; the scale is a one-element float32
// constant. Anything else (another permutation, nn.MultiheadAttention with a batch above 1,
// Whisper's cross-attention after reassociate-attention) stays as it is.
//
// Where the heads are not split that way, kt = Transpose(K) swapping only K's last two axes,
// with K of Q's batch dimensions, becomes K read as rows (key_rows = 1; SwinV2's window
// attention). A K broadcast over the heads keeps its Transpose: the kernel would pack it once
// per head.
//
// Runs: after fuse-attention and reassociate-attention (whose patterns read the split form),
// before layout and place.
// Guarantees: y keeps its id, name and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool attention_heads(ir::Graph& g);

}  // namespace parallax::passes
