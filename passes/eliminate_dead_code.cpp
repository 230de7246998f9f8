#include "passes/eliminate_dead_code.h"

#include <vector>

namespace parallax::passes {
namespace {

bool owns_region(const ir::Node& n) {
  for (const rt::Attribute& a : n.attrs)
    if (a.kind == rt::Attribute::Kind::kGraph) return true;
  return false;
}

// Drops the nodes with keep[n] == false and renumbers node ids everywhere they appear.
void compact(ir::Graph& g, const std::vector<bool>& keep) {
  std::vector<ir::NodeId> remap(g.nodes.size(), -1);
  std::vector<ir::Node> kept;
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (!keep[n]) continue;
    remap[n] = static_cast<ir::NodeId>(kept.size());
    kept.push_back(std::move(g.nodes[n]));
  }
  g.nodes = std::move(kept);
  for (ir::Value& v : g.values) v.producer = v.producer >= 0 ? remap[v.producer] : -1;
  for (ir::Region& r : g.regions) {
    std::vector<ir::NodeId> nodes;
    for (ir::NodeId n : r.nodes)
      if (remap[n] >= 0) nodes.push_back(remap[n]);
    r.nodes = std::move(nodes);
    if (r.owner >= 0) r.owner = remap[r.owner];
  }
}

}  // namespace

rt::Status eliminate_dead_code(ir::Graph& g) {
  std::vector<bool> keep(g.nodes.size(), true);
  bool changed = true;
  bool any = false;
  while (changed) {
    changed = false;
    std::vector<bool> used(g.values.size(), false);
    for (size_t n = 0; n < g.nodes.size(); ++n) {
      if (!keep[n]) continue;
      for (ir::ValueId v : g.nodes[n].inputs)
        if (v >= 0) used[v] = true;
    }
    for (const ir::Region& r : g.regions)
      for (ir::ValueId v : r.outputs) used[v] = true;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
      if (!keep[n] || owns_region(g.nodes[n])) continue;
      bool live = false;
      for (ir::ValueId v : g.nodes[n].outputs) live = live || (v >= 0 && used[v]);
      if (!live) {
        keep[n] = false;
        changed = any = true;
      }
    }
  }
  if (any) compact(g, keep);
  return rt::Status::ok();
}

}  // namespace parallax::passes
