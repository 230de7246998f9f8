#include "passes/plan_memory.h"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <utility>

#include "passes/main_region_deps.h"
#include "passes/memory_planner.h"
#include "passes/serialize_for_memory.h"
#include "passes/verify_memory_plan.h"

namespace parallax::passes {

bool allows_in_place(const ir::Node& n, size_t input) {
  // Each of these kernels is elementwise::unary_same or elementwise::binary_same: element i of the
  // output is computed from element i of a full-shape input, read before it is written.
  // clang-format off
  static constexpr std::string_view kUnary[] = {
      "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Celu", "Clip", "Cos",
      "Cosh", "Elu", "Erf", "Exp", "Floor", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Neg",
      "Not", "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh",
      "Softplus", "Softsign", "Sqrt", "Tan", "Tanh", "ThresholdedRelu"};
  static constexpr std::string_view kBinary[] = {
      "Add", "And", "BitShift", "Div", "Mod", "Mul", "Or", "PRelu", "Sub", "Xor"};
  // Views: the kernel (copy_reshaped, Identity) copies nothing when its output is its input.
  static constexpr std::string_view kView[] = {
      "Flatten", "Identity", "Reshape", "Squeeze", "Unsqueeze"};
  // clang-format on
  if (n.outputs.empty() || input >= n.inputs.size()) return false;
  // ConvNhwc's `into` (passes/concat_in_place.h): Y is `into` with the convolution's channel
  // range written over, a range the convolution never reads from `into`.
  if (n.domain == "com.parallax") return n.op_type == "ConvNhwc" && input == 3;
  if (!n.domain.empty()) return false;
  const auto has = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), n.op_type) != std::end(list);
  };
  if (input == 0 && (has(kUnary) || has(kView))) return true;
  return input <= 1 && has(kBinary);
}

namespace {

constexpr uint64_t kAlignment = 64;

// Happens-before over main-region nodes (plan.h): earlier in the same branch, or in a branch
// that reaches this one through succs.
class Order {
 public:
  // The main region in `linear` (every main-region node once, topologically) as one branch.
  static Order sequential(const ir::Graph& g, std::vector<ir::NodeId> linear) {
    Order o;
    o.branch_.assign(g.nodes.size(), 0);
    o.pos_.assign(g.nodes.size(), -1);
    o.linear_ = std::move(linear);
    for (size_t i = 0; i < o.linear_.size(); ++i) o.pos_[o.linear_[i]] = static_cast<int32_t>(i);
    o.later_.assign(1, std::vector<uint64_t>(1, 0));
    return o;
  }

  static rt::Status from_branches(const ir::Graph& g, const ir::Plan& plan, Order* out) {
    Order& o = *out;
    const size_t count = plan.branches.size();
    o.branch_.assign(g.nodes.size(), -1);
    o.pos_.assign(g.nodes.size(), -1);
    for (size_t b = 0; b < count; ++b) {
      const std::vector<ir::NodeId>& nodes = plan.branches[b].nodes;
      for (size_t i = 0; i < nodes.size(); ++i) {
        const ir::NodeId n = nodes[i];
        if (o.branch_[n] >= 0 || plan.node_branch[n] != static_cast<int32_t>(b)) {
          return rt::Status::internal("plan-memory: node '" + g.nodes[n].name +
                                      "' is not in exactly the branch node_branch names");
        }
        o.branch_[n] = static_cast<int32_t>(b);
        o.pos_[n] = static_cast<int32_t>(i);
      }
    }
    for (ir::NodeId n : g.regions[0].nodes) {
      if (o.branch_[n] < 0)
        return rt::Status::internal("plan-memory: node '" + g.nodes[n].name + "' has no branch");
    }
    // Kahn over succs gives a topological order (and finds cycles); `later` is then filled in
    // reverse, each branch taking its successors and everything after them.
    std::vector<int32_t> waiting(count, 0), topo;
    for (const ir::Branch& br : plan.branches)
      for (int32_t s : br.succs) ++waiting[s];
    for (size_t b = 0; b < count; ++b)
      if (waiting[b] == 0) topo.push_back(static_cast<int32_t>(b));
    for (size_t i = 0; i < topo.size(); ++i)
      for (int32_t s : plan.branches[topo[i]].succs)
        if (--waiting[s] == 0) topo.push_back(s);
    if (topo.size() != count)
      return rt::Status::internal("plan-memory: the branch graph has a cycle");
    const size_t words = (count + 63) / 64;
    o.later_.assign(count, std::vector<uint64_t>(words, 0));
    for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
      std::vector<uint64_t>& mine = o.later_[*it];
      for (int32_t s : plan.branches[*it].succs) {
        mine[s / 64] |= uint64_t{1} << (s % 64);
        for (size_t w = 0; w < words; ++w) mine[w] |= o.later_[s][w];
      }
    }
    for (int32_t b : topo)
      for (ir::NodeId n : plan.branches[b].nodes) o.linear_.push_back(n);
    return rt::Status::ok();
  }

