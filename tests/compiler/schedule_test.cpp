// schedule: processors, threads and serialization edges on hand-built branch DAGs (no branches
// pass involved) with hand-built device profiles, and its invariants on thousands of random DAGs.
#include "passes/schedule.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "compiler/ir/verifier.h"

namespace parallax::test {
namespace {

using rt::DType;

// A plan built branch by branch: branch b is a chain of MatMuls by a constant [s,s] weight (the
// first node a Sum when it has several predecessors) reading the last outputs of its
// predecessors, or the graph input. Outputs nobody reads are graph outputs.
struct Dag {
  ir::Graph g;
  ir::Plan plan;
  std::vector<ir::ValueId> last;  // per branch: its last node's output
  std::vector<ir::NodeId> first;  // per branch: its first node (finds it after renumbering)
  std::vector<bool> read;
  Dag() {
    g.add_region("main", -1, -1);
    g.regions[0].inputs.push_back(g.add_value("x", DType::kFloat32, {256, 256}, true));
  }
  int32_t branch(const std::vector<int32_t>& preds, int nodes, int64_t s = 256,
                 ir::Device device = ir::Device::kCpu) {
    const int32_t b = static_cast<int32_t>(plan.branches.size());
    plan.branches.emplace_back();
    ir::Branch& br = plan.branches.back();
    br.device = device;
    br.preds = preds;
    std::vector<ir::ValueId> in;
    for (int32_t p : preds) {
      plan.branches[p].succs.push_back(b);
      in.push_back(last[p]);
      read[p] = true;
    }
    if (in.empty()) in.push_back(g.regions[0].inputs[0]);
    const std::vector<uint8_t> zeros(static_cast<size_t>(s * s * 4), 0);
    const ir::ValueId w = g.add_constant("w" + std::to_string(b), DType::kFloat32, {s, s}, zeros);
    for (int i = 0; i < nodes; ++i) {
      const std::string name = "b" + std::to_string(b) + "_" + std::to_string(i);
      const ir::ValueId out = g.add_value(name, DType::kFloat32, {s, s}, true);
      const bool sum = i == 0 && in.size() > 1;
      br.nodes.push_back(g.add_node(0, name, sum ? "Sum" : "MatMul", "", 17,
                                    sum ? in : std::vector<ir::ValueId>{in[0], w}, {out}));
      in = {out};
    }
    last.push_back(in[0]);
    first.push_back(br.nodes[0]);
    read.push_back(false);
    return b;
  }
  // Finishes the graph (outputs) and the plan (devices, node_branch, Kahn layers).
  ir::Plan& done() {
    for (size_t b = 0; b < last.size(); ++b)
      if (!read[b]) g.regions[0].outputs.push_back(last[b]);
    REQUIRE(ir::verify(g).is_ok());
    plan.device.assign(g.nodes.size(), ir::Device::kCpu);
    plan.kind.assign(g.nodes.size(), ir::NodeKind::kSequential);
    plan.node_branch.assign(g.nodes.size(), -1);
    plan.layer_count = 0;
    for (size_t b = 0; b < plan.branches.size(); ++b) {
      ir::Branch& br = plan.branches[b];
      br.layer = 0;
      for (int32_t p : br.preds) br.layer = std::max(br.layer, plan.branches[p].layer + 1);
      plan.layer_count = std::max(plan.layer_count, br.layer + 1);
      for (ir::NodeId n : br.nodes) {
        plan.node_branch[n] = static_cast<int32_t>(b);
        plan.device[n] = br.device;
      }
    }
    return plan;
  }
};

passes::DeviceProfile profile(std::vector<int> cores, bool gpu = false) {
  passes::DeviceProfile p;
  p.name = "test";
  for (size_t i = 0; i < cores.size(); ++i) {
    passes::ClusterProfile c;
    c.name = "c" + std::to_string(i);
    c.cores = cores[i];
    c.speed = 1.0 / static_cast<double>(1 + 2 * i);  // 1, 1/3, 1/5, ...
    c.gmacs_per_core = 20 * c.speed;
    p.clusters.push_back(c);
  }
  p.memory_bandwidth_gbps = 20;
  p.gpu.present = gpu;
  p.gpu.gmacs = 400;
  p.gpu.dispatch_latency_us = 20;
  p.gpu.bandwidth_gbps = 20;
  return p;
}

ir::Plan& run(Dag& d, const passes::DeviceProfile& p, int threads = 0, uint64_t budget = 0) {
  ir::Plan& plan = d.done();
  passes::CompileOptions options;
  options.threads = threads;
  options.memory_budget = budget;
  const rt::Status s = passes::schedule(d.g, plan, p, options);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return plan;
}

// The scheduled branch that holds the first node of hand-built branch b.
const ir::Branch& branch_of(const Dag& d, int32_t b) {
  return d.plan.branches[d.plan.node_branch[d.first[b]]];
}

bool overlap(const ir::Branch& a, const ir::Branch& b) {
  return a.start_us < b.finish_us && b.start_us < a.finish_us;
}

TEST_CASE("schedule: two equal independent branches on 2 cores overlap, 1 thread each",
          "[schedule]") {
  Dag d;
  d.branch({}, 3);
  d.branch({}, 3);
  const ir::Plan& p = run(d, profile({2}));
  REQUIRE(p.processors.size() == 1);
  CHECK(p.processors[0].name == "c0");
  CHECK(p.processors[0].cores == 2);
  for (const ir::Branch& b : p.branches) {
    CHECK(b.processor == 0);
    CHECK(b.threads == 1);
    CHECK(b.start_us == 0);
    CHECK(b.preds.empty());
  }
  CHECK(p.layer_count == 1);
}

TEST_CASE("schedule: a lone branch gets every core, memory-bound or not", "[schedule]") {
  Dag d;
  const int32_t a = d.branch({}, 3);
  d.branch({a}, 1, 4);  // one tiny step: threads gain nothing in the cost model
  const ir::Plan& p = run(d, profile({4}));
  for (const ir::Branch& b : p.branches) CHECK(b.threads == 4);
  // Same processor: no sync cost between them.
  CHECK(p.branches[1].start_us == p.branches[0].finish_us);
}

TEST_CASE("schedule: an imbalanced layer is chained and each branch gets all cores", "[schedule]") {
  Dag d;
  d.branch({}, 3, 128);  // 1/8 of the other's work: F_max / F_min > 1.5
  d.branch({}, 3, 256);
  const ir::Plan& p = run(d, profile({2}));
  // The heavier branch runs first; renumbering keeps ids in (layer, position) order.
  CHECK(p.node_branch[d.first[1]] == 0);
  CHECK(branch_of(d, 1).succs == std::vector<int32_t>{1});
  CHECK(branch_of(d, 0).preds == std::vector<int32_t>{0});
  CHECK(p.layer_count == 2);
  for (const ir::Branch& b : p.branches) CHECK(b.threads == 2);
}

TEST_CASE("schedule: branches of 2 nodes are chained, the longest path first", "[schedule]") {
  Dag d;
  d.branch({}, 2, 128);
  const int32_t heavy = d.branch({}, 2, 128);
  d.branch({heavy}, 3);
  const ir::Plan& p = run(d, profile({2}));
  CHECK(branch_of(d, 1).succs.size() == 2);  // its own successor and the chained light branch
  CHECK(branch_of(d, 0).preds == std::vector<int32_t>{p.node_branch[d.first[1]]});
  CHECK(p.layer_count == 2);
}

TEST_CASE("schedule: a balanced layer wider than the machine shares it", "[schedule]") {
  Dag d;
  for (int i = 0; i < 3; ++i) d.branch({}, 3);
  const ir::Plan& p = run(d, profile({2}));
  for (const ir::Branch& b : p.branches) {
    CHECK(b.threads == 1);
    CHECK(b.preds.empty());
  }
  CHECK(p.branches[2].start_us == p.branches[0].finish_us);
}

TEST_CASE("schedule: a layer of 3 on 4 cores gets 2 + 1 + 1 threads", "[schedule]") {
  Dag d;
  for (int i = 0; i < 3; ++i) d.branch({}, 3);
  const ir::Plan& p = run(d, profile({4}));
  CHECK(p.branches[0].threads == 2);
  CHECK(p.branches[1].threads == 1);
  CHECK(p.branches[2].threads == 1);
  for (const ir::Branch& b : p.branches) CHECK(b.start_us == 0);
}

TEST_CASE("schedule: --threads 1 chains everything on one core in a valid order", "[schedule]") {
  Dag d;
  const int32_t root = d.branch({}, 3);
  const int32_t l = d.branch({root}, 3), r = d.branch({root}, 3);
  d.branch({l, r}, 3);
  d.branch({}, 3);
  const ir::Plan& p = run(d, profile({4, 4}), 1);
  REQUIRE(p.processors.size() == 1);
  CHECK(p.processors[0].cores == 1);
  for (size_t a = 0; a < p.branches.size(); ++a) {
    CHECK(p.branches[a].threads == 1);
    // The order is in the edges too: each branch waits for the one before it.
    if (a > 0) CHECK(p.branches[a].preds.back() == static_cast<int32_t>(a - 1));
    for (int32_t q : p.branches[a].preds) CHECK(p.branches[q].finish_us <= p.branches[a].start_us);
    for (size_t b = a + 1; b < p.branches.size(); ++b)
      CHECK_FALSE(overlap(p.branches[a], p.branches[b]));
  }
}

TEST_CASE("schedule: --threads keeps the fastest clusters' cores", "[schedule]") {
  auto cores = [](int threads) {
    Dag d;
    d.branch({}, 1);
    std::vector<int> r;
    for (const ir::Processor& p : run(d, profile({1, 3, 4}), threads).processors)
      r.push_back(p.cores);
    return r;
  };
  CHECK(cores(0) == std::vector<int>{1, 3, 4});
  CHECK(cores(2) == std::vector<int>{1, 1});
  CHECK(cores(5) == std::vector<int>{1, 3, 1});

  Dag d;
  d.branch({}, 1);
  passes::CompileOptions options;
  options.threads = 9;
  const rt::Status s = passes::schedule(d.g, d.done(), profile({1, 3, 4}), options);
  CHECK(s.code() == rt::StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "--threads 9: device profile 'test' has 8 CPU cores; give 1 to 8, or 0 for all of them");
}

TEST_CASE("schedule: two heavy branches on a big.LITTLE profile use both clusters", "[schedule]") {
  Dag d;
  d.branch({}, 3);
  d.branch({}, 3);
  const ir::Plan& p = run(d, profile({1, 3}));
  CHECK(p.branches[0].processor != p.branches[1].processor);
  CHECK(overlap(p.branches[0], p.branches[1]));
  for (const ir::Branch& b : p.branches) CHECK(b.threads == p.processors[b.processor].cores);
}

TEST_CASE("schedule: branch memory is the peak of live arena values", "[schedule]") {
  Dag d;
  const int32_t a = d.branch({}, 3, 64);  // 64x64 floats: 16384 bytes per value
  d.branch({a}, 2, 64);
  d.done();
  // a: x is the caller's; steps hold {a0}, {a0,a1}, {a1,a2}; a2 is read by the next branch.
  // b: a2 is live from the start to its read; steps hold {a2,b0}, {b0,b1}.
  CHECK(passes::branch_memory(d.g, d.plan) == std::vector<uint64_t>{2 * 16384, 2 * 16384});
}

TEST_CASE("schedule: the memory budget serializes branches that do not fit together",
          "[schedule]") {
  for (const bool fits : {true, false}) {
    Dag d;
    d.branch({}, 3);
    d.branch({}, 3);
    const std::vector<uint64_t> mem = passes::branch_memory(d.g, d.done());
    const ir::Plan& p = run(d, profile({2}), 0, mem[0] + mem[1] - (fits ? 0 : 1));
    INFO("fits " << fits);
    CHECK(p.branches[0].succs.size() == (fits ? 0u : 1u));
    CHECK(overlap(p.branches[0], p.branches[1]) == fits);
    // Once serialized each is lone, so it gets both cores.
    for (const ir::Branch& b : p.branches) CHECK(b.threads == (fits ? 1 : 2));
  }
}

TEST_CASE("schedule: GPU branches go to the GPU queue", "[schedule]") {
  Dag d;
  const int32_t root = d.branch({}, 3);
  d.branch({root}, 3, 256, ir::Device::kGpu);
  d.branch({root}, 3);
  const ir::Plan& p = run(d, profile({2}, true));
  REQUIRE(p.processors.size() == 2);
  CHECK(p.processors[1].name == "gpu");
  CHECK(p.processors[1].gpu);
  CHECK(p.processors[1].speed == 20.0);
  const ir::Branch& gpu = branch_of(d, 1);
  CHECK(gpu.processor == 1);
  CHECK(gpu.threads == 1);
  CHECK(overlap(gpu, branch_of(d, 2)));
  // Cross-processor dependence: the GPU branch waits for the sync too.
  CHECK(gpu.start_us == branch_of(d, 0).finish_us + profile({2}).sync_overhead_us);

  Dag cpu_only;
  cpu_only.branch({}, 1);
  CHECK(run(cpu_only, profile({2}, true)).processors.size() == 1);
}

TEST_CASE("schedule: refuses plans it cannot schedule", "[schedule]") {
  Dag d;
  d.branch({}, 1, 64, ir::Device::kGpu);
  ir::Plan& plan = d.done();
  const rt::Status s = passes::schedule(d.g, plan, profile({2}), passes::CompileOptions{});
  CHECK(s.code() == rt::StatusCode::kInternal);
  CHECK_THAT(s.message(), Catch::Contains("on the GPU but device profile 'test' has none"));
  ir::Plan empty;
  CHECK(passes::schedule(d.g, empty, profile({2}), passes::CompileOptions{}).code() ==
        rt::StatusCode::kInternal);
}

// Everything schedule.h guarantees, checked on the result `p` of scheduling `d` (whose hand-built
// plan it replaced) with `cores` CPU cores and `budget`.
void check_invariants(const Dag& d, const std::vector<std::vector<int32_t>>& original_preds,
                      const ir::Plan& p, int cores, uint64_t budget) {
  const size_t n = p.branches.size();
  REQUIRE(n == original_preds.size());
  int cpu_cores = 0;
  bool gpu_work = false, gpu_proc = false;
  for (const ir::Processor& pr : p.processors) {
    if (pr.gpu)
      gpu_proc = true;
    else
      cpu_cores += pr.cores;
  }
  for (const ir::Branch& b : p.branches) gpu_work = gpu_work || b.device == ir::Device::kGpu;
  REQUIRE(cpu_cores == cores);
  REQUIRE(gpu_proc == gpu_work);
  // One core and no GPU: a chain, in the order of the times.
  if (cores == 1 && !gpu_work) {
    for (size_t b = 1; b < n; ++b)
      REQUIRE(p.branches[b].preds.back() == static_cast<int32_t>(b - 1));
  }
  // The same branches, every original edge kept, ids topological, Kahn layers, mirrored lists.
  for (size_t b = 0; b < n; ++b) {
    const ir::Branch& br = branch_of(d, static_cast<int32_t>(b));
    for (int32_t q : original_preds[b]) {
      REQUIRE(std::binary_search(br.preds.begin(), br.preds.end(), p.node_branch[d.first[q]]));
    }
  }
  std::vector<std::vector<bool>> anc(n, std::vector<bool>(n, false));
  for (size_t b = 0; b < n; ++b) {
    const ir::Branch& br = p.branches[b];
    for (ir::NodeId node : br.nodes) REQUIRE(p.node_branch[node] == static_cast<int32_t>(b));
    REQUIRE(std::is_sorted(br.preds.begin(), br.preds.end()));
    REQUIRE(std::adjacent_find(br.preds.begin(), br.preds.end()) == br.preds.end());
    REQUIRE(std::is_sorted(br.succs.begin(), br.succs.end()));
    REQUIRE(std::adjacent_find(br.succs.begin(), br.succs.end()) == br.succs.end());
    int32_t layer = 0;
    for (int32_t q : br.preds) {
      REQUIRE(q < static_cast<int32_t>(b));
      const auto& qs = p.branches[q].succs;
      REQUIRE(std::binary_search(qs.begin(), qs.end(), static_cast<int32_t>(b)));
      layer = std::max(layer, p.branches[q].layer + 1);
      anc[b][q] = true;
      for (size_t a = 0; a < n; ++a) anc[b][a] = anc[b][a] || anc[q][a];
      REQUIRE(p.branches[q].finish_us <= br.start_us);
    }
    for (int32_t s : br.succs) {
      const auto& ps = p.branches[s].preds;
      REQUIRE(std::binary_search(ps.begin(), ps.end(), static_cast<int32_t>(b)));
    }
    REQUIRE(br.layer == layer);
    if (b > 0) REQUIRE(p.branches[b - 1].layer <= layer);
    // A processor of its device, threads within its cores, times that add up.
    REQUIRE(br.processor >= 0);
    REQUIRE(br.processor < static_cast<int32_t>(p.processors.size()));
    const ir::Processor& pr = p.processors[br.processor];
    REQUIRE(pr.gpu == (br.device == ir::Device::kGpu));
    REQUIRE(br.threads >= 1);
    REQUIRE(br.threads <= pr.cores);
    REQUIRE(br.start_us >= 0);
    REQUIRE(br.cost_us > 0);
    REQUIRE(br.finish_us == Approx(br.start_us + br.cost_us));
  }
  auto ordered = [&](size_t a, size_t b) { return anc[a][b] || anc[b][a]; };
  const std::vector<uint64_t> mem = passes::branch_memory(d.g, p);
  for (size_t a = 0; a < n; ++a) {
    // A lone branch has all the cores of its processor.
    size_t comparable = 0;
    for (size_t b = 0; b < n; ++b) comparable += b != a && ordered(a, b);
    if (comparable + 1 == n)
      REQUIRE(p.branches[a].threads == p.processors[p.branches[a].processor].cores);
    // Budget, any interleaving: branches that may run together fit pairwise.
    for (size_t b = a + 1; b < n && budget > 0; ++b)
      if (!ordered(a, b)) REQUIRE(mem[a] + mem[b] <= budget);
    // At each start instant: no processor runs more threads than it has cores, and with a budget
    // the running branches fit unless only one runs.
    const double instant = p.branches[a].start_us;
    std::vector<int> threads(p.processors.size(), 0);
    uint64_t sum = 0;
    int running = 0;
    for (const ir::Branch& b : p.branches) {
      if (b.start_us <= instant && instant < b.finish_us) {
        threads[b.processor] += b.threads;
        sum += mem[&b - p.branches.data()];
        ++running;
      }
    }
    for (size_t q = 0; q < threads.size(); ++q) REQUIRE(threads[q] <= p.processors[q].cores);
    if (budget > 0 && running > 1) REQUIRE(sum <= budget);
  }
}

TEST_CASE("schedule: invariants hold on random branch DAGs", "[schedule]") {
  std::mt19937 rng(20240607);
  int serialized = 0, overlapped = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    INFO("iteration " << iter);
    const bool gpu = rng() % 3 == 0;
    std::vector<int> clusters;
    for (unsigned c = 0, count = 1 + rng() % 3; c < count; ++c) clusters.push_back(1 + rng() % 4);
    const passes::DeviceProfile prof = profile(clusters, gpu);
    Dag d;
    std::vector<std::vector<int32_t>> preds;
    const int size = 1 + static_cast<int>(rng() % 24);
    for (int b = 0; b < size; ++b) {
      std::set<int32_t> in;
      for (unsigned k = 0, count = b ? rng() % 4 : 0; k < count; ++k) in.insert(rng() % b);
      preds.emplace_back(in.begin(), in.end());
      const bool on_gpu = gpu && rng() % 5 == 0;
      d.branch(preds.back(), 1 + static_cast<int>(rng() % 4), int64_t{16} << (rng() % 4),
               on_gpu ? ir::Device::kGpu : ir::Device::kCpu);
    }
    d.done();
    const int total = prof.total_cores();
    const int threads = static_cast<int>(rng() % (total + 1));
    uint64_t budget = 0;
    if (rng() % 2) {
      uint64_t all = 0;
      for (uint64_t m : passes::branch_memory(d.g, d.plan)) all += m;
      budget = 1 + rng() % (all + 1);
    }
    passes::CompileOptions options;
    options.threads = threads;
    options.memory_budget = budget;
    ir::Plan again = d.plan;
    size_t edges_before = 0, edges_after = 0;
    for (const ir::Branch& b : d.plan.branches) edges_before += b.preds.size();
    REQUIRE(passes::schedule(d.g, d.plan, prof, options).is_ok());
    check_invariants(d, preds, d.plan, threads ? threads : total, budget);
    // Deterministic: the same input gives the same plan.
    REQUIRE(passes::schedule(d.g, again, prof, options).is_ok());
    REQUIRE(ir::print_plan(d.g, again) == ir::print_plan(d.g, d.plan));
    for (const ir::Branch& b : d.plan.branches) edges_after += b.preds.size();
    serialized += edges_after > edges_before;
    for (size_t a = 0; a + 1 < d.plan.branches.size(); ++a)
      overlapped += overlap(d.plan.branches[a], d.plan.branches[a + 1]);
  }
  // The generator exercises both outcomes.
  CHECK(serialized > 300);
  CHECK(overlapped > 300);
}

}  // namespace
}  // namespace parallax::test
