// place: chooses CPU or GPU for every node of the main region (Plan::device).
//
// With `--gpu none` (the default) every node runs on the CPU. With a GPU backend:
//   1. candidates: main-region nodes the GPU backend supports (CompileOptions::gpu_supports when
//      a test sets it), never control-flow nodes; their bodies run on the CPU with them;
//   2. regions: the candidates grouped by gpu_regions() below (connected, and each can run as
//      one unit without a cycle through the CPU);
//   3. the paper's offload rule, constants from the device profile: a region goes to the GPU
//      only with >= offload.min_ops operators, >= offload.min_macs MACs, and boundary bytes per
//      MAC <= offload.max_bytes_per_mac (boundary = non-constant values crossing the region's
//      edge, graph inputs and outputs included; a boundary value of unknown size fails the rule);
//   4. regions that fail go back to the CPU (small islands are pruned).
// `--placement-in FILE` replaces steps 1-4 with a user's placement (checked: every main-region
// node named once, "cpu" or "gpu", GPU only where the backend supports the node);
// `--placement-out FILE` writes the final placement (placement_file.h has the format).
// Nodes inside control-flow bodies are CPU, as their owner is.
//
// Runs: after canonicalize (node ids are stable from here on). Needs: a verified graph.
// Guarantees: plan.device has one entry per node id; the graph is unchanged; a user error (bad
// profile, bad placement file, GPU asked of a profile without one) is an invalid-argument Status.
//
//   PARALLAX_RETURN_IF_ERROR(place(graph, plan, options));
#pragma once

#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"
#include "passes/main_region_deps.h"
#include "passes/pipeline.h"

namespace parallax::passes {

rt::Status place(const ir::Graph& g, ir::Plan& plan, const CompileOptions& options);

// Groups the main-region nodes with on_gpu[n] into regions; returns the region id per node id
// (-1 for the others) and sets *count. The nodes are ordered topologically, taking every ready
// CPU node before switching to the GPU and every ready GPU node before switching back (Kahn's
// algorithm, ties by region position); each maximal GPU run of that order, split into its
// connected components, is a region. Regions are therefore intervals of one topological order,
// so contracting each to a single node leaves the graph acyclic. Region ids follow that order.
std::vector<int32_t> gpu_regions(const ir::Graph& g, const MainRegionDeps& deps,
                                 const std::vector<bool>& on_gpu, int32_t* count);

}  // namespace parallax::passes
