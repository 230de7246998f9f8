#include "passes/schedule.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <numeric>
#include <queue>
#include <set>

#include "passes/cost_model.h"
#include "passes/main_region_deps.h"

namespace parallax::passes {
namespace {

using Branches = std::vector<ir::Branch>;

// The paper's rule for when branches of a layer are worth running side by side.
constexpr size_t kMinOpsToOverlap = 3;  // every branch more than 2 operators
constexpr double kMaxImbalance = 1.5;   // F_max / F_min

// One bit row per branch: sets of branch ids (ancestors, descendants).
class BitRows {
 public:
  BitRows(size_t rows, size_t bits) : words_((bits + 63) / 64), bits_(rows * words_, 0) {}
  bool test(size_t r, size_t i) const { return (bits_[r * words_ + i / 64] >> (i % 64)) & 1; }
  // Row r gains i and everything in row i.
  void add(size_t r, size_t i) {
    for (size_t w = 0; w < words_; ++w) bits_[r * words_ + w] |= bits_[i * words_ + w];
    bits_[r * words_ + i / 64] |= uint64_t{1} << (i % 64);
  }
  size_t count(size_t r) const {
    size_t n = 0;
    for (size_t w = 0; w < words_; ++w)
      n += static_cast<size_t>(std::popcount(bits_[r * words_ + w]));
    return n;
  }

 private:
  size_t words_;
  std::vector<uint64_t> bits_;
};

void add_edge(Branches& br, int32_t from, int32_t to) {
  auto insert = [](std::vector<int32_t>& v, int32_t x) {
    const auto it = std::lower_bound(v.begin(), v.end(), x);
    if (it == v.end() || *it != x) v.insert(it, x);
  };
  insert(br[from].succs, to);
  insert(br[to].preds, from);
}

// Kahn's algorithm taking the smallest ready id first; shorter than br when there is a cycle.
std::vector<int32_t> topo_order(const Branches& br) {
  std::vector<size_t> missing(br.size());
  std::priority_queue<int32_t, std::vector<int32_t>, std::greater<int32_t>> ready;
  for (size_t b = 0; b < br.size(); ++b)
    if ((missing[b] = br[b].preds.size()) == 0) ready.push(static_cast<int32_t>(b));
  std::vector<int32_t> order;
  while (!ready.empty()) {
    const int32_t b = ready.top();
    ready.pop();
    order.push_back(b);
    for (int32_t s : br[b].succs)
      if (--missing[s] == 0) ready.push(s);
  }
  return order;
}

// Kahn layers (longest chain of predecessors) over a topological order; returns their count.
int32_t assign_layers(Branches& br, const std::vector<int32_t>& topo) {
  int32_t count = 0;
  for (int32_t b : topo) {
    br[b].layer = 0;
    for (int32_t q : br[b].preds) br[b].layer = std::max(br[b].layer, br[q].layer + 1);
    count = std::max(count, br[b].layer + 1);
  }
  return count;
}

std::vector<double> upward_rank(const Branches& br, const std::vector<int32_t>& topo,
                                const std::function<double(int32_t)>& weight) {
  std::vector<double> rank(br.size(), 0);
  for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
    double after = 0;
    for (int32_t s : br[*it].succs) after = std::max(after, rank[s]);
    rank[*it] = weight(*it) + after;
  }
  return rank;
}

struct Footprint {
  uint64_t peak = 0;      // working memory (branch_memory)
  uint64_t boundary = 0;  // bytes read from or handed to other branches and the caller
};

// Per branch: a value it touches is live from its production in the branch (from the branch's
// start if another branch or the caller produced it) to its last read in the branch (to the
// branch's end if it is read elsewhere or is a graph output). Only arena values count towards
// the peak: outputs of main-region nodes with a static size.
std::vector<Footprint> footprints(const ir::Graph& g, const ir::Plan& plan) {
  const MainRegionDeps deps = main_region_deps(g);
  const size_t nv = g.values.size();
  std::vector<bool> escapes(nv, false);
  for (ir::ValueId v : g.regions[0].outputs)
    if (v >= 0) escapes[v] = true;
  for (ir::NodeId n : g.regions[0].nodes) {
    for (ir::ValueId v : deps.reads[n]) {
      const ir::NodeId p = g.values[v].producer;
      if (p >= 0 && plan.node_branch[p] != plan.node_branch[n]) escapes[v] = true;
    }
  }
  std::vector<Footprint> out(plan.branches.size());
  std::vector<int32_t> stamp(nv, -1), first(nv, 0), last(nv, 0);
  for (size_t b = 0; b < plan.branches.size(); ++b) {
    const std::vector<ir::NodeId>& nodes = plan.branches[b].nodes;
    const int32_t end = static_cast<int32_t>(nodes.size()) - 1;
    std::vector<ir::ValueId> held;
    auto touch = [&](ir::ValueId v, int32_t i, bool produced) {
      if (stamp[v] != static_cast<int32_t>(b)) {
        stamp[v] = static_cast<int32_t>(b);
        first[v] = produced ? i : 0;
        last[v] = i;
        held.push_back(v);
        if (!produced || escapes[v]) out[b].boundary += value_bytes(g.values[v]);
      }
      last[v] = std::max(last[v], produced && escapes[v] ? end : i);
    };
    for (int32_t i = 0; i <= end; ++i) {
      for (ir::ValueId v : deps.reads[nodes[i]]) touch(v, i, false);
      for (ir::ValueId v : g.nodes[nodes[i]].outputs)
        if (v >= 0) touch(v, i, true);
    }
    std::vector<uint64_t> born(nodes.size() + 1, 0), dead(nodes.size() + 1, 0);
    for (ir::ValueId v : held) {
      if (g.values[v].producer < 0) continue;  // graph input: the caller's memory
      born[first[v]] += value_bytes(g.values[v]);
      dead[last[v] + 1] += value_bytes(g.values[v]);
    }
    uint64_t live = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
      live = live + born[i] - dead[i];
      out[b].peak = std::max(out[b].peak, live);
    }
  }
  return out;
}

