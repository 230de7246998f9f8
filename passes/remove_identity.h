// remove_identity: removes Identity nodes, Dropout nodes that run in inference mode, Concat
// nodes of one input and Pad nodes that pad nothing.
//
// `y = Identity(x)` goes and every reader of y reads x. Dropout counts as an identity before
// opset 12, and from opset 12 when its training_mode input is absent or a constant false;
// its mask output must be unread. A Concat of one input (DenseNet exports one per block) and a
// Pad whose pads are all zero (an attribute before opset 11, a constant input from 11 on; the
// exporter puts one in front of DenseNet's AveragePools) copy their input unchanged. When y is returned by a region (a graph output keeps its
// name and id), the node goes only if x is produced by a node of the same region that nobody
// else reads: that node then produces y directly. Otherwise (y returns a region input or a
// constant unchanged) the node stays. Identity on a sequence or optional (no tensor dtype)
// stays.
//
// Runs: inside canonicalize, first in each round (later rewrites then see through copies,
// and exporters' weight-sharing Identity chains on initializers turn back into one constant).
// Guarantees: a verified graph stays verified; value ids unchanged; no uses of y remain.
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when the graph changed.
bool remove_identity(ir::Graph& g);

}  // namespace parallax::passes
