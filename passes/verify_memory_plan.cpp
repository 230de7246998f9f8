#include "passes/verify_memory_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "passes/plan_memory.h"

namespace parallax::passes {
namespace {

using ir::NodeId;
using ir::ValueId;

rt::Status fail(const std::string& msg) { return rt::Status::internal("memory plan: " + msg); }

std::string value_name(const ir::Graph& g, ValueId v) {
  return "%" + std::to_string(v) + " '" + g.values[v].name + "'";
}

// Happens-before of plan.h, recomputed: per node its branch and index in it, per branch the
// branches a search over succs reaches.
struct HappensBefore {
  std::vector<int32_t> branch, index;
  std::vector<std::vector<bool>> reaches;

  bool operator()(NodeId a, NodeId b) const {
    if (branch[a] == branch[b]) return index[a] < index[b];
    return reaches[branch[a]][branch[b]];
  }
};

rt::Status happens_before(const ir::Graph& g, const ir::Plan& plan, HappensBefore* hb) {
  const std::vector<NodeId>& main = g.regions[0].nodes;
  hb->branch.assign(g.nodes.size(), -1);
  hb->index.assign(g.nodes.size(), -1);
  if (!plan.has_branches()) {
    for (size_t i = 0; i < main.size(); ++i) {
      hb->branch[main[i]] = 0;
      hb->index[main[i]] = static_cast<int32_t>(i);
    }
    hb->reaches.assign(1, std::vector<bool>(1, false));
    return rt::Status::ok();
  }
  const size_t count = plan.branches.size();
  for (size_t b = 0; b < count; ++b) {
    const std::vector<NodeId>& nodes = plan.branches[b].nodes;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (hb->branch[nodes[i]] >= 0)
        return fail("node '" + g.nodes[nodes[i]].name + "' is in two branches");
      hb->branch[nodes[i]] = static_cast<int32_t>(b);
      hb->index[nodes[i]] = static_cast<int32_t>(i);
    }
  }
  for (NodeId n : main)
    if (hb->branch[n] < 0) return fail("node '" + g.nodes[n].name + "' is in no branch");
  hb->reaches.assign(count, std::vector<bool>(count, false));
  for (size_t b = 0; b < count; ++b) {
    std::vector<bool>& seen = hb->reaches[b];
    std::vector<int32_t> stack(plan.branches[b].succs);
    while (!stack.empty()) {
      const int32_t s = stack.back();
      stack.pop_back();
      if (seen[s]) continue;
      seen[s] = true;
      stack.insert(stack.end(), plan.branches[s].succs.begin(), plan.branches[s].succs.end());
    }
    if (seen[b]) return fail("branch " + std::to_string(b) + " is on a cycle");
  }
  return rt::Status::ok();
}

// Per value: the main-region nodes that read it, directly or from inside their bodies (an
// If/Loop/Scan body reads outer values while its owner runs, and returns them through it).
std::vector<std::vector<NodeId>> main_readers(const ir::Graph& g) {
  std::vector<NodeId> top(g.regions.size(), -1);  // per region: the main node that runs it
  for (size_t r = 1; r < g.regions.size(); ++r) {
    NodeId owner = g.regions[r].owner;
    for (size_t depth = 0; owner >= 0 && g.nodes[owner].region != 0 && depth < g.regions.size();
         ++depth)
      owner = g.regions[g.nodes[owner].region].owner;
    top[r] = owner;
  }
  std::vector<std::vector<NodeId>> readers(g.values.size());
  for (size_t m = 0; m < g.nodes.size(); ++m) {
    const ir::RegionId r = g.nodes[m].region;
    const NodeId reader = r == 0 ? static_cast<NodeId>(m) : top[r];
    for (ValueId v : g.nodes[m].inputs)
      if (v >= 0 && reader >= 0) readers[v].push_back(reader);
  }
  for (size_t r = 1; r < g.regions.size(); ++r)
    for (ValueId v : g.regions[r].outputs)
      if (top[r] >= 0) readers[v].push_back(top[r]);
  for (std::vector<NodeId>& list : readers) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return readers;
}

bool main_result(const ir::Graph& g, ValueId v) {
  const NodeId p = g.values[v].producer;
  return p >= 0 && g.nodes[p].region == 0 && !g.values[v].is_constant;
}

rt::Status check_slots(const ir::Graph& g, const ir::MemoryPlan& m) {
  const size_t count = g.values.size();
  if (m.offset.size() != count || m.bytes.size() != count || m.in_place_of.size() != count)
    return fail("tables are not sized to the value count");
  if (m.alignment == 0) return fail("alignment is 0");
  uint64_t naive = 0;
  for (size_t v = 0; v < count; ++v) {
    const ValueId id = static_cast<ValueId>(v);
    if (m.offset[v] == ir::MemoryPlan::kNotInArena) {
      if (m.in_place_of[v] >= 0)
        return fail(value_name(g, id) + " is in place but not in the arena");
      continue;
    }
    const int64_t numel = ir::static_numel(g.values[v]);
    const uint64_t size = static_cast<uint64_t>(numel) * rt::dtype_size(g.values[v].dtype);
    if (!main_result(g, id) || numel < 0 || rt::dtype_size(g.values[v].dtype) == 0)
      return fail(value_name(g, id) + " is in the arena but is no sized main-region result");
    if (m.offset[v] < 0 || m.bytes[v] < size || m.bytes[v] == 0)
      return fail(value_name(g, id) + " has a negative offset or too few bytes reserved");
    if (m.offset[v] % static_cast<int64_t>(m.alignment) != 0)
      return fail(value_name(g, id) + " is not aligned");
    if (static_cast<uint64_t>(m.offset[v]) + m.bytes[v] > m.arena_bytes)
      return fail(value_name(g, id) + " ends past the arena");
    naive += m.bytes[v];
  }
  if (naive != m.naive_bytes) return fail("naive_bytes is not the sum of reserved bytes");
  return rt::Status::ok();
}

rt::Status check_in_place(const ir::Graph& g, const ir::Plan& plan, const HappensBefore& hb,
                          const std::vector<std::vector<NodeId>>& readers) {
  const ir::MemoryPlan& m = plan.memory;
  std::vector<bool> given(g.values.size(), false);
  std::vector<bool> is_output(g.values.size(), false);
  for (ValueId v : g.regions[0].outputs) is_output[v] = true;
  for (size_t y = 0; y < g.values.size(); ++y) {
    const ValueId x = m.in_place_of[y];
    if (x < 0) continue;
    const std::string what =
        value_name(g, static_cast<ValueId>(y)) + " in place of " + value_name(g, x);
    if (x >= static_cast<ValueId>(g.values.size()) || m.offset[x] == ir::MemoryPlan::kNotInArena)
      return fail(what + ": the input is not in the arena");
    const NodeId n = g.values[y].producer;
    const ir::Node& node = g.nodes[n];
    bool allowed = false;
    for (size_t i = 0; i < node.inputs.size(); ++i)
      allowed = allowed || (node.inputs[i] == x && allows_in_place(node, i));
    allowed = allowed && node.outputs.size() == 1 && node.outputs[0] == static_cast<ValueId>(y) &&
              (!plan.placed() || plan.device[n] == ir::Device::kCpu);
    if (!allowed) return fail(what + ": node '" + node.name + "' does not allow it");
    if (m.offset[x] != m.offset[y] || m.bytes[x] != m.bytes[y] ||
        g.values[x].dtype != g.values[y].dtype ||
        ir::static_numel(g.values[x]) != ir::static_numel(g.values[y]))
      return fail(what + ": offset, size, dtype or element count differ");
    if (is_output[x]) return fail(what + ": the input is a graph output");
    if (given[x]) return fail(what + ": the input already gave its bytes to another value");
    given[x] = true;
    for (NodeId r : readers[x])
      if (r != n && !hb(r, n))
        return fail(what + ": node '" + g.nodes[r].name + "' may read the input concurrently");
  }
  return rt::Status::ok();
}

// Values joined by in-place chains share bytes by design: one set per chain, with every access
// of its members.
struct Chains {
  std::vector<int32_t> of;  // per value: chain id (the chain's root value), -1 outside the arena
  std::vector<NodeId> producer;               // per chain root
  std::vector<std::vector<NodeId>> accesses;  // per chain root
  std::vector<bool> to_end;                   // per chain root: holds a graph output
};

Chains chains(const ir::Graph& g, const ir::MemoryPlan& m,
              const std::vector<std::vector<NodeId>>& readers) {
  const size_t count = g.values.size();
  Chains c;
  c.of.assign(count, -1);
  c.producer.assign(count, -1);
  c.accesses.resize(count);
  c.to_end.assign(count, false);
  for (size_t v = 0; v < count; ++v) {
    if (m.offset[v] == ir::MemoryPlan::kNotInArena) continue;
    ValueId root = static_cast<ValueId>(v);
    for (size_t steps = 0; m.in_place_of[root] >= 0 && steps < count; ++steps)
      root = m.in_place_of[root];
    c.of[v] = root;
    c.producer[root] = g.values[root].producer;
    c.accesses[root].push_back(g.values[v].producer);
    c.accesses[root].insert(c.accesses[root].end(), readers[v].begin(), readers[v].end());
  }
  for (ValueId v : g.regions[0].outputs)
    if (c.of[v] >= 0) c.to_end[c.of[v]] = true;
  return c;
}

}  // namespace