// What the scheduler knows, fixed for the whole pass.
struct Model {
  const DeviceProfile* profile = nullptr;
  std::vector<ir::Processor> procs;
  std::vector<ClusterProfile> clusters;  // per CPU processor, cores as kept
  int cpu_cores = 0;                     // N, the cores of all CPU processors
  uint64_t budget = 0;
  // time[b][p][t-1]: branch b on processor p with t threads (empty where p cannot run b);
  // virt[b][t-1]: on the allotment's virtual machine (N cores at the fastest cluster's speed).
  std::vector<std::vector<std::vector<double>>> time;
  std::vector<std::vector<double>> virt;
  std::vector<uint64_t> mem;
};

rt::Status make_processors(const ir::Plan& plan, const DeviceProfile& profile, int threads,
                           Model* m) {
  const int total = profile.total_cores();
  if (profile.clusters.empty())
    return rt::Status::invalid("device profile '" + profile.name + "' has no CPU cluster");
  if (threads < 0 || threads > total) {
    return rt::Status::invalid("--threads " + std::to_string(threads) + ": device profile '" +
                               profile.name + "' has " + std::to_string(total) +
                               " CPU cores; give 1 to " + std::to_string(total) +
                               ", or 0 for all of them");
  }
  int left = threads == 0 ? total : threads;
  for (const ClusterProfile& c : profile.clusters) {
    if (left == 0) break;
    ir::Processor p;
    p.name = c.name;
    // Cluster names come from a user's file and need not be unique.
    for (const ir::Processor& q : m->procs)
      if (q.name == c.name) p.name = c.name + "." + std::to_string(m->procs.size());
    p.cores = std::min(c.cores, left);
    p.speed = c.speed;
    left -= p.cores;
    m->cpu_cores += p.cores;
    m->procs.push_back(p);
    m->clusters.push_back(c);
    m->clusters.back().cores = p.cores;
  }
  const bool gpu_work =
      std::any_of(plan.branches.begin(), plan.branches.end(),
                  [](const ir::Branch& b) { return b.device == ir::Device::kGpu; });
  if (gpu_work) {
    if (!profile.gpu.present) {
      return rt::Status::internal("schedule: some branch is on the GPU but device profile '" +
                                  profile.name + "' has none");
    }
    const double core = profile.clusters[0].gmacs_per_core;
    m->procs.push_back({"gpu", true, 1, core > 0 ? profile.gpu.gmacs / core : 0});
  }
  return rt::Status::ok();
}

