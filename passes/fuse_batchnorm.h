// fuse_batchnorm: folds an inference-mode BatchNormalization into the Conv or ConvTranspose
// that feeds it, by rewriting the convolution's weights and bias constants.
//
//   y = BN(Conv(x, W, b), scale, B, mean, var)  ->  y = Conv(x, W * k, (b - mean) * k + B)
//   with k = scale / sqrt(var + epsilon) per output channel.
//
// Preconditions, all checked: the convolution's output is read by the BN alone; W, b (if
// any) and the four BN parameters are constants of a float type; each parameter has one value
// per output channel (not spatial=0's per-element form); the BN is in inference mode by the
// same rule its kernel applies (opset 14+: training_mode = 0; before: one output or is_test);
// its extra outputs are unread. New constants are made (W may be shared with other nodes).
//
// Runs: inside canonicalize, before fuse_activation (Conv + BN + Relu becomes one FusedConv).
// Guarantees: y keeps its id and region; the graph stays verified.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool fuse_batchnorm(ir::Graph& g);

}  // namespace parallax::passes
