// plan_memory: one CPU arena for the main region's intermediate values, valid in every
// interleaving the branch schedule allows (Plan::memory).
//
// What goes in the arena: every output of a main-region node whose size is static (dtype with a
// fixed element size, every dim known), graph outputs included. Main-graph inputs are bound by
// the caller and constants live in the weights blob; neither is in the arena. A value without a
// static size is left out (the runtime grows its buffer) and listed in MemoryPlan::unsized; an
// empty one needs no bytes and is left out too. Values inside If/Loop/Scan bodies are allocated
// by the runtime. Graph outputs live to the end
// of the run, so the arena may hold them: Executor::output() views stay valid until the next
// run(), as the executor promises today.
//
// Lifetimes. Value x is written by its producer step and read by its reader steps (a control-flow
// node reads what its bodies read from the main region). x and y may share bytes only if every
// access of x happens before y's producer, or every access of y happens before x's producer,
// under the happens-before relation of plan.h (branches and their succs, which include any
// serialization edges of the schedule). A graph output is never dead. Without branches (the
// pipeline stopped early) the main region is one sequential branch.
//
// In-place. A node whose kernel tolerates writing output 0 over an input (allows_in_place) takes
// that input's bytes when the input has the output's dtype and element count, is not a graph
// output, and every other reader of it happens before the node. The two values then form one
// buffer (in_place_of records the input); chains of such nodes share one buffer. Such kernels:
// elementwise unary and binary ops, views (Reshape, Flatten, ...), and ConvNhwc over its `into`
// input (the chains concat-in-place makes).
//
// Offsets: MemoryPlanner (greedy by size, 64-byte aligned) over the buffers' conflict relation.
// Reported alongside: sequential_bytes, the same procedure (in-place included) on the main
// region as one branch in sequential_order() (serialize_for_memory.h: a topological order of the
// branch DAG close to the region's own order, so a sequential run this plan allows); naive_bytes, one buffer per value; lower_bound_bytes, the
// bytes of a set of buffers that pairwise conflict (heuristic max-weight clique: the heaviest
// live sets of a topological order consistent with the schedule, and each buffer with its
// heaviest neighbours, grown greedily, each pair checked), so no plan with these in-place
// choices fits in less. Sizes are reserved in multiples of 64 bytes.
//
// Runs: after branches (and schedule, when present). Guarantees: verify_memory_plan holds; it is
// checked here in builds without NDEBUG. Errors: internal, when the branches do not order a
// node after the producers of what it reads. Cost: O(values^2) conflict tests, each a few bit
// lookups.
//
//   PARALLAX_RETURN_IF_ERROR(plan_memory(graph, plan));
//   uint64_t arena = plan.memory.arena_bytes;
#pragma once

#include <cstddef>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

rt::Status plan_memory(const ir::Graph& g, ir::Plan& plan);

// True when the CPU kernel of `n` may write its output 0 into the buffer of input `input` when
// both have the same dtype and element count: it reads element i of every input before it writes
// element i of the output and nothing of that input afterwards, or (views) copies nothing when
// the two share bytes. Elementwise unary ops, same-type binary arithmetic/logic ops, and
// Reshape/Flatten/Squeeze/Unsqueeze/Identity of the default domain (see docs/design.md).
bool allows_in_place(const ir::Node& n, size_t input);

}  // namespace parallax::passes
