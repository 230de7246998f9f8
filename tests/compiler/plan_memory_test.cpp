// plan-memory: the greedy planner on hand-computed cases, the pass on tiny graphs with and
// without concurrent branches, in-place reuse, the verifier's negative cases, and a property test
// over thousands of random DAGs and branch structures (the verifier never finds an overlap, and
// sampled interleavings of the schedule never see two live values share bytes).
#include "passes/plan_memory.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <random>

#include "passes/branches.h"
#include "passes/memory_planner.h"
#include "passes/serialize_for_memory.h"
#include "passes/verify_memory_plan.h"
#include "tests/compiler/plan_test_util.h"

namespace parallax::test {
namespace {

using ir::NodeId;
using ir::ValueId;
using rt::DType;

using Builder = FloatGraphBuilder;

bool disjoint(const ir::MemoryPlan& m, ValueId a, ValueId b) {
  return m.offset[a] + static_cast<int64_t>(m.bytes[a]) <= m.offset[b] ||
         m.offset[b] + static_cast<int64_t>(m.bytes[b]) <= m.offset[a];
}

TEST_CASE("MemoryPlanner packs by decreasing size at the lowest free aligned offset",
          "[plan_memory]") {
  passes::MemoryPlanner p;
  const int32_t a = p.add_buffer(4096), b = p.add_buffer(1024), c = p.add_buffer(1024);
  p.add_conflict(a, b);
  const passes::MemoryPlanner::Result r = p.plan();
  CHECK(r.offsets == std::vector<uint64_t>{0, 4096, 0});
  CHECK(r.peak == 5120);
  (void)c;

  // Three buffers that all conflict: by size they go to 0, 128 and 256 (peak 306, the 100 bytes
  // end at 100 and the next one starts at the aligned 128); refinement then places the buffer at
  // the peak first, which lowers the peak to 292.
  passes::MemoryPlanner q;
  q.add_buffer(100);
  q.add_buffer(100);
  q.add_buffer(50);
  q.add_conflict(0, 1);
  q.add_conflict(1, 2);
  q.add_conflict(0, 2);
  const passes::MemoryPlanner::Result s = q.plan();
  CHECK(s.offsets == std::vector<uint64_t>{64, 192, 0});
  CHECK(s.peak == 292);

  passes::MemoryPlanner i;  // intervals [0,1] [1,2] [2,3]: a chain of overlaps, ping-pong
  for (int k = 0; k < 3; ++k) i.add_buffer(64);
  i.add_interval_conflicts({0, 1, 2}, {1, 2, 3});
  CHECK(i.plan().offsets == std::vector<uint64_t>{0, 64, 0});
}

TEST_CASE("plan_memory ping-pongs a chain between two buffers", "[plan_memory]") {
  Builder b;  // 256 floats = 1024 bytes per value
  const ValueId x = b.input("x", 256);
  const ValueId t1 = b.node("Softmax", {x}, "t1", 256);
  const ValueId t2 = b.node("Softmax", {t1}, "t2", 256);
  const ValueId t3 = b.node("Softmax", {t2}, "t3", 256);
  const ValueId t4 = b.node("Softmax", {t3}, "t4", 256);
  b.output(t4);
  ir::Plan plan;  // no branches: the main region is one sequential branch
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  CHECK(m.offset[x] == ir::MemoryPlan::kNotInArena);
  CHECK(m.offset[t1] == 0);
  CHECK(m.offset[t2] == 1024);
  CHECK(m.offset[t3] == 0);
  CHECK(m.offset[t4] == 1024);
  CHECK(m.arena_bytes == 2048);
  CHECK(m.sequential_bytes == 2048);
  CHECK(m.naive_bytes == 4096);
  CHECK(m.lower_bound_bytes == 2048);
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());
}

// x -> a; a -> b1 -> b2 and a -> c1 -> c2 in two branches; d = Sum(b2, c2).
struct Diamond {
  Builder b;
  ValueId a, b1, b2, c1, c2, d;
  Diamond() {
    const ValueId x = b.input("x", 256);
    a = b.node("Softmax", {x}, "a", 256);
    b1 = b.node("Softmax", {a}, "b1", 256);
    b2 = b.node("Softmax", {b1}, "b2", 256);
    c1 = b.node("Softmax", {a}, "c1", 256);
    c2 = b.node("Softmax", {c1}, "c2", 256);
    d = b.node("Sum", {b2, c2}, "d", 256);
    b.output(d);
  }
};

TEST_CASE("plan_memory keeps values of concurrent branches apart", "[plan_memory]") {
  Diamond dm;
  ir::Plan plan;
  set_branches(dm.b.g, plan, {{0}, {1, 2}, {3, 4}, {5}}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}});
  REQUIRE(passes::plan_memory(dm.b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  for (ValueId u : {dm.b1, dm.b2})
    for (ValueId v : {dm.c1, dm.c2}) CHECK(disjoint(m, u, v));
  // a, b1, b2, c1, c2 may all be live at once; sequentially at most three values are.
  CHECK(m.arena_bytes == 5 * 1024);
  CHECK(m.lower_bound_bytes == 5 * 1024);
  CHECK(m.sequential_bytes == 3 * 1024);
  CHECK(passes::verify_memory_plan(dm.b.g, plan).is_ok());
}

TEST_CASE("plan_memory lets serialized branches share bytes", "[plan_memory]") {
  Diamond dm;
  ir::Plan plan;  // the schedule's extra edge 1 -> 2 runs the c-branch after the b-branch
  set_branches(dm.b.g, plan, {{0}, {1, 2}, {3, 4}, {5}}, {{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}});
  REQUIRE(passes::plan_memory(dm.b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  CHECK(m.offset[dm.a] == 0);
  CHECK(m.offset[dm.b1] == 1024);
  CHECK(m.offset[dm.b2] == 2048);
  CHECK(m.offset[dm.c1] == 1024);  // b1 is dead before c1 is written
  CHECK(m.arena_bytes == 3 * 1024);
  CHECK(passes::verify_memory_plan(dm.b.g, plan).is_ok());
}

TEST_CASE("plan_memory writes elementwise results over a dying input", "[plan_memory]") {
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId t = b.node("Softmax", {x}, "t", 256);
  const ValueId r = b.node("Relu", {t}, "r", 256);
  const ValueId s = b.node("Sigmoid", {r}, "s", 256);
  const ValueId y = b.node("Softmax", {s}, "y", 256);
  b.output(y);
  ir::Plan plan;
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  CHECK(m.in_place_of[r] == t);
  CHECK(m.in_place_of[s] == r);
  CHECK(m.offset[r] == m.offset[t]);
  CHECK(m.offset[s] == m.offset[t]);
  CHECK(m.in_place_of[y] == -1);
  CHECK(m.arena_bytes == 2048);
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());
}

TEST_CASE("plan_memory lets a view share its input's bytes and skips empty tensors",
          "[plan_memory]") {
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId t = b.node("Softmax", {x}, "t", 256);
  const ValueId shape = b.g.add_constant("shape", DType::kInt64, {2}, std::vector<uint8_t>(16, 0));
  const ValueId r = b.g.add_value("r", DType::kFloat32, {16, 16}, true);
  b.g.add_node(0, "reshape", "Reshape", "", 17, {t, shape}, {r});
  const ValueId e = b.g.add_value("e", DType::kFloat32, {0, 16}, true);
  b.g.add_node(0, "empty", "Slice", "", 17, {r}, {e});
  const ValueId y = b.node("Softmax", {r}, "y", 256);
  b.output(y);
  b.output(e);
  ir::Plan plan;
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  CHECK(m.in_place_of[r] == t);  // element count and dtype match; the shape may differ
  CHECK(m.offset[r] == m.offset[t]);
  CHECK(m.offset[e] == ir::MemoryPlan::kNotInArena);
  CHECK(m.unsized.empty());
  CHECK(m.arena_bytes == 2048);
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());
}

TEST_CASE("plan_memory refuses in-place when the input is still read or is an output",
          "[plan_memory]") {
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId t = b.node("Softmax", {x}, "t", 256);
  const ValueId r = b.node("Relu", {t}, "r", 256);    // t is read again by Add: not in place
  const ValueId a = b.node("Add", {r, t}, "a", 256);  // r and t both die here: takes r
  const ValueId o = b.node("Softmax", {a}, "o", 256);
  const ValueId n = b.node("Neg", {o}, "n", 256);  // o is a graph output: not in place
  const ValueId bias = b.input("bias", 1);
  const ValueId w = b.node("Mul", {bias, n}, "w", 256);  // bias is no arena value; n has w's shape
  b.output(o);
  b.output(w);
  ir::Plan plan;
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  CHECK(m.in_place_of[r] == -1);
  CHECK(m.in_place_of[a] == r);
  CHECK(m.in_place_of[n] == -1);
  CHECK(m.in_place_of[w] == n);
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());
}

