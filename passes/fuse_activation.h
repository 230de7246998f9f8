// fuse_activation: merges an activation into the Conv, Gemm or MatMul that feeds it.
//
//   Relu / LeakyRelu / Sigmoid / Tanh / HardSigmoid / HardSwish / Clip / com.parallax.Gelu
//   of P(...), SiLU written as Mul(y, Sigmoid(y)), Swish written as
//   Mul(y, Sigmoid(Mul(y, alpha))) (CLIP's QuickGELU, alpha = 1.702) and HardSwish written as
//   Mul(y, HardSigmoid<alpha = 1/6, beta = 1/2>(y)) with y = P(...),
//   where P is Conv, Gemm, MatMul or their com.parallax.Fused* forms without an activation
//   ->  com.parallax.FusedConv / FusedGemm / FusedMatMul(P's inputs) with P's attributes plus
//       activation = the name above ("SiLU" / "Swish" / "HardSwish" for the Mul forms) and
//       activation_params (LeakyRelu: alpha; HardSigmoid: alpha, beta; Clip: min, max with
//       +-inf when open; Swish: alpha, a one-value constant).
//
// Preconditions, all checked: P's output has a float type and is read by the activation
// alone (Mul forms: by exactly the gate (Swish: its scale) and the Mul, the gate's output by
// the Mul alone, Swish's scaled value by the gate alone), in
// the same region; Clip's bounds are constant scalars (a double Clip only when its bounds are
// exact in float, since activation_params are floats).
//
// Runs: inside canonicalize, after fuse_batchnorm, fuse_bias and fuse_gelu, which produce
// the forms it extends.
// Guarantees: the activation's output keeps its id and region; the graph stays verified.
// The fused kernels (runtime/kernels/fused/) compute what the pair computes.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_activation(ir::Graph& g);

}  // namespace parallax::passes
