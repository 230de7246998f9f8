// remove_identity: removes Identity nodes and Dropout nodes that run in inference mode.
//
// `y = Identity(x)` goes and every reader of y reads x. Dropout counts as an identity before
// opset 12, and from opset 12 when its training_mode input is absent or a constant false;
// its mask output must be unread. When y is returned by a region (a graph output keeps its
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
