// schedule: gives every branch a processor (a CPU core cluster or the GPU queue), an intra-op
// thread count and estimated start/finish times (Plan::processors, Branch::processor, threads,
// cost_us, start_us, finish_us), adding dependency edges between branches where running them
// side by side would not pay or would not fit the memory budget.
//
// Processors: the profile's CPU clusters, fastest first, each keeping min(its cores, what is left
// of --threads) cores (clusters left with none are dropped); then the GPU queue (one "core") when
// some branch is on the GPU. --threads beyond the profile's cores is an error.
//
// Costs (cost_model.h): a CPU branch takes the sum of cpu_time_us of its nodes on a cluster with
// t threads; a GPU branch the sum of gpu_time_us plus the transfer of the bytes crossing its
// boundary. A dependency between branches on different processors costs sync_overhead_us.
//
// Method, in order (docs/design.md "schedule" has the reasons and examples):
//   1. Only when it pays (the paper's rule): in each layer of `branches`, its CPU branches may
//      run side by side only if each has more than 2 nodes and F_max <= 1.5 F_min (F = one-thread
//      time on the fastest cluster). Otherwise they are chained (edges) in upward-rank order.
//   2. Allotment (MCPA-style): on a virtual machine of all N cores at the fastest cluster's
//      speed, a lone branch (every other branch is its ancestor or descendant) gets N threads,
//      every other CPU branch 1; while the critical path is longer than the work per core
//      (sum of threads x time / N), the critical-path branch whose time drops most gets one more
//      thread, as long as its layer's branches hold fewer than N threads in all.
//   3. List scheduling (HEFT-style): ready branches in order of upward rank (ties: lower id),
//      each to the (processor, threads) with the earliest finish (ties: fewer threads, then lower
//      processor). Threads on processor p: as many as keep the branch no faster than its
//      allotment on the virtual machine (so more on a slower cluster); a lone branch all of p's
//      cores. A processor of c cores runs several branches at once while their threads sum to
//      <= c (per-core free times, no back-filling).
//   4. Memory budget (--memory-budget, 0 = none): a branch's working memory is branch_memory()
//      below. When branch b is placed, every earlier placed branch x that may run beside it (not
//      an ancestor) with mem(x) + mem(b) > budget gets an edge x -> b; then, while the branches
//      the estimate runs beside b hold more than the budget at some instant, the one of them
//      that finishes first gets an edge to b and b is placed again.
//      If edges were added, steps 2-4 run again on the new graph (edges are kept).
// With one CPU core and no GPU, the branches are then chained in their scheduled order. Finally
// layers are recomputed (Kahn) and branches renumbered in (layer, first node's position) order,
// as `branches` numbers them. A main region without nodes (all folded into constants) has zero
// branches: only the processors are filled in.
//
// Runs: after branches. Guarantees: every branch has a processor of its device and 1 <= threads
// <= that processor's cores; preds/succs stay sorted, unique, mutual and acyclic, and every
// original edge is kept; start_us >= each pred's finish_us; ids are a topological order; with a
// budget, no two branches that may run concurrently have mem sum above it, and at no instant of
// the estimate do the running branches exceed it unless only one runs. Same input, same plan.
//
//   PARALLAX_RETURN_IF_ERROR(schedule(graph, plan, options));
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"
#include "passes/device_profile.h"
#include "passes/pipeline.h"

namespace parallax::passes {

// Loads options.device_profile and schedules with it.
rt::Status schedule(const ir::Graph& g, ir::Plan& plan, const CompileOptions& options);

// The same with a given profile (tests build profiles by hand); options.device_profile unused.
rt::Status schedule(const ir::Graph& g, ir::Plan& plan, const DeviceProfile& profile,
                    const CompileOptions& options);

// The working-memory estimate of step 4, per branch: the peak over its steps of the bytes of
// arena values it holds live. A value it produces lives from that step to its last read in the
// branch (to the branch's end if another branch reads it or it is a graph output); a value from
// another branch lives from the branch's start to its last read. Graph inputs and constants are
// not arena memory. A heuristic: plan-memory computes the real arena.
std::vector<uint64_t> branch_memory(const ir::Graph& g, const ir::Plan& plan);

}  // namespace parallax::passes