void estimate_times(const ir::Graph& g, const ir::Plan& plan, const std::vector<Footprint>& fp,
                    Model* m) {
  const DeviceProfile& profile = *m->profile;
  ClusterProfile virtual_machine = m->clusters[0];
  virtual_machine.cores = m->cpu_cores;
  m->time.assign(plan.branches.size(), std::vector<std::vector<double>>(m->procs.size()));
  m->virt.assign(plan.branches.size(), {});
  for (size_t b = 0; b < plan.branches.size(); ++b) {
    std::vector<NodeCost> costs;
    for (ir::NodeId n : plan.branches[b].nodes) costs.push_back(node_cost(g, n));
    auto total = [&](const std::function<double(const NodeCost&)>& f) {
      double sum = 0;
      for (const NodeCost& c : costs) sum += f(c);
      return sum;
    };
    if (plan.branches[b].device == ir::Device::kGpu) {
      const double t = total([&](const NodeCost& c) { return gpu_time_us(c, profile); }) +
                       transfer_time_us(fp[b].boundary, profile);
      m->time[b].back() = {t};
      m->virt[b] = {t};
      continue;
    }
    for (size_t p = 0; p < m->clusters.size(); ++p) {
      for (int t = 1; t <= m->clusters[p].cores; ++t) {
        m->time[b][p].push_back(
            total([&](const NodeCost& c) { return cpu_time_us(c, m->clusters[p], t, profile); }));
      }
    }
    for (int t = 1; t <= m->cpu_cores; ++t) {
      m->virt[b].push_back(
          total([&](const NodeCost& c) { return cpu_time_us(c, virtual_machine, t, profile); }));
    }
  }
}

// Step 1: chains the CPU branches of every layer where running them side by side does not pay.
void chain_unprofitable_layers(Branches& br, const Model& m) {
  const std::vector<int32_t> topo = topo_order(br);
  std::vector<std::vector<int32_t>> layers(static_cast<size_t>(assign_layers(br, topo)));
  const std::vector<double> rank = upward_rank(br, topo, [&](int32_t b) { return m.virt[b][0]; });
  for (int32_t b : topo)
    if (br[b].device == ir::Device::kCpu) layers[br[b].layer].push_back(b);
  for (std::vector<int32_t>& layer : layers) {
    if (layer.size() < 2) continue;
    bool pays = true;
    double f_min = m.virt[layer[0]][0], f_max = f_min;
    for (int32_t b : layer) {
      pays = pays && br[b].nodes.size() >= kMinOpsToOverlap;
      f_min = std::min(f_min, m.virt[b][0]);
      f_max = std::max(f_max, m.virt[b][0]);
    }
    if (pays && f_max <= kMaxImbalance * f_min) continue;
    std::sort(layer.begin(), layer.end(),
              [&](int32_t a, int32_t b) { return rank[a] != rank[b] ? rank[a] > rank[b] : a < b; });
    for (size_t i = 0; i + 1 < layer.size(); ++i) add_edge(br, layer[i], layer[i + 1]);
  }
}