TEST_CASE("plan_memory refuses in-place over a value read by a concurrent branch",
          "[plan_memory]") {
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId t = b.node("Softmax", {x}, "t", 256);
  const ValueId r = b.node("Relu", {t}, "r", 256);
  const ValueId n = b.node("Neg", {t}, "n", 256);
  b.output(r);
  b.output(n);
  ir::Plan plan;
  set_branches(b.g, plan, {{0}, {1}, {2}}, {{0, 1}, {0, 2}});
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  CHECK(plan.memory.in_place_of[r] == -1);
  CHECK(plan.memory.in_place_of[n] == -1);
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());

  ir::Plan sequential;  // one branch: Neg is the last reader of t
  REQUIRE(passes::plan_memory(b.g, sequential).is_ok());
  CHECK(sequential.memory.in_place_of[n] == t);
}

TEST_CASE("plan_memory leaves values without a static size out of the arena", "[plan_memory]") {
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId d = b.g.add_value("d", DType::kFloat32, {-1}, true);
  b.g.add_node(0, "nz", "NonZero", "", 17, {x}, {d});
  const ValueId y = b.node("Softmax", {x}, "y", 256);
  b.output(d);
  b.output(y);
  ir::Plan plan;
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  CHECK(plan.memory.offset[d] == ir::MemoryPlan::kNotInArena);
  CHECK(plan.memory.unsized == std::vector<ValueId>{d});
  CHECK(plan.memory.offset[y] == 0);
}

