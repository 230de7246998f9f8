// verify_memory_plan: proves a memory plan safe under every interleaving the branches allow.
//
// Recomputes everything from the graph and the plan, sharing no code with plan_memory except the
// kernel fact allows_in_place: which main-region node reads which value (a control-flow node
// reads what its bodies read), happens-before (plan.h; by a search over branch successors, or
// the main region's order when there are no branches), and which values must stay apart. Checks:
//   - the branches order every node after the producers of the values it reads;
//   - only outputs of main-region nodes with a static size are in the arena, each with at least
//     its size reserved, at an aligned offset, inside arena_bytes;
//   - every in_place_of claim: the op allows it for that input, same offset, bytes, dtype and
//     shape, the input is no graph output and each of its other readers happens before the node,
//     and no input gives its bytes twice;
//   - no two values overlap unless they are in one in-place chain or one is dead (every access
//     of it happens before the other's producer; a graph output is never dead) before the
//     other is produced;
//   - lower_bound_set is pairwise interfering and sums to lower_bound_bytes; naive_bytes is the
//     sum of reserved bytes.
// Returns an internal error naming the values or nodes at fault.
//
// Runs: after plan_memory (which calls it in builds without NDEBUG), and in tests.
// Cost: O(branches * (branches + edges)) for reachability, plus one test per overlapping pair.
//
//   PARALLAX_RETURN_IF_ERROR(verify_memory_plan(graph, plan));
#pragma once

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

rt::Status verify_memory_plan(const ir::Graph& g, const ir::Plan& plan);

}  // namespace parallax::passes
