// sink_gather: computes only the rows a Gather keeps. When a model reads a few rows of a tensor
// (CLIP's pooled output is the end-of-text token's row of the last layer; a ViT classifier
// reads the class token), every operator that works row by row along the gathered axis can
// run on those rows alone, so the Gather moves up in front of them:
//
//   y = Gather<axis a>(LayerNorm(x + MLP(LayerNorm(x))), idx)
//   ->  g = Gather<a>(x, idx);  y = LayerNorm(g + MLP(LayerNorm(g)))
//
// Starting at a Gather whose indices are a 1-D tensor of L elements (L below the axis' size),
// the pass walks its producers backwards. A node is recomputed on the gathered rows when every
// reader of its output is the Gather or another such node, and it treats rows independently
// along the axis the gather reaches it on:
//   - elementwise unary ops, Cast, Clip, Softmax over another axis;
//   - Add / Sub / Mul / Div / Pow: an operand with the axis is gathered too, one broadcasting
//     along it (size 1, or of lower rank) is read as it is;
//   - LayerNormalization over later axes;
//   - MatMul / FusedMatMul over any axis of A but its last, with a 2-D B; Gemm / FusedGemm over
//     A's rows (transA = 0) with a bias that does not vary by row;
//   - Transpose (the axis is permuted back), Reshape / Flatten where the axis keeps its size and
//     everything in front of it its product, Slice of other axes;
//   - com.parallax.FusedAttention over its query rows: Q and the score operands that vary by
//     row are gathered, the keys and values are not.
// Everything else that must provide gathered rows gets its own Gather, with the same indices.
// The original nodes lose their readers and go. Indices are read as the Gather reads them
// (negative ones count from the end, an index out of range fails the same way), and every
// gathered axis has the original axis' size, so the result is the same.
//
// Preconditions, all checked: static shapes along the way, one output per rewritten node, all
// in the Gather's region. Only scalar-index Gathers (which drop the axis) are left alone.
//
// Runs: after attention-heads (FusedAttention in its final form), before layout and place.
// Guarantees: the Gather's output keeps its id, name and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool sink_gather(ir::Graph& g);

}  // namespace parallax::passes