TEST_CASE("plan_memory extends lifetimes to the control-flow node whose body reads a value",
          "[plan_memory]") {
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId cond = b.g.add_value("cond", DType::kBool, {}, true);
  b.g.regions[0].inputs.push_back(cond);
  const ValueId t = b.node("Softmax", {x}, "t", 256);
  const ValueId u = b.node("Softmax", {x}, "u", 256);
  const ValueId o = b.g.add_value("o", DType::kFloat32, {256}, true);
  rt::Attribute then_attr, else_attr;
  then_attr.name = "then_branch";
  then_attr.kind = else_attr.kind = rt::Attribute::Kind::kGraph;
  else_attr.name = "else_branch";
  const NodeId if_node = b.g.add_node(0, "if", "If", "", 17, {cond}, {o});
  then_attr.graph = b.g.add_region("then", 0, if_node);
  else_attr.graph = b.g.add_region("else", 0, if_node);
  b.g.nodes[if_node].attrs = {then_attr, else_attr};
  for (auto [region, outer] : {std::pair{then_attr.graph, t}, std::pair{else_attr.graph, u}}) {
    const ValueId r =
        b.g.add_value("r" + std::to_string(region), DType::kFloat32, {256}, true, region);
    b.g.add_node(region, "id" + std::to_string(region), "Identity", "", 17, {outer}, {r});
    b.g.regions[region].outputs.push_back(r);
  }
  b.output(o);
  ir::Plan plan;
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  const ir::MemoryPlan& m = plan.memory;
  CHECK(disjoint(m, t, u));  // both are read when the If runs
  CHECK(disjoint(m, t, o));
  CHECK(disjoint(m, u, o));
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());

  ir::Plan broken = plan;  // without the body's reads t would be dead before u is written
  broken.memory.offset[u] = broken.memory.offset[t];
  CHECK(passes::verify_memory_plan(b.g, broken).message().find("overlap") != std::string::npos);
}

TEST_CASE("verify_memory_plan rejects overlaps, bad in-place claims and false bounds",
          "[plan_memory]") {
  Diamond dm;
  ir::Plan plan;
  set_branches(dm.b.g, plan, {{0}, {1, 2}, {3, 4}, {5}}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}});
  REQUIRE(passes::plan_memory(dm.b.g, plan).is_ok());
  const auto error = [&](const ir::Plan& p) {
    return passes::verify_memory_plan(dm.b.g, p).message();
  };

  ir::Plan overlap = plan;  // b1 and c1 run concurrently
  overlap.memory.offset[dm.c1] = overlap.memory.offset[dm.b1];
  CHECK(error(overlap).find("may be live at the same time but overlap") != std::string::npos);

  ir::Plan aligned = plan;
  aligned.memory.offset[dm.c2] += 4;
  aligned.memory.arena_bytes += 64;
  CHECK(error(aligned).find("is not aligned") != std::string::npos);

  ir::Plan in_place = plan;  // Softmax does not allow in-place
  in_place.memory.in_place_of[dm.b2] = dm.b1;
  in_place.memory.offset[dm.b2] = in_place.memory.offset[dm.b1];
  CHECK(error(in_place).find("does not allow it") != std::string::npos);

  ir::Plan bound = plan;  // a is dead before d is written
  bound.memory.lower_bound_set = {dm.a, dm.d};
  bound.memory.lower_bound_bytes = 2048;
  CHECK(error(bound).find("need not be live at the same time") != std::string::npos);

  ir::Plan order = plan;  // branch 2 no longer waits for the producer of its input
  order.branches[0].succs = {1};
  CHECK(error(order).find("does not run after its producer") != std::string::npos);
}