// lone[b]: every other branch is an ancestor or a descendant of b.
std::vector<bool> lone_branches(const Branches& br, const std::vector<int32_t>& topo) {
  const size_t n = br.size();
  BitRows anc(n, n), desc(n, n);
  for (int32_t b : topo)
    for (int32_t q : br[b].preds) anc.add(b, q);
  for (auto it = topo.rbegin(); it != topo.rend(); ++it)
    for (int32_t s : br[*it].succs) desc.add(*it, s);
  std::vector<bool> lone(n);
  for (size_t b = 0; b < n; ++b) lone[b] = anc.count(b) + desc.count(b) + 1 == n;
  return lone;
}

// Step 2: threads per branch on the virtual machine (GPU branches keep 1). Needs current layers:
// as in MCPA, the threads of one layer's CPU branches never sum to more than N, because plain
// CPA, seeing the fork and join on the critical path, would grow both arms of a diamond.
std::vector<int> allot(const Branches& br, const std::vector<int32_t>& topo,
                       const std::vector<bool>& lone, const Model& m) {
  std::vector<int> t(br.size(), 1);
  std::vector<int> layer_threads(br.size(), 0);
  for (size_t b = 0; b < br.size(); ++b) {
    if (br[b].device != ir::Device::kCpu) continue;
    if (lone[b]) t[b] = m.cpu_cores;  // it gets them in step 3 anyway
    layer_threads[br[b].layer] += t[b];
  }
  auto time = [&](int32_t b) { return m.virt[b][t[b] - 1]; };
  std::vector<double> len(br.size(), 0);  // longest path ending with b
  while (!topo.empty()) {
    int32_t end = topo[0];
    double area = 0;
    for (int32_t b : topo) {
      len[b] = 0;
      for (int32_t q : br[b].preds) len[b] = std::max(len[b], len[q]);
      len[b] += time(b);
      if (len[b] > len[end]) end = b;
      if (br[b].device == ir::Device::kCpu) area += t[b] * time(b) / m.cpu_cores;
    }
    if (len[end] <= area) break;
    int32_t best = -1;
    double best_gain = 0;
    for (int32_t b = end; b >= 0;) {
      if (br[b].device == ir::Device::kCpu && layer_threads[br[b].layer] < m.cpu_cores) {
        const double gain = m.virt[b][t[b] - 1] - m.virt[b][t[b]];
        if (gain > 0 && (best < 0 || gain > best_gain || (gain == best_gain && b < best))) {
          best = b;
          best_gain = gain;
        }
      }
      int32_t prev = -1;  // the predecessor on the critical path (ties: lower id)
      for (int32_t q : br[b].preds)
        if (prev < 0 || len[q] > len[prev]) prev = q;
      b = prev;
    }
    if (best < 0) break;
    ++t[best];
    ++layer_threads[br[best].layer];
  }
  return t;
}

struct Placement {
  int32_t proc = -1;
  int threads = 1;
  double start = 0, finish = 0;
};

// The (processor, threads) where b finishes first; ties: fewer threads, then lower processor.
// The allotment is compute power, not a core count: on processor p, b may use as many threads as
// keep it no faster than `allotted` threads of the virtual machine (more on a slower cluster).
Placement earliest_finish(const Branches& br, int32_t b, const Model& m, int allotted, bool lone,
                          const std::vector<std::vector<double>>& core_free) {
  const double power_us = m.virt[b][allotted - 1] * (1 - 1e-9);
  Placement best;
  for (size_t p = 0; p < m.procs.size(); ++p) {
    if (m.procs[p].gpu != (br[b].device == ir::Device::kGpu)) continue;
    double ready = 0;
    for (int32_t q : br[b].preds) {
      const bool cross = br[q].processor != static_cast<int32_t>(p);
      ready = std::max(ready, br[q].finish_us + (cross ? m.profile->sync_overhead_us : 0));
    }
    std::vector<double> free = core_free[p];
    std::sort(free.begin(), free.end());
    const int cores = m.procs[p].cores;
    int most = lone ? cores : 1;
    while (most < cores && m.time[b][p][most] >= power_us) ++most;
    for (int t = lone ? cores : 1; t <= most; ++t) {
      const double start = std::max(ready, free[t - 1]);
      const double finish = start + m.time[b][p][t - 1];
      if (best.proc < 0 || finish < best.finish || (finish == best.finish && t < best.threads))
        best = {static_cast<int32_t>(p), t, start, finish};
    }
  }
  return best;
}

