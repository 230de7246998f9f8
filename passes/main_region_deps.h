// Data dependences between the nodes of the main region, with every control-flow body folded
// into the node that owns it.
//
// A node of an If/Loop/Scan body may read a value of the main region (an ONNX outer-scope
// reference), and a body may return such a value directly. At the level of the main region that
// read belongs to the control-flow node: it cannot start before the producer has finished. place,
// branches and everything that reasons about main-region order use these edges, never
// `Node::inputs` alone.
//
//   MainRegionDeps d = main_region_deps(g);
//   for (ir::NodeId p : d.preds[n]) ...   // n must wait for p
//
// Cost: O(total nodes + total inputs), one pass over every region.
#pragma once

#include <vector>

#include "compiler/ir/graph.h"

namespace parallax::passes {

struct MainRegionDeps {
  // Per node id; empty for nodes outside the main region.
  std::vector<std::vector<ir::ValueId>>
      reads;                                   // distinct non-constant values read, bodies included
  std::vector<std::vector<ir::NodeId>> preds;  // distinct main-region producers of `reads`
  std::vector<std::vector<ir::NodeId>> succs;  // distinct main-region consumers, in region order
  std::vector<int32_t> position;               // per node id: index in regions[0].nodes, or -1
};

MainRegionDeps main_region_deps(const ir::Graph& g);

// The main-region node that runs `n`: `n` itself, or the control-flow node whose body (at any
// depth) holds it.
ir::NodeId top_level_node(const ir::Graph& g, ir::NodeId n);

// True for nodes that own a subgraph region (If, Loop, Scan).
bool is_control_flow(const ir::Node& n);

}  // namespace parallax::passes