  bool before(ir::NodeId a, ir::NodeId b) const {
    const int32_t ba = branch_[a], bb = branch_[b];
    if (ba == bb) return pos_[a] < pos_[b];
    return (later_[ba][bb / 64] >> (bb % 64)) & 1;
  }
  // Every main-region node once, in an order consistent with before().
  const std::vector<ir::NodeId>& linear() const { return linear_; }

 private:
  std::vector<int32_t> branch_, pos_;
  std::vector<std::vector<uint64_t>> later_;
  std::vector<ir::NodeId> linear_;
};

// What plan-memory needs to know about values, independent of the order.
struct Values {
  std::vector<uint64_t> bytes;  // reserved bytes; 0 when not in the arena
  std::vector<bool> in_arena, is_output;
  std::vector<std::vector<ir::NodeId>> readers;  // main-region nodes reading it
  std::vector<ir::ValueId> unsized;
};

Values collect_values(const ir::Graph& g, const MainRegionDeps& deps) {
  Values v;
  const size_t count = g.values.size();
  v.bytes.assign(count, 0);
  v.in_arena.assign(count, false);
  v.is_output.assign(count, false);
  v.readers.resize(count);
  for (ir::ValueId x : g.regions[0].outputs) v.is_output[x] = true;
  for (ir::NodeId n : g.regions[0].nodes) {
    for (ir::ValueId x : deps.reads[n]) v.readers[x].push_back(n);
    for (ir::ValueId y : g.nodes[n].outputs) {
      if (y < 0 || g.values[y].is_constant) continue;
      const int64_t numel = ir::static_numel(g.values[y]);
      const size_t element = rt::dtype_size(g.values[y].dtype);
      if (numel < 0 || element == 0) {
        v.unsized.push_back(y);
        continue;
      }
      if (numel == 0) continue;  // an empty tensor needs no bytes; the runtime gives it a stub
      v.in_arena[y] = true;
      v.bytes[y] = MemoryPlanner::align_up(static_cast<uint64_t>(numel) * element, kAlignment);
    }
  }
  std::sort(v.unsized.begin(), v.unsized.end());
  return v;
}

// Buffers for one order: values merged by in-place reuse, their conflicts and offsets.
struct Packing {
  std::vector<ir::ValueId> in_place_of;         // per value
  std::vector<int32_t> buffer;                  // per value: buffer id, -1 outside the arena
  std::vector<ir::ValueId> root;                // per buffer: its first value
  std::vector<uint64_t> bytes;                  // per buffer
  std::vector<ir::NodeId> producer;             // per buffer: the step that first writes it
  std::vector<std::vector<ir::NodeId>> last;    // per buffer: accesses no other access follows
  std::vector<bool> to_end;                     // per buffer: holds a graph output
  std::vector<std::vector<int32_t>> conflicts;  // per buffer, sorted
  MemoryPlanner::Result placed;
};

// The input of `n` whose bytes its output 0 may take, or -1.
ir::ValueId in_place_input(const ir::Graph& g, const ir::Plan& plan, const Values& v,
                           const Order& order, const std::vector<ir::ValueId>& taken,
                           ir::NodeId n) {
  const ir::Node& node = g.nodes[n];
  if (node.outputs.size() != 1 || node.outputs[0] < 0 || !v.in_arena[node.outputs[0]]) return -1;
  if (plan.placed() && plan.device[n] != ir::Device::kCpu) return -1;
  const ir::ValueId y = node.outputs[0];
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const ir::ValueId x = node.inputs[i];
    if (x < 0 || !v.in_arena[x] || v.is_output[x] || taken[x] >= 0) continue;
    if (!allows_in_place(node, i) || g.values[x].dtype != g.values[y].dtype ||
        ir::static_numel(g.values[x]) != ir::static_numel(g.values[y]))
      continue;
    const bool last = std::all_of(v.readers[x].begin(), v.readers[x].end(),
                                  [&](ir::NodeId r) { return r == n || order.before(r, n); });
    if (last) return x;
  }
  return -1;
}

