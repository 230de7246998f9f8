// eliminate_dead_code: removes nodes none of whose outputs is used.
//
// A node is dead when no output of it is read by any node (in any region) or returned by any
// region. Removal repeats until nothing changes, so whole dead chains go. Control-flow nodes
// (those owning a subgraph region) are kept: removing them would orphan their regions, and
// models rarely leave them unused. ONNX operators have no side effects, so nothing else needs
// to be preserved.
//
// Runs: first, right after import (later passes then never see dead work).
// Guarantees: a verified graph stays verified; node ids are renumbered densely, value ids are
// unchanged (a dead node's outputs stay in the value table with no producer and no uses).
#pragma once

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

rt::Status eliminate_dead_code(ir::Graph& g);

}  // namespace parallax::passes