// Peak memory of b at `at` together with the placed branches `beside` that overlap it.
uint64_t peak_beside(const Branches& br, const Model& m, int32_t b, const Placement& at,
                     const std::vector<int32_t>& beside) {
  uint64_t peak = 0;
  for (int32_t y : beside) {
    const double instant = std::max(at.start, br[y].start_us);
    uint64_t sum = m.mem[b];
    for (int32_t x : beside)
      if (br[x].start_us <= instant && instant < br[x].finish_us) sum += m.mem[x];
    peak = std::max(peak, sum);
  }
  return peak;
}

// Steps 3 and 4; true when the memory budget added edges. `placed` gets the placement order.
bool list_schedule(Branches& br, const Model& m, const std::vector<int>& allotted,
                   const std::vector<bool>& lone, const std::vector<double>& rank,
                   std::vector<int32_t>& placed) {
  const size_t n = br.size();
  std::vector<std::vector<double>> core_free;
  for (const ir::Processor& p : m.procs) core_free.emplace_back(p.cores, 0.0);
  BitRows anc(n, n);
  placed.clear();
  std::vector<size_t> missing(n);
  std::set<std::pair<double, int32_t>> ready;  // (-rank, id)
  for (size_t b = 0; b < n; ++b)
    if ((missing[b] = br[b].preds.size()) == 0) ready.insert({-rank[b], static_cast<int32_t>(b)});
  bool added = false;
  while (!ready.empty()) {
    const int32_t b = ready.begin()->second;
    ready.erase(ready.begin());
    for (int32_t q : br[b].preds) anc.add(b, q);
    auto serialize = [&](int32_t x) {
      add_edge(br, x, b);
      anc.add(b, x);
      added = true;
    };
    // Latest placed first, so an edge from a descendant makes one from its ancestor redundant.
    if (m.budget > 0) {
      for (auto it = placed.rbegin(); it != placed.rend(); ++it)
        if (!anc.test(b, *it) && m.mem[*it] + m.mem[b] > m.budget) serialize(*it);
    }
    Placement at = earliest_finish(br, b, m, allotted[b], lone[b], core_free);
    while (m.budget > 0) {
      std::vector<int32_t> beside;
      for (int32_t x : placed)
        if (!anc.test(b, x) && br[x].start_us < at.finish && at.start < br[x].finish_us)
          beside.push_back(x);
      if (beside.empty() || peak_beside(br, m, b, at, beside) <= m.budget) break;
      serialize(*std::min_element(beside.begin(), beside.end(), [&](int32_t x, int32_t y) {
        return br[x].finish_us != br[y].finish_us ? br[x].finish_us < br[y].finish_us : x < y;
      }));
      at = earliest_finish(br, b, m, allotted[b], lone[b], core_free);
    }
    ir::Branch& branch = br[b];
    branch.processor = at.proc;
    branch.threads = at.threads;
    branch.cost_us = m.time[b][at.proc][at.threads - 1];
    branch.start_us = at.start;
    branch.finish_us = at.finish;
    // Occupy the `threads` cores that free up first (the ones earliest_finish counted on).
    std::vector<double>& free = core_free[at.proc];
    std::vector<size_t> cores(free.size());
    std::iota(cores.begin(), cores.end(), 0);
    std::stable_sort(cores.begin(), cores.end(),
                     [&](size_t x, size_t y) { return free[x] < free[y]; });
    for (int t = 0; t < at.threads; ++t) free[cores[t]] = at.finish;
    placed.push_back(b);
    for (int32_t s : br[b].succs)
      if (--missing[s] == 0) ready.insert({-rank[s], s});
  }
  return added;
}