rt::Status verify_memory_plan(const ir::Graph& g, const ir::Plan& plan) {
  const ir::MemoryPlan& m = plan.memory;
  PARALLAX_RETURN_IF_ERROR(check_slots(g, m));
  HappensBefore hb;
  PARALLAX_RETURN_IF_ERROR(happens_before(g, plan, &hb));
  const std::vector<std::vector<NodeId>> readers = main_readers(g);
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (!main_result(g, static_cast<ValueId>(v))) continue;
    const NodeId p = g.values[v].producer;
    for (NodeId r : readers[v])
      if (r != p && !hb(p, r))
        return fail("node '" + g.nodes[r].name + "' reads " +
                    value_name(g, static_cast<ValueId>(v)) +
                    " but does not run after its producer '" + g.nodes[p].name + "'");
  }
  PARALLAX_RETURN_IF_ERROR(check_in_place(g, plan, hb, readers));
  const Chains c = chains(g, m, readers);
  const auto dead_before = [&](ValueId a, ValueId b) {  // chain roots
    return !c.to_end[a] && std::all_of(c.accesses[a].begin(), c.accesses[a].end(),
                                       [&](NodeId x) { return hb(x, c.producer[b]); });
  };
  const auto interfere = [&](ValueId u, ValueId v) {
    const ValueId a = c.of[u], b = c.of[v];
    return a != b && !dead_before(a, b) && !dead_before(b, a);
  };

  // Sweep by offset: every pair whose byte ranges intersect must not interfere.
  std::vector<ValueId> placed;
  for (size_t v = 0; v < g.values.size(); ++v)
    if (c.of[v] >= 0 && m.bytes[v] > 0) placed.push_back(static_cast<ValueId>(v));
  std::stable_sort(placed.begin(), placed.end(),
                   [&](ValueId a, ValueId b) { return m.offset[a] < m.offset[b]; });
  std::vector<ValueId> open;
  for (ValueId v : placed) {
    std::erase_if(open, [&](ValueId u) {
      return static_cast<uint64_t>(m.offset[u]) + m.bytes[u] <= static_cast<uint64_t>(m.offset[v]);
    });
    for (ValueId u : open) {
      if (interfere(u, v))
        return fail(value_name(g, u) + " and " + value_name(g, v) +
                    " may be live at the same time but overlap at offset " +
                    std::to_string(m.offset[v]));
    }
    open.push_back(v);
  }

  uint64_t bound = 0;
  for (size_t i = 0; i < m.lower_bound_set.size(); ++i) {
    const ValueId u = m.lower_bound_set[i];
    if (u < 0 || u >= static_cast<ValueId>(g.values.size()) || c.of[u] < 0)
      return fail("lower_bound_set holds a value outside the arena");
    bound += m.bytes[u];
    for (size_t j = 0; j < i; ++j)
      if (!interfere(m.lower_bound_set[j], u))
        return fail("lower_bound_set holds " + value_name(g, m.lower_bound_set[j]) + " and " +
                    value_name(g, u) + ", which need not be live at the same time");
  }
  if (bound != m.lower_bound_bytes) return fail("lower_bound_bytes is not the sum of its set");
  return rt::Status::ok();
}

}  // namespace parallax::passes