// ---- Property test --------------------------------------------------------------------------

// A random DAG in topological order: each node reads 1-3 earlier values (or the input), writes
// one or two values of random size; elementwise ops keep their first input's size so in-place
// reuse happens. Some values are graph outputs.
ir::Graph random_dag(std::mt19937& rng) {
  Builder b;
  std::uniform_int_distribution<int> node_count(1, 40), coin(0, 99);
  std::vector<ValueId> values = {b.input("x", 16)};
  const int nodes = node_count(rng);
  for (int i = 0; i < nodes; ++i) {
    const auto pick = [&] {  // recent values more often, so chains and long skips both appear
      const int k = static_cast<int>(values.size());
      const int back =
          std::min(k - 1, static_cast<int>(std::geometric_distribution<int>(0.3)(rng)));
      return coin(rng) < 80 ? values[k - 1 - back] : values[rng() % k];
    };
    std::vector<ValueId> ins = {pick()};
    const int extra = coin(rng) % 3;
    for (int e = 0; e < extra; ++e) ins.push_back(pick());
    const std::string name = "v" + std::to_string(i);
    const int64_t size = b.g.values[ins[0]].dims[0];
    const int kind = coin(rng);
    if (kind < 25) {
      values.push_back(b.node("Relu", {ins[0]}, name, size));
    } else if (kind < 40 && ins.size() >= 2 && b.g.values[ins[1]].dims[0] == size) {
      values.push_back(b.node("Add", {ins[0], ins[1]}, name, size));
    } else if (kind < 50) {
      const ValueId u = b.g.add_value(name + "a", DType::kFloat32, {1 + coin(rng) * 7}, true);
      const ValueId w = b.g.add_value(name + "b", DType::kFloat32, {1 + coin(rng) * 3}, true);
      b.g.add_node(0, name, "Split", "", 17, ins, {u, w});
      values.push_back(u);
      values.push_back(w);
    } else {
      values.push_back(b.node("Concat", ins, name, 1 + coin(rng) * (coin(rng) < 10 ? 50 : 5)));
    }
  }
  for (size_t v = 1; v < values.size(); ++v)
    if (coin(rng) < 10 || v + 1 == values.size()) b.output(values[v]);
  return std::move(b.g);
}

// Branches as consecutive runs of the region order, with edges from data dependences and some
// random extra (serialization) edges forward; runs without a dependence run concurrently.
void random_branches(const ir::Graph& g, ir::Plan& plan, std::mt19937& rng) {
  const std::vector<NodeId>& main = g.regions[0].nodes;
  std::vector<std::vector<NodeId>> runs;
  for (NodeId n : main) {
    if (runs.empty() || rng() % 3 == 0) runs.emplace_back();
    runs.back().push_back(n);
  }
  std::vector<int32_t> of(g.nodes.size());
  for (size_t r = 0; r < runs.size(); ++r)
    for (NodeId n : runs[r]) of[n] = static_cast<int32_t>(r);
  std::vector<std::pair<int32_t, int32_t>> edges;
  for (NodeId n : main)
    for (ValueId v : g.nodes[n].inputs) {
      const NodeId p = g.values[v].producer;
      if (p >= 0 && of[p] != of[n]) edges.emplace_back(of[p], of[n]);
    }
  for (size_t r = 0; r + 1 < runs.size(); ++r)
    if (rng() % 4 == 0)
      edges.emplace_back(static_cast<int32_t>(r),
                         static_cast<int32_t>(r + 1 + rng() % (runs.size() - r - 1)));
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  set_branches(g, plan, runs, edges);
}