// Recomputes layers and renumbers the branches in (layer, first node's position) order.
void renumber(const ir::Graph& g, ir::Plan& plan) {
  Branches& br = plan.branches;
  plan.layer_count = assign_layers(br, topo_order(br));
  std::vector<int32_t> position(g.nodes.size(), -1);
  for (size_t i = 0; i < g.regions[0].nodes.size(); ++i)
    position[g.regions[0].nodes[i]] = static_cast<int32_t>(i);
  auto first = [&](int32_t b) { return br[b].nodes.empty() ? -1 : position[br[b].nodes[0]]; };
  std::vector<int32_t> order(br.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (br[a].layer != br[b].layer) return br[a].layer < br[b].layer;
    return first(a) != first(b) ? first(a) < first(b) : a < b;
  });
  std::vector<int32_t> new_id(br.size());
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<int32_t>(i);
  Branches sorted;
  for (int32_t old : order) {
    sorted.push_back(std::move(br[old]));
    for (std::vector<int32_t>* ids : {&sorted.back().preds, &sorted.back().succs}) {
      for (int32_t& id : *ids) id = new_id[id];
      std::sort(ids->begin(), ids->end());
    }
  }
  br = std::move(sorted);
  for (int32_t& b : plan.node_branch)
    if (b >= 0) b = new_id[b];
}

}  // namespace

std::vector<uint64_t> branch_memory(const ir::Graph& g, const ir::Plan& plan) {
  std::vector<uint64_t> mem;
  for (const Footprint& f : footprints(g, plan)) mem.push_back(f.peak);
  return mem;
}

rt::Status schedule(const ir::Graph& g, ir::Plan& plan, const DeviceProfile& profile,
                    const CompileOptions& options) {
  // Compare sizes rather than ask has_branches(): a main region with no nodes (everything was
  // folded into constants) has an empty node_branch after `branches` too, and zero branches to
  // schedule.
  if (plan.node_branch.size() != g.nodes.size())
    return rt::Status::internal("schedule runs after branches: the plan has no branches");
  if (topo_order(plan.branches).size() != plan.branches.size())
    return rt::Status::internal("schedule: the branch graph has a cycle");
  Model m;
  m.profile = &profile;
  m.budget = options.memory_budget;
  PARALLAX_RETURN_IF_ERROR(make_processors(plan, profile, options.threads, &m));
  const std::vector<Footprint> fp = footprints(g, plan);
  for (const Footprint& f : fp) m.mem.push_back(f.peak);
  estimate_times(g, plan, fp, &m);

  Branches& br = plan.branches;
  chain_unprofitable_layers(br, m);
  // Edges from the budget change what is lone and what is critical: re-plan until none are added.
  std::vector<int32_t> placed;
  for (bool again = true; again;) {
    const std::vector<int32_t> topo = topo_order(br);
    assign_layers(br, topo);
    const std::vector<bool> lone = lone_branches(br, topo);
    const std::vector<int> allotted = allot(br, topo, lone, m);
    const std::vector<double> rank =
        upward_rank(br, topo, [&](int32_t b) { return m.virt[b][allotted[b] - 1]; });
    again = list_schedule(br, m, allotted, lone, rank, placed);
  }
  // One core and no GPU: nothing can overlap, so the branches run in placement order (a
  // topological order, and the order of their times). Saying so in edges lets plan-memory share
  // bytes as in a sequential plan instead of planning for interleavings that cannot happen.
  if (m.procs.size() == 1 && m.cpu_cores == 1) {
    for (size_t i = 0; i + 1 < placed.size(); ++i) add_edge(br, placed[i], placed[i + 1]);
  }
  plan.processors = m.procs;
  renumber(g, plan);
  return rt::Status::ok();
}

rt::Status schedule(const ir::Graph& g, ir::Plan& plan, const CompileOptions& options) {
  DeviceProfile profile;
  PARALLAX_RETURN_IF_ERROR(load_device_profile(options.device_profile, &profile));
  return schedule(g, plan, profile, options);
}

}  // namespace parallax::passes