// Merges values into buffers (in-place chains share one), then keeps only each buffer's last
// accesses: an access followed by another one of the same buffer never decides "dead before".
void make_buffers(const ir::Graph& g, const ir::Plan& plan, const Values& v, const Order& order,
                  Packing& p) {
  const size_t count = g.values.size();
  p.in_place_of.assign(count, -1);
  p.buffer.assign(count, -1);
  std::vector<ir::ValueId> taken(count, -1);  // per value: the output that took its bytes
  // Region order is topological, so an in-place input already has its buffer.
  for (ir::NodeId n : g.regions[0].nodes) {
    const ir::ValueId x = in_place_input(g, plan, v, order, taken, n);
    for (ir::ValueId y : g.nodes[n].outputs) {
      if (y < 0 || !v.in_arena[y]) continue;
      if (x >= 0) {  // then y is the node's only output
        p.in_place_of[y] = x;
        taken[x] = y;
        p.buffer[y] = p.buffer[x];
      } else {
        p.buffer[y] = static_cast<int32_t>(p.root.size());
        p.root.push_back(y);
        p.bytes.push_back(v.bytes[y]);
        p.producer.push_back(n);
        p.last.push_back({n});
        p.to_end.push_back(false);
      }
      const int32_t b = p.buffer[y];
      p.last[b].insert(p.last[b].end(), v.readers[y].begin(), v.readers[y].end());
      if (v.is_output[y]) p.to_end[b] = true;
    }
  }
  for (std::vector<ir::NodeId>& a : p.last) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
    std::vector<ir::NodeId> kept;
    for (ir::NodeId x : a)
      if (std::none_of(a.begin(), a.end(), [&](ir::NodeId y) { return order.before(x, y); }))
        kept.push_back(x);
    a = std::move(kept);
  }
}

Packing pack(const ir::Graph& g, const ir::Plan& plan, const Values& v, const Order& order) {
  Packing p;
  make_buffers(g, plan, v, order, p);
  const size_t buffers = p.root.size();
  const auto dead_before = [&](size_t b, size_t c) {
    return !p.to_end[b] && std::all_of(p.last[b].begin(), p.last[b].end(), [&](ir::NodeId a) {
      return order.before(a, p.producer[c]);
    });
  };
  MemoryPlanner planner(kAlignment);
  for (size_t b = 0; b < buffers; ++b) planner.add_buffer(p.bytes[b]);
  p.conflicts.resize(buffers);
  for (size_t b = 0; b < buffers; ++b) {
    for (size_t c = b + 1; c < buffers; ++c) {
      if (dead_before(b, c) || dead_before(c, b)) continue;
      p.conflicts[b].push_back(static_cast<int32_t>(c));
      p.conflicts[c].push_back(static_cast<int32_t>(b));
      planner.add_conflict(static_cast<int32_t>(b), static_cast<int32_t>(c));
    }
  }
  p.placed = planner.plan();
  return p;
}