// A random interleaving the branches allow: a random linear extension of happens-before.
// Returns the step at which each node runs.
std::vector<int32_t> random_interleaving(const ir::Graph& g, const ir::Plan& plan,
                                         std::mt19937& rng) {
  const size_t count = plan.branches.size();
  std::vector<size_t> next(count, 0);
  std::vector<int32_t> waiting(count, 0), step(g.nodes.size(), -1);
  for (const ir::Branch& br : plan.branches)
    for (int32_t s : br.succs) ++waiting[s];
  std::vector<int32_t> ready;
  for (size_t b = 0; b < count; ++b)
    if (waiting[b] == 0) ready.push_back(static_cast<int32_t>(b));
  int32_t t = 0;
  while (!ready.empty()) {
    const size_t i = rng() % ready.size();
    const int32_t b = ready[i];
    step[plan.branches[b].nodes[next[b]++]] = t++;
    if (next[b] < plan.branches[b].nodes.size()) continue;
    ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(i));
    for (int32_t s : plan.branches[b].succs)
      if (--waiting[s] == 0) ready.push_back(s);
  }
  return step;
}

// Checks that no two values that share bytes are both live at one step of `step` (in-place
// pairs hand over at the node that reads one and writes the other).
bool interleaving_safe(const ir::Graph& g, const ir::MemoryPlan& m,
                       const std::vector<int32_t>& step) {
  const int32_t end = static_cast<int32_t>(g.nodes.size());
  std::vector<int32_t> born(g.values.size(), -1), dies(g.values.size(), -1);
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    for (ValueId v : g.nodes[n].outputs) born[v] = dies[v] = step[n];
    for (ValueId v : g.nodes[n].inputs) dies[v] = std::max(dies[v], step[n]);
  }
  for (ValueId v : g.regions[0].outputs) dies[v] = end;
  for (size_t u = 0; u < g.values.size(); ++u) {
    for (size_t v = u + 1; v < g.values.size(); ++v) {
      if (m.offset[u] < 0 || m.offset[v] < 0 || disjoint(m, u, v)) continue;
      if (m.in_place_of[v] == static_cast<ValueId>(u) ||
          m.in_place_of[u] == static_cast<ValueId>(v)) {
        const ValueId x = m.in_place_of[v] == static_cast<ValueId>(u) ? u : v;
        const ValueId y = x == static_cast<ValueId>(u) ? v : u;
        if (dies[x] <= born[y]) continue;
        return false;
      }
      if (dies[u] < born[v] || dies[v] < born[u]) continue;
      return false;
    }
  }
  return true;
}

TEST_CASE("plan_memory property: random DAGs and schedules never overlap live values",
          "[plan_memory]") {
  std::mt19937 rng(12345);
  int with_in_place = 0, concurrent_cost = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    ir::Graph g = random_dag(rng);
    ir::Plan plan;
    if (iter % 2 == 0) {
      random_branches(g, plan, rng);
    } else {  // the real branches pass over an all-CPU placement
      plan.device.assign(g.nodes.size(), ir::Device::kCpu);
      REQUIRE(passes::build_branches(g, plan).is_ok());
    }
    INFO("iteration " << iter);
    REQUIRE(passes::plan_memory(g, plan).is_ok());
    const ir::MemoryPlan& m = plan.memory;
    REQUIRE(passes::verify_memory_plan(g, plan).is_ok());
    CHECK(m.lower_bound_bytes <= m.arena_bytes);
    CHECK(m.arena_bytes <= m.naive_bytes);
    for (int k = 0; k < 3; ++k) CHECK(interleaving_safe(g, m, random_interleaving(g, plan, rng)));

    // The sequential figure is the plan of sequential_order() (the region's order where the
    // branches allow it) as one branch.
    ir::Plan sequential;
    set_branches(g, sequential, {passes::sequential_order(g, plan)}, {});
    REQUIRE(passes::plan_memory(g, sequential).is_ok());
    REQUIRE(passes::verify_memory_plan(g, sequential).is_ok());
    CHECK(sequential.memory.arena_bytes == m.sequential_bytes);
    with_in_place +=
        std::any_of(m.in_place_of.begin(), m.in_place_of.end(), [](ValueId v) { return v >= 0; });
    concurrent_cost += m.arena_bytes > m.sequential_bytes;
  }
  // The generator must exercise what it is meant to.
  CHECK(with_in_place > 300);
  CHECK(concurrent_cost > 100);
}

}  // namespace
}  // namespace parallax::test
