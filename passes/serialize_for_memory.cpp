#include "passes/serialize_for_memory.h"

#include <algorithm>
#include <queue>
#include <tuple>

#include "passes/main_region_deps.h"
#include "passes/plan_memory.h"

namespace parallax::passes {

namespace {

constexpr double kSlack = 1.05;
constexpr int kMaxRounds = 64;
constexpr size_t kPairsPerRound = 16;
constexpr size_t kHighPerRound = 4;

using Branches = std::vector<ir::Branch>;

void add_edge(Branches& br, int32_t from, int32_t to) {
  const auto insert = [](std::vector<int32_t>& v, int32_t x) {
    const auto it = std::lower_bound(v.begin(), v.end(), x);
    if (it == v.end() || *it != x) v.insert(it, x);
  };
  insert(br[from].succs, to);
  insert(br[to].preds, from);
}

bool reaches(const Branches& br, int32_t from, int32_t to, std::vector<int32_t>& seen,
             int32_t stamp) {
  std::vector<int32_t> stack{from};
  seen[from] = stamp;
  while (!stack.empty()) {
    const int32_t b = stack.back();
    stack.pop_back();
    if (b == to) return true;
    for (int32_t s : br[b].succs) {
      if (seen[s] == stamp) continue;
      seen[s] = stamp;
      stack.push_back(s);
    }
  }
  return false;
}

// Branch ids in O's order.
std::vector<int32_t> branch_order(const ir::Graph& g, const ir::Plan& plan) {
  const Branches& br = plan.branches;
  std::vector<int32_t> position(g.nodes.size(), 0);
  for (size_t i = 0; i < g.regions[0].nodes.size(); ++i)
    position[g.regions[0].nodes[i]] = static_cast<int32_t>(i);
  using Key = std::pair<int32_t, int32_t>;  // (first node's position, id)
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> ready;
  const auto key = [&](int32_t b) {
    return Key{br[b].nodes.empty() ? -1 : position[br[b].nodes[0]], b};
  };
  std::vector<size_t> missing(br.size());
  for (size_t b = 0; b < br.size(); ++b)
    if ((missing[b] = br[b].preds.size()) == 0) ready.push(key(static_cast<int32_t>(b)));
  std::vector<int32_t> order;
  while (!ready.empty()) {
    const int32_t b = ready.top().second;
    ready.pop();
    order.push_back(b);
    for (int32_t s : br[b].succs)
      if (--missing[s] == 0) ready.push(key(s));
  }
  return order;
}

// Layers as `branches` defines them, and estimated times that respect the new edges.
void refresh(ir::Plan& plan, const std::vector<int32_t>& topo) {
  Branches& br = plan.branches;
  plan.layer_count = 0;
  for (int32_t b : topo) {
    br[b].layer = 0;
    double ready = br[b].start_us;
    for (int32_t q : br[b].preds) {
      br[b].layer = std::max(br[b].layer, br[q].layer + 1);
      ready = std::max(ready, br[q].finish_us);
    }
    br[b].finish_us += ready - br[b].start_us;
    br[b].start_us = ready;
    plan.layer_count = std::max(plan.layer_count, br[b].layer + 1);
  }
}

// One buffer of the memory plan (an in-place chain), as O sees it.
struct Buffer {
  int32_t first = -1;                // O position of its producer
  int32_t last = -1;                 // O position of its last access
  bool to_end = false;               // holds a graph output
  std::vector<ir::NodeId> accesses;  // every main-region node writing or reading it
};

// Adds the edges that make every access of x happen before y's producer; returns how many.
size_t order_pair(const ir::Plan& plan, Branches& br, const Buffer& x, ir::NodeId y_producer,
                  std::vector<int32_t>& seen, int32_t& stamp) {
  const int32_t to = plan.node_branch[y_producer];
  size_t added = 0;
  for (ir::NodeId a : x.accesses) {
    const int32_t from = plan.node_branch[a];
    if (from == to || reaches(br, from, to, seen, ++stamp)) continue;
    add_edge(br, from, to);
    ++added;
  }
  return added;
}

// ancestors[b]: b reaches `of` through succs (so everything in b happens before `of`).
std::vector<bool> ancestors(const Branches& br, int32_t of) {
  std::vector<bool> mark(br.size(), false);
  std::vector<int32_t> stack{of};
  while (!stack.empty()) {
    const int32_t b = stack.back();
    stack.pop_back();
    for (int32_t q : br[b].preds) {
      if (mark[q]) continue;
      mark[q] = true;
      stack.push_back(q);
    }
  }
  return mark;
}

// Orders every access of `x` before `to` (a branch whose ancestors are `anc`) where O does.
size_t order_before(Branches& br, const ir::Plan& plan, const Buffer& x, int32_t to,
                    std::vector<bool>& anc) {
  size_t added = 0;
  for (ir::NodeId a : x.accesses) {
    const int32_t from = plan.node_branch[a];
    if (from == to || anc[from]) continue;
    add_edge(br, from, to);
    anc[from] = true;
    ++added;
  }
  return added;
}

}  // namespace

std::vector<ir::NodeId> sequential_order(const ir::Graph& g, const ir::Plan& plan) {
  if (!plan.has_branches()) return g.regions[0].nodes;
  const std::vector<int32_t> order = branch_order(g, plan);
  if (order.size() != plan.branches.size()) return g.regions[0].nodes;  // a cycle: plan-memory says
  std::vector<ir::NodeId> nodes;
  for (int32_t b : order)
    nodes.insert(nodes.end(), plan.branches[b].nodes.begin(), plan.branches[b].nodes.end());
  return nodes;
}

rt::Status serialize_for_memory(const ir::Graph& g, ir::Plan& plan) {
  if (!plan.has_branches() || plan.branches.size() < 2) return rt::Status::ok();
  Branches& br = plan.branches;
  const MainRegionDeps deps = main_region_deps(g);
  // O is computed once: the edges added below all go forward in it, so it stays the order
  // sequential_order() returns and plan-memory plans for `sequential`.
  const std::vector<ir::NodeId> order = sequential_order(g, plan);
  std::vector<int32_t> pos(g.nodes.size(), -1);
  for (size_t i = 0; i < order.size(); ++i) pos[order[i]] = static_cast<int32_t>(i);
  std::vector<bool> is_output(g.values.size(), false);
  for (ir::ValueId v : g.regions[0].outputs) is_output[v] = true;
  std::vector<ir::NodeId> producer(g.values.size(), -1);
  for (ir::NodeId n : g.regions[0].nodes)
    for (ir::ValueId v : g.nodes[n].outputs)
      if (v >= 0) producer[v] = n;
  std::vector<std::vector<ir::NodeId>> readers(g.values.size());
  for (ir::NodeId n : g.regions[0].nodes)
    for (ir::ValueId v : deps.reads[n]) readers[v].push_back(n);

  std::vector<int32_t> seen(br.size(), 0);
  int32_t stamp = 0;
  bool changed = false;
  for (int round = 0; round < kMaxRounds; ++round) {
    PARALLAX_RETURN_IF_ERROR(plan_memory(g, plan));
    const ir::MemoryPlan& m = plan.memory;
    if (static_cast<double>(m.arena_bytes) <= kSlack * static_cast<double>(m.sequential_bytes))
      break;
    // Buffers by their root value (the start of an in-place chain).
    std::vector<ir::ValueId> root(g.values.size(), -1);
    std::vector<Buffer> buffers(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v) {
      if (m.offset[v] == ir::MemoryPlan::kNotInArena) continue;
      ir::ValueId r = static_cast<ir::ValueId>(v);
      while (m.in_place_of[r] >= 0) r = m.in_place_of[r];
      Buffer& b = buffers[r];
      const ir::NodeId p = producer[v];
      if (r == static_cast<ir::ValueId>(v)) b.first = pos[p];
      b.to_end = b.to_end || is_output[v];
      b.accesses.push_back(p);
      b.accesses.insert(b.accesses.end(), readers[v].begin(), readers[v].end());
      for (ir::NodeId a : b.accesses) b.last = std::max(b.last, pos[a]);
    }
    // Pairs of the lower-bound set that O keeps apart, heaviest first.
    std::vector<std::tuple<uint64_t, uint64_t, ir::ValueId, ir::ValueId>> pairs;
    for (ir::ValueId x : m.lower_bound_set) {
      for (ir::ValueId y : m.lower_bound_set) {
        if (x == y || buffers[x].to_end || buffers[x].last >= buffers[y].first) continue;
        const uint64_t lo = std::min(m.bytes[x], m.bytes[y]), hi = std::max(m.bytes[x], m.bytes[y]);
        pairs.emplace_back(lo, hi, x, y);
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
      if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
      return std::tie(std::get<2>(a), std::get<3>(a)) < std::tie(std::get<2>(b), std::get<3>(b));
    });
    size_t added = 0, ordered = 0;
    for (const auto& [lo, hi, x, y] : pairs) {
      if (ordered == kPairsPerRound) break;
      std::vector<ir::NodeId>& acc = buffers[x].accesses;
      // Latest accesses first: their edges often order the earlier ones already.
      std::sort(acc.begin(), acc.end(),
                [&](ir::NodeId a, ir::NodeId b) { return pos[a] > pos[b]; });
      acc.erase(std::unique(acc.begin(), acc.end()), acc.end());
      const size_t n = order_pair(plan, br, buffers[x], producer[y], seen, stamp);
      added += n;
      if (n > 0) ++ordered;
    }
    if (added == 0) {
      // The heavy set is no longer separable in O, so what is left above the sequential figure
      // is packing: the conflict relation is too far from O's intervals for the planner. The
      // buffers that stick out above it get O's order towards every buffer O keeps apart from
      // them.
      std::vector<ir::ValueId> high;
      for (size_t v = 0; v < g.values.size(); ++v)
        if (m.offset[v] != ir::MemoryPlan::kNotInArena && m.in_place_of[v] < 0 &&
            static_cast<uint64_t>(m.offset[v]) + m.bytes[v] > m.sequential_bytes)
          high.push_back(static_cast<ir::ValueId>(v));
      std::stable_sort(high.begin(), high.end(),
                       [&](ir::ValueId a, ir::ValueId b) { return m.bytes[a] > m.bytes[b]; });
      high.resize(std::min(high.size(), kHighPerRound));
      for (ir::ValueId y : high) {
        const int32_t to = plan.node_branch[producer[y]];
        std::vector<bool> anc = ancestors(br, to);
        for (size_t x = 0; x < g.values.size(); ++x) {
          const Buffer& bx = buffers[x];
          if (bx.first < 0 || static_cast<ir::ValueId>(x) == y) continue;
          if (!bx.to_end && bx.last < buffers[y].first)
            added += order_before(br, plan, bx, to, anc);
          if (!buffers[y].to_end && buffers[y].last < bx.first) {
            std::vector<bool> anc_x = ancestors(br, plan.node_branch[producer[x]]);
            added += order_before(br, plan, buffers[y], plan.node_branch[producer[x]], anc_x);
          }
        }
      }
    }
    if (added == 0) break;
    changed = true;
  }
  if (changed) refresh(plan, branch_order(g, plan));
  plan.memory = ir::MemoryPlan{};
  return rt::Status::ok();
}

}  // namespace parallax::passes