// A heavy set of pairwise conflicting buffers. Seeds: the live sets at the heaviest steps of the
// order's linear form (buffers live at one step of an order consistent with the schedule
// conflict pairwise); each seed is grown greedily by the heaviest buffers that conflict with
// all of it. Membership is checked against the conflict relation, never assumed.
std::vector<int32_t> heavy_clique(const ir::Graph& g, const Packing& p, const Order& order) {
  constexpr size_t kSeeds = 8;
  const std::vector<ir::NodeId>& steps = order.linear();
  const int32_t buffers = static_cast<int32_t>(p.root.size());
  if (buffers == 0) return {};
  std::vector<int32_t> at(g.nodes.size(), 0);
  for (size_t i = 0; i < steps.size(); ++i) at[steps[i]] = static_cast<int32_t>(i);
  std::vector<int32_t> first(buffers), last(buffers);
  std::vector<int64_t> live(steps.size() + 1, 0);
  for (int32_t b = 0; b < buffers; ++b) {
    first[b] = last[b] = at[p.producer[b]];
    for (ir::NodeId a : p.last[b]) last[b] = std::max(last[b], at[a]);
    if (p.to_end[b]) last[b] = static_cast<int32_t>(steps.size()) - 1;
    live[first[b]] += static_cast<int64_t>(p.bytes[b]);
    live[last[b] + 1] -= static_cast<int64_t>(p.bytes[b]);
  }
  for (size_t t = 1; t < live.size(); ++t) live[t] += live[t - 1];
  std::vector<int32_t> seeds(steps.size());
  std::iota(seeds.begin(), seeds.end(), 0);
  std::stable_sort(seeds.begin(), seeds.end(),
                   [&](int32_t a, int32_t b) { return live[a] > live[b]; });
  seeds.resize(std::min(seeds.size(), kSeeds));

  std::vector<int32_t> by_size(buffers);
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](int32_t a, int32_t b) { return p.bytes[a] > p.bytes[b]; });
  std::vector<bool> member(buffers, false);
  const auto grow = [&](std::vector<int32_t>& clique, int32_t c) {
    if (member[c]) return;
    for (int32_t m : clique)
      if (!std::binary_search(p.conflicts[m].begin(), p.conflicts[m].end(), c)) return;
    clique.push_back(c);
    member[c] = true;
  };
  std::vector<int32_t> best;
  uint64_t best_bytes = 0;
  const auto keep_best = [&](std::vector<int32_t>& clique) {
    uint64_t bytes = 0;
    for (int32_t c : clique) {
      bytes += p.bytes[c];
      member[c] = false;
    }
    if (bytes > best_bytes) {
      best_bytes = bytes;
      best = std::move(clique);
    }
  };
  for (int32_t t : seeds) {
    std::vector<int32_t> clique;
    for (int32_t c : by_size)
      if (first[c] <= t && t <= last[c]) grow(clique, c);
    for (int32_t c : by_size) grow(clique, c);
    keep_best(clique);
  }
  // Concurrent branches are sequential in the linear order, so their values never share one live
  // set there; seeding with each buffer and its heaviest neighbours finds such cliques.
  std::vector<int32_t> rank(buffers);
  for (int32_t i = 0; i < buffers; ++i) rank[by_size[i]] = i;
  std::vector<int32_t> neighbours;
  for (int32_t b = 0; b < buffers; ++b) {
    neighbours = p.conflicts[b];
    std::sort(neighbours.begin(), neighbours.end(),
              [&](int32_t x, int32_t y) { return rank[x] < rank[y]; });
    std::vector<int32_t> clique;
    grow(clique, b);
    for (int32_t c : neighbours) grow(clique, c);
    keep_best(clique);
  }
  return best;
}

}  // namespace

rt::Status plan_memory(const ir::Graph& g, ir::Plan& plan) {
  Order order;
  if (plan.has_branches()) {
    PARALLAX_RETURN_IF_ERROR(Order::from_branches(g, plan, &order));
  } else {
    order = Order::sequential(g, g.regions[0].nodes);
  }
  const MainRegionDeps deps = main_region_deps(g);
  for (ir::NodeId n : g.regions[0].nodes) {
    for (ir::NodeId p : deps.preds[n]) {
      if (!order.before(p, n)) {
        return rt::Status::internal("plan-memory: the branches do not order node '" +
                                    g.nodes[n].name + "' after node '" + g.nodes[p].name +
                                    "', whose output it reads");
      }
    }
  }
  const Values values = collect_values(g, deps);
  const Packing par = pack(g, plan, values, order);
  const Packing seq = pack(g, plan, values, Order::sequential(g, sequential_order(g, plan)));

  ir::MemoryPlan& m = plan.memory;
  m = ir::MemoryPlan{};
  m.alignment = kAlignment;
  m.offset.assign(g.values.size(), ir::MemoryPlan::kNotInArena);
  m.bytes.assign(g.values.size(), 0);
  m.in_place_of = par.in_place_of;
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (par.buffer[v] < 0) continue;
    m.offset[v] = static_cast<int64_t>(par.placed.offsets[par.buffer[v]]);
    m.bytes[v] = values.bytes[v];
    m.naive_bytes += values.bytes[v];
  }
  m.arena_bytes = par.placed.peak;
  m.sequential_bytes = seq.placed.peak;
  for (int32_t b : heavy_clique(g, par, order)) {
    m.lower_bound_set.push_back(par.root[b]);
    m.lower_bound_bytes += par.bytes[b];
  }
  std::sort(m.lower_bound_set.begin(), m.lower_bound_set.end());
  m.unsized = values.unsized;
#ifndef NDEBUG
  PARALLAX_RETURN_IF_ERROR(verify_memory_plan(g, plan));
#endif
  return rt::Status::ok();
}

}  // namespace parallax::passes
