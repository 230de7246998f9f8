// fuse_bias: folds an Add of a constant bias into the Conv, Gemm or MatMul before it.
//
//   Add(Conv(x, W[, b]), c)    -> Conv(x, W, b + c)           c per output channel or scalar
//   Add(Gemm(A, B[, C]), c)    -> Gemm(A, B, beta * C + c)    c broadcasts to Gemm's [M, N]
//   Add(MatMul(A, B), c)       -> com.parallax.FusedMatMul(A, B, c as [N])
//                                 c per output column (Y's last dimension) or scalar
//
// Either Add operand may be the product. Preconditions, all checked: the product is read by
// the Add alone, in the same region; c and any existing bias are constants of the product's
// float type; c broadcasts without changing the product's shape (it never adds dimensions)
// and varies at most along the output channel (Conv: axis 1) or column (MatMul: last axis);
// the sizes it needs (Conv's M from W, MatMul's N) are static.
//
// Runs: inside canonicalize, before fuse_activation, so MatMul + Add + Relu becomes one
// FusedMatMul and Conv + Add + Relu one FusedConv.
// Guarantees: the Add's output keeps its id and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_bias(ir::Graph& g);

}  // namespace parallax::passes
