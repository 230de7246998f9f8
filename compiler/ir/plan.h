// The plan: everything the compiler decides about a graph beyond its operators, in one place.
//
// Meaning. The passes after canonicalization fill the plan in pipeline order:
//   place        device[n]: CPU or GPU for every node of the main region
//   branches     kind[n], node_branch[n], branches (maximal Sequential chains of main-region
//                nodes, their predecessor/successor branches) and each branch's layer
//   schedule     processors (core clusters and the GPU queue of the device profile), and per
//                branch its processor, intra-op thread count and estimated start/finish times
//   plan-memory  memory: one CPU arena; an offset per intermediate value; the bounds it is
//                judged against
// Everything refers to the graph by id. Node ids are stable from `place` on (no later pass
// removes or renumbers nodes). Nodes inside If/Loop/Scan bodies belong to the branch of their
// control-flow node and are not planned individually: their node_branch is -1 and their values
// are not in the arena (the runtime allocates them).
//
// Happens-before. Step a happens before step b when they are in the same branch and a comes
// first, or when a's branch reaches b's branch through `succs`. Nothing else orders steps: the
// runtime may run any two branches that are not so ordered at the same time, in any
// interleaving. The memory plan is correct only with respect to this relation.
//
//   ir::Plan plan;
//   passes::run_pipeline(ctx);          // fills ctx.plan
//   std::fputs(ir::print_plan(graph, plan).c_str(), stdout);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"

namespace parallax::ir {

enum class Device : uint8_t { kCpu, kGpu };

// The paper's node labels, from in/out degree over data edges in the main region (a GPU region
// and every control-flow node count as one Split-Merge node).
enum class NodeKind : uint8_t { kSequential, kSplitter, kMerger, kSplitMerge };

const char* device_name(Device d);
const char* node_kind_name(NodeKind k);

// Something a branch can run on: a CPU core cluster or the GPU's command queue.
struct Processor {
  std::string name;      // the profile's cluster name ("cpu", "prime", "big", ...) or "gpu"
  bool gpu = false;
  int32_t cores = 1;     // CPU cores in the cluster (1 for the GPU queue)
  double speed = 1.0;    // relative per-core throughput (the host's fastest cluster = 1.0)
};

struct Branch {
  std::vector<NodeId> nodes;   // main-region nodes in execution order
  std::vector<int32_t> preds;  // branch ids this one waits for (sorted, unique)
  std::vector<int32_t> succs;  // branch ids waiting for this one (sorted, unique)
  int32_t layer = -1;          // Kahn layer over branches (0 = no predecessors)
  Device device = Device::kCpu;
  int32_t processor = -1;      // index into Plan::processors (set by schedule)
  int32_t threads = 1;         // intra-op threads on that processor
  double cost_us = 0;          // estimated run time on its processor with `threads`
  double start_us = 0;         // list-scheduling estimate of its start and finish
  double finish_us = 0;
};

struct MemoryPlan {
  static constexpr int64_t kNotInArena = -1;
  uint64_t alignment = 64;
  std::vector<int64_t> offset;   // per value id: byte offset in the CPU arena, or kNotInArena
  std::vector<uint64_t> bytes;   // per value id: bytes reserved (0 when not in the arena)
  std::vector<ValueId> in_place_of;  // per value id: the input whose bytes it reuses, or -1
  uint64_t arena_bytes = 0;       // the arena this plan needs
  uint64_t lower_bound_bytes = 0; // total bytes of a set of pairwise possibly-live-together values
  std::vector<ValueId> lower_bound_set;  // that set (each pair really interferes)
  uint64_t sequential_bytes = 0;  // the same planner on one sequential topological order
  uint64_t naive_bytes = 0;       // one buffer per value
  std::vector<ValueId> unsized;   // main-region results without a static size: not in the arena
};

struct Plan {
  std::vector<Device> device;         // per node id
  std::vector<NodeKind> kind;         // per node id (main region; others kSequential)
  std::vector<int32_t> node_branch;   // per node id; -1 inside control-flow bodies
  std::vector<Branch> branches;
  int32_t layer_count = 0;
  std::vector<Processor> processors;
  MemoryPlan memory;

  bool placed() const { return !device.empty(); }
  bool has_branches() const { return !node_branch.empty(); }
  bool scheduled() const { return !processors.empty(); }
  bool memory_planned() const { return !memory.offset.empty(); }
};

// Deterministic text form of whatever part of the plan is filled in (`--emit=plan`). When the
// memory plan exists the last line is
//   memory arena=<bytes> lower_bound=<bytes> sequential=<bytes> naive=<bytes>
std::string print_plan(const Graph& g, const Plan& plan);

}  // namespace parallax::ir
