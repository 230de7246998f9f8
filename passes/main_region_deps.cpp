#include "passes/main_region_deps.h"

namespace parallax::passes {

bool is_control_flow(const ir::Node& n) {
  for (const rt::Attribute& a : n.attrs)
    if (a.kind == rt::Attribute::Kind::kGraph) return true;
  return false;
}

ir::NodeId top_level_node(const ir::Graph& g, ir::NodeId n) {
  // Bounded walk, as in Graph::region_within: a malformed owner chain must not loop.
  for (size_t steps = 0; n >= 0 && g.nodes[n].region != 0 && steps <= g.regions.size(); ++steps)
    n = g.regions[g.nodes[n].region].owner;
  return n;
}

MainRegionDeps main_region_deps(const ir::Graph& g) {
  const size_t node_count = g.nodes.size();
  MainRegionDeps d;
  d.reads.resize(node_count);
  d.preds.resize(node_count);
  d.succs.resize(node_count);
  d.position.assign(node_count, -1);
  if (g.regions.empty()) return d;
  const std::vector<ir::NodeId>& main = g.regions[0].nodes;
  for (size_t i = 0; i < main.size(); ++i) d.position[main[i]] = static_cast<int32_t>(i);

  // Bodies grouped by the top-level node that runs them, so that each node's reads (its own
  // inputs, then its bodies' references to main-region values) are collected in one sweep and
  // dedupe with a per-value stamp. A body's own values are internal to its control-flow node.
  std::vector<std::vector<ir::RegionId>> bodies(node_count);
  for (size_t r = 1; r < g.regions.size(); ++r) {
    const ir::NodeId top = top_level_node(g, g.regions[r].owner);
    if (top >= 0) bodies[top].push_back(static_cast<ir::RegionId>(r));
  }
  std::vector<ir::NodeId> read_by(g.values.size(), -1);
  for (ir::NodeId n : main) {
    auto add_read = [&](ir::ValueId v, bool outer_only) {
      if (v < 0 || g.values[v].is_constant || read_by[v] == n) return;
      if (outer_only && g.values[v].region != 0) return;
      read_by[v] = n;
      d.reads[n].push_back(v);
    };
    for (ir::ValueId v : g.nodes[n].inputs) add_read(v, false);
    for (ir::RegionId r : bodies[n]) {
      for (ir::NodeId m : g.regions[r].nodes)
        for (ir::ValueId v : g.nodes[m].inputs) add_read(v, true);
      for (ir::ValueId v : g.regions[r].outputs) add_read(v, true);
    }
  }

  // Distinct producers per consumer; consumers are visited in region order, so each producer's
  // successor list is built in order and dedupes by looking at its last entry.
  std::vector<ir::NodeId> pred_stamp(node_count, -1);
  for (ir::NodeId n : main) {
    for (ir::ValueId v : d.reads[n]) {
      const ir::NodeId p = g.values[v].producer;
      if (p < 0 || g.nodes[p].region != 0 || p == n || pred_stamp[p] == n) continue;
      pred_stamp[p] = n;
      d.preds[n].push_back(p);
      d.succs[p].push_back(n);
    }
  }
  return d;
}

}  // namespace parallax::passes
