// branches on a few thousand random DAGs (some with If nodes whose bodies read earlier values,
// some with random GPU placement through place's cost model): the invariants of branches.h,
// checked against dependences recomputed here, independently of main_region_deps.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "compiler/ir/verifier.h"
#include "passes/branches.h"
#include "passes/place.h"

namespace parallax::test {
namespace {

using ir::NodeKind;
using rt::DType;

struct RandomGraph {
  ir::Graph g;
  std::vector<std::set<ir::NodeId>> preds, succs;  // main-region dependences, bodies folded
};

// `size` main-region nodes; each reads 0-3 earlier outputs (or the input); about one in ten is
// an If whose then-body reads an earlier main value.
RandomGraph random_graph(std::mt19937& rng, int size) {
  RandomGraph r;
  ir::Graph& g = r.g;
  g.add_region("main", -1, -1);
  // Large shapes so the cost model sometimes offloads: 1024x1024 MatMuls are 1.07e9 MACs each.
  const ir::ValueId x = g.add_value("x", DType::kFloat32, {1024, 1024}, true);
  const ir::ValueId cond = g.add_value("cond", DType::kBool, {}, true);
  g.regions[0].inputs = {x, cond};
  std::vector<ir::ValueId> outs;
  std::vector<bool> used;
  auto pick = [&]() -> ir::ValueId {
    if (outs.empty() || rng() % 6 == 0) return x;
    const size_t i = rng() % outs.size();
    used[i] = true;
    return outs[i];
  };
  for (int i = 0; i < size; ++i) {
    const std::string name = "n" + std::to_string(i);
    const ir::ValueId out = g.add_value(name, DType::kFloat32, {1024, 1024}, true);
    if (rng() % 10 == 0) {
      const ir::NodeId n = g.add_node(0, name, "If", "", 17, {cond}, {out});
      std::vector<rt::Attribute> attrs;
      for (const char* arm : {"then_branch", "else_branch"}) {
        const ir::RegionId body = g.add_region(name + "." + arm, 0, n);
        const ir::ValueId t = g.add_value(name + arm, DType::kFloat32, {1024, 1024}, true, body);
        g.add_node(body, name + "_" + arm, "Relu", "", 17, {pick()}, {t});
        g.regions[body].outputs.push_back(t);
        rt::Attribute a;
        a.name = arm;
        a.kind = rt::Attribute::Kind::kGraph;
        a.graph = body;
        attrs.push_back(a);
      }
      g.nodes[n].attrs = attrs;
    } else {
      const int arity = static_cast<int>(rng() % 3) + 1;
      std::vector<ir::ValueId> in;
      for (int k = 0; k < arity; ++k) in.push_back(pick());
      g.add_node(0, name, arity == 2 ? "MatMul" : arity == 1 ? "Relu" : "Sum", "", 17, in, {out});
    }
    outs.push_back(out);
    used.push_back(false);
  }
  for (size_t i = 0; i < outs.size(); ++i)
    if (!used[i]) g.regions[0].outputs.push_back(outs[i]);

  r.preds.resize(g.nodes.size());
  r.succs.resize(g.nodes.size());
  for (size_t m = 0; m < g.nodes.size(); ++m) {
    ir::NodeId top = static_cast<ir::NodeId>(m);
    while (g.nodes[top].region != 0) top = g.regions[g.nodes[top].region].owner;
    for (ir::ValueId v : g.nodes[m].inputs) {
      const ir::NodeId p = v >= 0 ? g.values[v].producer : -1;
      if (p < 0 || g.nodes[p].region != 0 || p == top) continue;
      r.preds[top].insert(p);
      r.succs[p].insert(top);
    }
  }
  return r;
}

void check_invariants(const RandomGraph& r, const ir::Plan& p) {
  const ir::Graph& g = r.g;
  const std::vector<ir::NodeId>& main = g.regions[0].nodes;
  // Every main-region node is in exactly one branch, and node_branch agrees.
  std::vector<int> seen(g.nodes.size(), 0);
  std::vector<int32_t> index_in_branch(g.nodes.size(), -1);
  for (size_t b = 0; b < p.branches.size(); ++b) {
    REQUIRE_FALSE(p.branches[b].nodes.empty());
    for (size_t i = 0; i < p.branches[b].nodes.size(); ++i) {
      const ir::NodeId n = p.branches[b].nodes[i];
      ++seen[n];
      index_in_branch[n] = static_cast<int32_t>(i);
      REQUIRE(p.node_branch[n] == static_cast<int32_t>(b));
      // A branch is all-GPU (one region) or all-CPU.
      REQUIRE(p.device[n] == p.branches[b].device);
    }
  }
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const bool in_main = g.nodes[n].region == 0;
    REQUIRE(seen[n] == (in_main ? 1 : 0));
    if (!in_main) REQUIRE(p.node_branch[n] == -1);
  }
  // Node edges: inside a branch they go forward; across branches they are branch edges, and
  // they could not have been chain links (maximality).
  std::set<std::pair<int32_t, int32_t>> edges;
  for (ir::NodeId n : main) {
    for (ir::NodeId q : r.preds[n]) {
      const int32_t bq = p.node_branch[q], bn = p.node_branch[n];
      if (bq == bn) {
        REQUIRE(index_in_branch[q] < index_in_branch[n]);
        continue;
      }
      edges.insert({bq, bn});
      const NodeKind kq = p.kind[q], kn = p.kind[n];
      const bool q_ends = kq == NodeKind::kSplitter || kq == NodeKind::kSplitMerge;
      const bool n_starts = kn == NodeKind::kMerger || kn == NodeKind::kSplitMerge;
      REQUIRE((q_ends || n_starts));
    }
  }
  // Branch preds/succs are exactly the cross-branch node edges, sorted, mirrored.
  std::set<std::pair<int32_t, int32_t>> listed;
  for (size_t b = 0; b < p.branches.size(); ++b) {
    const ir::Branch& br = p.branches[b];
    REQUIRE(std::is_sorted(br.preds.begin(), br.preds.end()));
    REQUIRE(std::is_sorted(br.succs.begin(), br.succs.end()));
    REQUIRE(std::adjacent_find(br.preds.begin(), br.preds.end()) == br.preds.end());
    for (int32_t q : br.preds) {
      listed.insert({q, static_cast<int32_t>(b)});
      REQUIRE(std::binary_search(p.branches[q].succs.begin(), p.branches[q].succs.end(),
                                 static_cast<int32_t>(b)));
    }
    size_t succ_count = 0;
    for (int32_t s : br.succs) {
      succ_count += std::binary_search(p.branches[s].preds.begin(), p.branches[s].preds.end(),
                                       static_cast<int32_t>(b));
    }
    REQUIRE(succ_count == br.succs.size());
  }
  REQUIRE(listed == edges);
  // Layers: the longest-path layering Kahn's waves produce; ids in (layer, position) order.
  int32_t max_layer = -1;
  for (size_t b = 0; b < p.branches.size(); ++b) {
    const ir::Branch& br = p.branches[b];
    int32_t expect = 0;
    for (int32_t q : br.preds) {
      REQUIRE(q < static_cast<int32_t>(b));
      expect = std::max(expect, p.branches[q].layer + 1);
    }
    REQUIRE(br.layer == expect);
    if (b > 0) REQUIRE(p.branches[b - 1].layer <= br.layer);
    max_layer = std::max(max_layer, br.layer);
  }
  REQUIRE(p.layer_count == max_layer + 1);
  // Labels of CPU nodes (not control flow) follow their degrees, each node its own unit.
  for (ir::NodeId n : main) {
    if (p.device[n] == ir::Device::kGpu || g.nodes[n].op_type == "If") {
      REQUIRE(p.kind[n] == NodeKind::kSplitMerge);
      continue;
    }
    bool touches_gpu = false;
    for (ir::NodeId q : r.preds[n]) touches_gpu = touches_gpu || p.device[q] == ir::Device::kGpu;
    for (ir::NodeId s : r.succs[n]) touches_gpu = touches_gpu || p.device[s] == ir::Device::kGpu;
    if (touches_gpu) continue;  // a region's nodes count once: degrees differ from node counts
    const bool merges = r.preds[n].size() > 1, splits = r.succs[n].size() > 1;
    const NodeKind expect = merges && splits ? NodeKind::kSplitMerge
                            : merges         ? NodeKind::kMerger
                            : splits         ? NodeKind::kSplitter
                                             : NodeKind::kSequential;
    REQUIRE(p.kind[n] == expect);
  }
}

TEST_CASE("branches: invariants hold on random DAGs", "[branches]") {
  std::mt19937 rng(20251212);
  size_t offloaded = 0, pruned = 0;  // by the cost model, over all graphs
  for (int iter = 0; iter < 3000; ++iter) {
    RandomGraph r = random_graph(rng, 1 + static_cast<int>(rng() % 40));
    INFO("iteration " << iter);
    REQUIRE(ir::verify(r.g).is_ok());
    passes::CompileOptions options;
    if (iter % 2) {
      // Half the graphs get GPU placement by the cost model over a random capability table.
      const unsigned mask = rng();
      options.gpu = "opencl";
      options.device_profile = "snapdragon-8-gen-1";
      options.gpu_supports = [mask](const ir::Graph& g, ir::NodeId n) {
        return ((mask >> (n % 31)) & 1) != 0 && g.nodes[n].op_type != "Sum";
      };
    }
    ir::Plan plan;
    REQUIRE(passes::place(r.g, plan, options).is_ok());
    for (ir::NodeId n : r.g.regions[0].nodes) {
      const bool capable =
          options.gpu_supports && r.g.nodes[n].op_type != "If" && options.gpu_supports(r.g, n);
      offloaded += plan.device[n] == ir::Device::kGpu;
      pruned += capable && plan.device[n] == ir::Device::kCpu;
    }
    if (iter % 4 == 2) {
      // A quarter get an arbitrary placement, as a user's --placement-in could.
      for (ir::NodeId n : r.g.regions[0].nodes)
        if (r.g.nodes[n].op_type != "If" && rng() % 3 == 0) plan.device[n] = ir::Device::kGpu;
    }
    const rt::Status s = passes::build_branches(r.g, plan);
    INFO(s.message());
    REQUIRE(s.is_ok());
    check_invariants(r, plan);
  }
  // The generator exercises both outcomes of the offload rule.
  INFO("offloaded " << offloaded << " pruned " << pruned);
  CHECK(offloaded > 1000);
  CHECK(pruned > 1000);
}

}  // namespace
}  // namespace parallax::test
