#include "passes/branches.h"

#include <algorithm>
#include <numeric>

#include "passes/main_region_deps.h"
#include "passes/place.h"

namespace parallax::passes {
namespace {

// The main region contracted to units (one per GPU region, one per other node).
struct Units {
  std::vector<int32_t> of;                     // per node id; -1 outside the main region
  std::vector<std::vector<ir::NodeId>> nodes;  // per unit, in execution order
  std::vector<bool> forced;                    // GPU region or control flow: Split-Merge
  std::vector<bool> gpu;
  std::vector<std::vector<int32_t>> preds, succs;  // distinct
};

Units contract(const ir::Graph& g, const ir::Plan& plan, const MainRegionDeps& deps) {
  const std::vector<ir::NodeId>& main = g.regions[0].nodes;
  std::vector<bool> on_gpu(g.nodes.size(), false);
  for (ir::NodeId n : main) on_gpu[n] = plan.device[n] == ir::Device::kGpu;
  int32_t region_count = 0;
  const std::vector<int32_t> region_of = gpu_regions(g, deps, on_gpu, &region_count);

  Units u;
  u.of.assign(g.nodes.size(), -1);
  std::vector<int32_t> unit_of_region(region_count, -1);
  for (ir::NodeId n : main) {
    int32_t* slot = region_of[n] >= 0 ? &unit_of_region[region_of[n]] : nullptr;
    if (!slot || *slot < 0) {
      const int32_t id = static_cast<int32_t>(u.nodes.size());
      u.nodes.emplace_back();
      u.forced.push_back(slot != nullptr || is_control_flow(g.nodes[n]));
      u.gpu.push_back(slot != nullptr);
      if (slot) *slot = id;
    }
    u.of[n] = slot ? *slot : static_cast<int32_t>(u.nodes.size()) - 1;
    u.nodes[u.of[n]].push_back(n);
  }
  // Units are visited one at a time, so a per-unit stamp dedupes their predecessors; each
  // (pred, unit) pair is then found once, which keeps successor lists distinct too.
  const size_t count = u.nodes.size();
  u.preds.resize(count);
  u.succs.resize(count);
  std::vector<int32_t> stamp(count, -1);
  for (size_t x = 0; x < count; ++x) {
    for (ir::NodeId n : u.nodes[x]) {
      for (ir::NodeId p : deps.preds[n]) {
        const int32_t up = u.of[p];
        if (up == static_cast<int32_t>(x) || stamp[up] == static_cast<int32_t>(x)) continue;
        stamp[up] = static_cast<int32_t>(x);
        u.preds[x].push_back(up);
        u.succs[up].push_back(static_cast<int32_t>(x));
      }
    }
  }
  return u;
}

ir::NodeKind label(const Units& u, int32_t x) {
  if (u.forced[x]) return ir::NodeKind::kSplitMerge;
  const bool merges = u.preds[x].size() > 1, splits = u.succs[x].size() > 1;
  if (merges && splits) return ir::NodeKind::kSplitMerge;
  if (merges) return ir::NodeKind::kMerger;
  if (splits) return ir::NodeKind::kSplitter;
  return ir::NodeKind::kSequential;
}

// Kahn's algorithm by waves: sets each branch's layer, returns the number of layers, or -1 when
// some branch was never released (a cycle: a bug in the contraction).
int32_t assign_layers(std::vector<ir::Branch>& branches) {
  std::vector<int32_t> missing(branches.size());
  std::vector<int32_t> wave;
  for (size_t b = 0; b < branches.size(); ++b) {
    missing[b] = static_cast<int32_t>(branches[b].preds.size());
    if (missing[b] == 0) wave.push_back(static_cast<int32_t>(b));
  }
  int32_t layers = 0;
  size_t placed = 0;
  while (!wave.empty()) {
    std::vector<int32_t> next;
    for (int32_t b : wave) {
      branches[b].layer = layers;
      ++placed;
      for (int32_t s : branches[b].succs)
        if (--missing[s] == 0) next.push_back(s);
    }
    wave = std::move(next);
    ++layers;
  }
  return placed == branches.size() ? layers : -1;
}

}  // namespace

rt::Status build_branches(const ir::Graph& g, ir::Plan& plan) {
  if (plan.device.size() != g.nodes.size())
    return rt::Status::internal("branches runs after place: no device for some nodes");
  const MainRegionDeps deps = main_region_deps(g);
  const Units u = contract(g, plan, deps);
  const int32_t unit_count = static_cast<int32_t>(u.nodes.size());

  // Chain links: next[x] is the unit that continues x's branch, or -1.
  std::vector<int32_t> next(unit_count, -1);
  std::vector<bool> continued(unit_count, false);
  for (int32_t x = 0; x < unit_count; ++x) {
    if (u.forced[x] || u.succs[x].size() != 1) continue;
    const int32_t y = u.succs[x][0];
    if (u.forced[y] || u.preds[y].size() != 1) continue;
    next[x] = y;
    continued[y] = true;
  }
  // Each unit has at most one link in and one out and the unit graph is acyclic, so walking
  // from every unit without an incoming link visits every unit exactly once.
  std::vector<ir::Branch> branches;
  std::vector<int32_t> branch_of_unit(unit_count, -1);
  std::vector<std::vector<int32_t>> units_of_branch;
  for (int32_t head = 0; head < unit_count; ++head) {
    if (continued[head]) continue;
    const int32_t b = static_cast<int32_t>(branches.size());
    branches.emplace_back();
    units_of_branch.emplace_back();
    branches[b].device = u.gpu[head] ? ir::Device::kGpu : ir::Device::kCpu;
    for (int32_t x = head; x >= 0; x = next[x]) {
      branch_of_unit[x] = b;
      units_of_branch[b].push_back(x);
      branches[b].nodes.insert(branches[b].nodes.end(), u.nodes[x].begin(), u.nodes[x].end());
    }
  }
  std::vector<int32_t> stamp(branches.size(), -1);
  for (size_t b = 0; b < branches.size(); ++b) {
    for (int32_t x : units_of_branch[b]) {
      for (int32_t up : u.preds[x]) {
        const int32_t bp = branch_of_unit[up];
        if (bp == static_cast<int32_t>(b) || stamp[bp] == static_cast<int32_t>(b)) continue;
        stamp[bp] = static_cast<int32_t>(b);
        branches[b].preds.push_back(bp);
        branches[bp].succs.push_back(static_cast<int32_t>(b));
      }
    }
  }
  const int32_t layers = assign_layers(branches);
  if (layers < 0) return rt::Status::internal("branches: the branch graph has a cycle");

  // Renumber in (layer, first node's position) order, a topological order that reads well.
  std::vector<int32_t> order(branches.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (branches[a].layer != branches[b].layer) return branches[a].layer < branches[b].layer;
    return deps.position[branches[a].nodes[0]] < deps.position[branches[b].nodes[0]];
  });
  std::vector<int32_t> new_id(branches.size());
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<int32_t>(i);
  plan.branches.clear();
  for (int32_t old : order) {
    ir::Branch br = std::move(branches[old]);
    for (int32_t& p : br.preds) p = new_id[p];
    for (int32_t& s : br.succs) s = new_id[s];
    std::sort(br.preds.begin(), br.preds.end());
    std::sort(br.succs.begin(), br.succs.end());
    plan.branches.push_back(std::move(br));
  }

  plan.kind.assign(g.nodes.size(), ir::NodeKind::kSequential);
  plan.node_branch.assign(g.nodes.size(), -1);
  for (ir::NodeId n : g.regions[0].nodes) {
    plan.kind[n] = label(u, u.of[n]);
    plan.node_branch[n] = new_id[branch_of_unit[u.of[n]]];
  }
  plan.layer_count = layers;
  return rt::Status::ok();
}

}  // namespace parallax::passes
