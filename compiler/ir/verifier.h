// Checks the IR's structural invariants (graph.h states them).
//
// Verified: every id is in range; each node is listed in exactly the region it names; each
// value has at most one definition (producer, region input or constant) and `producer`
// agrees; every node input is defined earlier in its region, in an enclosing region before
// the owning node, or is a constant; region outputs are defined; kGraph attributes name a
// region owned by their node; kTensor attributes name a constant. Together these imply that
// every region is topologically ordered and acyclic.
//
//   rt::Status s = ir::verify(graph);   // message names the node or value at fault
#pragma once

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::ir {

rt::Status verify(const Graph& g);

}  // namespace parallax::ir
