// serialize_for_memory: adds dependency edges between branches where letting them run side by
// side would make the arena more than 5% larger than running the plan sequentially.
//
// The schedule starts every branch as soon as its inputs exist. Branches that depend only on
// early values (the cross-attention K/V projections of every decoder block read only the encoder
// output) may then run long before their results are needed, and under the happens-before
// relation of plan.h all of those results may be live together: plan-memory must give each its
// own bytes. The lower bound of that relation is then far above what one sequential run needs.
//
// Method. O = sequential_order(): a topological order of the current branch DAG that stays close
// to the model's own node order. plan-memory measures both the parallel arena and
// `sequential_bytes` (the same planner on O). While arena > 1.05 x sequential, the pairs of
// buffers in the lower-bound set (pairwise live together under the parallel relation, which is
// what holds the arena up) that O keeps apart (every access of x before y's producer in O) are
// ordered the way O orders them, heaviest pair first, up to kPairsPerRound pairs a round: an
// edge from each branch accessing x to the branch producing y, unless already ordered. Every
// such edge goes forward in O, so the DAG stays acyclic and O stays its sequential order
// (sequential_order picks the same branches, as each was ready there already). Stops when within
// 5%, when a round adds nothing, or after kMaxRounds; in the limit every pair O separates is
// ordered, and the parallel plan is the sequential one.
//
// Afterwards layers and layer_count are recomputed (Kahn, as `branches` defines them) and each
// branch's start_us/finish_us are pushed past its predecessors' finish; processors and threads
// stay as scheduled. Branch ids are kept, so they need no longer be a topological order (the
// runtime orders by edges only). The memory plan is cleared: plan-memory computes the final one.
//
// Runs: after schedule, before plan-memory. Guarantees: preds/succs sorted, unique, mutual,
// acyclic, every earlier edge kept. Cost: per round one plan_memory plus a reachability search
// per candidate edge.
//
//   PARALLAX_RETURN_IF_ERROR(serialize_for_memory(graph, plan));
#pragma once

#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

rt::Status serialize_for_memory(const ir::Graph& g, ir::Plan& plan);

// The main region as one sequential run the branches allow: Kahn over the branch DAG taking the
// ready branch whose first node comes earliest in the region's order, each branch's nodes in its
// own order. Without branches, the region's order. plan-memory's `sequential` figure plans this.
std::vector<ir::NodeId> sequential_order(const ir::Graph& g, const ir::Plan& plan);

}  // namespace parallax::passes
