// branches: the paper's Branch-Layer structure over the main region (Plan::kind, node_branch,
// branches, layer_count).
//
// Units. Each GPU region (gpu_regions() over the placed nodes) is one unit, and so is every other
// main-region node; control-flow nodes (If/Loop/Scan) take their bodies with them. Unit edges are
// the data dependences of main_region_deps.h (outer-scope reads by bodies included), deduplicated:
// in/out degree counts distinct producer / consumer units, never graph inputs or constants.
//
// Labels (the paper's): in <= 1 and out <= 1 Sequential, in <= 1 and out > 1 Splitter,
// in > 1 and out <= 1 Merger, in > 1 and out > 1 Split-Merge. A GPU region and every control-flow
// node are Split-Merge whatever their degrees; each of their nodes carries the unit's label.
//
// Branches: maximal chains. An edge u -> v joins u and v into one branch exactly when u has one
// successor, v has one predecessor, and neither is a forced Split-Merge unit. So a Splitter ends
// the branch that reaches it (its work runs before the fork, no extra hand-off), a Merger starts
// a new branch, a Split-Merge node (by degree or forced) is a branch of its own, and a chain of
// Sequential nodes between them is one branch. Every main-region node is in exactly one branch.
//
// Layers: Kahn's algorithm over the branch graph, one wave per layer (a branch's layer is the
// longest chain of branches before it). Branch ids are in (layer, first node's position) order,
// a topological order. Branch preds/succs come from the unit edges between branches.
//
// Runs: after place. Guarantees: each branch's nodes are in a valid execution order; a branch
// with a GPU region has device kGpu (it holds nothing else); nodes inside control-flow bodies
// have node_branch -1 and kind kSequential. O(V + E) over the main region.
//
//   PARALLAX_RETURN_IF_ERROR(build_branches(graph, plan));
#pragma once

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

rt::Status build_branches(const ir::Graph& g, ir::Plan& plan);

}  // namespace parallax::passes
