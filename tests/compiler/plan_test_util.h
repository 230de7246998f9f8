// Helpers for the memory-plan tests: a builder of float-only graphs and a hand-written branch
// table.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"

namespace parallax::test {

// Graph-building shorthand: every value is a float tensor of `floats` elements, every node has
// one output named like it.
struct FloatGraphBuilder {
  ir::Graph g;
  FloatGraphBuilder() { g.add_region("main", -1, -1); }
  ir::ValueId input(const std::string& name, int64_t floats) {
    const ir::ValueId v = g.add_value(name, rt::DType::kFloat32, {floats}, true);
    g.regions[0].inputs.push_back(v);
    return v;
  }
  ir::ValueId node(const std::string& op, std::vector<ir::ValueId> ins, const std::string& out,
                   int64_t floats) {
    const ir::ValueId v = g.add_value(out, rt::DType::kFloat32, {floats}, true);
    g.add_node(0, out, op, "", 17, std::move(ins), {v});
    return v;
  }
  void output(ir::ValueId v) { g.regions[0].outputs.push_back(v); }
};

// Sets the plan's branches: each entry lists node ids in order; edges are (from, to) branch
// pairs. Every node is labelled Sequential; preds and succs come out sorted, as the branches
// pass leaves them.
inline void set_branches(const ir::Graph& g, ir::Plan& plan,
                         const std::vector<std::vector<ir::NodeId>>& nodes,
                         const std::vector<std::pair<int32_t, int32_t>>& edges) {
  plan.branches.assign(nodes.size(), {});
  plan.node_branch.assign(g.nodes.size(), -1);
  plan.kind.assign(g.nodes.size(), ir::NodeKind::kSequential);
  for (size_t b = 0; b < nodes.size(); ++b) {
    plan.branches[b].nodes = nodes[b];
    for (ir::NodeId n : nodes[b]) plan.node_branch[n] = static_cast<int32_t>(b);
  }
  for (auto [from, to] : edges) {
    plan.branches[from].succs.push_back(to);
    plan.branches[to].preds.push_back(from);
  }
  for (ir::Branch& br : plan.branches) {
    std::sort(br.preds.begin(), br.preds.end());
    std::sort(br.succs.begin(), br.succs.end());
  }
}

}  // namespace parallax::test
