// branches: labels, maximal chains and Kahn layers on hand-built graphs whose structure is
// worked out by hand in each test's comment.
#include "passes/branches.h"

#include <catch2/catch.hpp>

#include "compiler/ir/verifier.h"
#include "passes/place.h"
#include "tests/compiler/test_util.h"

namespace parallax::test {
namespace {

using ir::NodeKind;
using rt::DType;

struct Builder {
  ir::Graph g;
  ir::ValueId x = -1;
  Builder() {
    g.add_region("main", -1, -1);
    x = g.add_value("x", DType::kFloat32, {4}, true);
    g.regions[0].inputs.push_back(x);
  }
  // Appends a node named `name` to `region`; its output is called `name` too.
  ir::ValueId op(const std::string& name, std::vector<ir::ValueId> in, ir::RegionId region = 0) {
    const ir::ValueId out = g.add_value(name, DType::kFloat32, {4}, true, region);
    g.add_node(region, name, in.size() > 1 ? "Sum" : "Relu", "", 17, std::move(in), {out});
    return out;
  }
  ir::NodeId node(const std::string& name) const {
    for (size_t n = 0; n < g.nodes.size(); ++n)
      if (g.nodes[n].name == name) return static_cast<ir::NodeId>(n);
    FAIL("no node " << name);
    return -1;
  }
  // An If node reading `cond`, with one-node then/else bodies that read `then_reads` /
  // `else_reads` from the enclosing scope. Returns the node; its output is called `name`.
  ir::NodeId if_node(const std::string& name, ir::ValueId cond, ir::ValueId then_reads,
                     ir::ValueId else_reads, ir::RegionId region = 0) {
    const ir::ValueId out = g.add_value(name, DType::kFloat32, {4}, true, region);
    const ir::NodeId n = g.add_node(region, name, "If", "", 17, {cond}, {out});
    std::vector<rt::Attribute> attrs;
    for (const char* arm : {"then_branch", "else_branch"}) {
      const ir::RegionId body = g.add_region(name + "." + arm, region, n);
      const ir::ValueId read = std::string(arm) == "then_branch" ? then_reads : else_reads;
      g.regions[body].outputs.push_back(op(name + "_" + arm, {read}, body));
      rt::Attribute a;
      a.name = arm;
      a.kind = rt::Attribute::Kind::kGraph;
      a.graph = body;
      attrs.push_back(a);
    }
    g.nodes[n].attrs = attrs;
    return n;
  }
  void output(ir::ValueId v) { g.regions[0].outputs.push_back(v); }
};

// Runs place (CPU only unless the plan's devices are preset) and branches.
ir::Plan branches_of(const ir::Graph& g, const std::vector<std::string>& gpu_nodes = {}) {
  REQUIRE(ir::verify(g).is_ok());
  ir::Plan plan;
  REQUIRE(passes::place(g, plan, passes::CompileOptions{}).is_ok());
  for (const std::string& name : gpu_nodes)
    for (size_t n = 0; n < g.nodes.size(); ++n)
      if (g.nodes[n].name == name) plan.device[n] = ir::Device::kGpu;
  const rt::Status s = passes::build_branches(g, plan);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return plan;
}

// The branch holding each named node, as node names.
std::vector<std::string> names(const ir::Graph& g, const ir::Branch& b) {
  std::vector<std::string> r;
  for (ir::NodeId n : b.nodes) r.push_back(g.nodes[n].name);
  return r;
}

using Names = std::vector<std::string>;
using Ids = std::vector<int32_t>;

TEST_CASE("branches: a chain is one branch in one layer", "[branches]") {
  Builder b;
  b.output(b.op("c", {b.op("b", {b.op("a", {b.x})})}));
  const ir::Plan p = branches_of(b.g);
  REQUIRE(p.branches.size() == 1);
  CHECK(names(b.g, p.branches[0]) == Names{"a", "b", "c"});
  CHECK(p.layer_count == 1);
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(p.kind[n] == NodeKind::kSequential);
}

TEST_CASE("branches: a diamond is splitter-ended, two arms, merger-started", "[branches]") {
  // s -> a -> l -> m, a -> r -> m, m -> t: {s, a} (a splits), {l}, {r}, {m, t} (m merges).
  Builder b;
  const ir::ValueId a = b.op("a", {b.op("s", {b.x})});
  const ir::ValueId m = b.op("m", {b.op("l", {a}), b.op("r", {a})});
  b.output(b.op("t", {m}));
  const ir::Plan p = branches_of(b.g);
  REQUIRE(p.branches.size() == 4);
  CHECK(names(b.g, p.branches[0]) == Names{"s", "a"});
  CHECK(names(b.g, p.branches[1]) == Names{"l"});
  CHECK(names(b.g, p.branches[2]) == Names{"r"});
  CHECK(names(b.g, p.branches[3]) == Names{"m", "t"});
  CHECK(p.branches[0].succs == Ids{1, 2});
  CHECK(p.branches[3].preds == Ids{1, 2});
  CHECK(p.layer_count == 3);
  CHECK(p.branches[1].layer == 1);
  CHECK(p.branches[2].layer == 1);
  CHECK(p.kind[b.node("s")] == NodeKind::kSequential);
  CHECK(p.kind[b.node("a")] == NodeKind::kSplitter);
  CHECK(p.kind[b.node("l")] == NodeKind::kSequential);
  CHECK(p.kind[b.node("m")] == NodeKind::kMerger);
  CHECK(p.node_branch[b.node("t")] == 3);
}

TEST_CASE("branches: fan-out of three chains off the graph input", "[branches]") {
  // Three chains read x (a graph input is not a producer, so a1, b1, c1 have no predecessor);
  // c2 also reads a2. a2's only consumer is c2, but c2 has two producers, so c2 starts a branch.
  Builder b;
  const ir::ValueId a2 = b.op("a2", {b.op("a1", {b.x})});
  b.output(b.op("b2", {b.op("b1", {b.x})}));
  b.output(b.op("c2", {b.op("c1", {b.x}), a2}));
  const ir::Plan p = branches_of(b.g);
  REQUIRE(p.branches.size() == 4);
  CHECK(names(b.g, p.branches[0]) == Names{"a1", "a2"});
  CHECK(names(b.g, p.branches[1]) == Names{"b1", "b2"});
  CHECK(names(b.g, p.branches[2]) == Names{"c1"});
  CHECK(names(b.g, p.branches[3]) == Names{"c2"});
  CHECK(p.layer_count == 2);
  CHECK(p.branches[3].preds == Ids{0, 2});
  CHECK(p.kind[b.node("c2")] == NodeKind::kMerger);
  CHECK(p.kind[b.node("a1")] == NodeKind::kSequential);
}

TEST_CASE("branches: a node with several inputs and outputs is a split-merge branch of its own",
          "[branches]") {
  // p, q -> sm -> u, v
  Builder b;
  const ir::ValueId sm = b.op("sm", {b.op("p", {b.x}), b.op("q", {b.x})});
  b.output(b.op("u", {sm}));
  b.output(b.op("v", {sm}));
  const ir::Plan p = branches_of(b.g);
  CHECK(p.kind[b.node("sm")] == NodeKind::kSplitMerge);
  CHECK(p.branches[p.node_branch[b.node("sm")]].nodes.size() == 1);
  CHECK(p.branches.size() == 5);
  CHECK(p.layer_count == 3);
}

TEST_CASE("branches: If is one split-merge node, its body's outer reads are edges", "[branches]") {
  // x -> pre -> cond_src; side = Relu(x) is read only inside the then-body; the else-body holds a
  // nested If reading pre. Main: pre, side, if, post. The If waits for side and pre.
  Builder b;
  const ir::ValueId pre = b.op("pre", {b.x});
  const ir::ValueId side = b.op("side", {b.x});
  const ir::ValueId cond = b.g.add_value("cond", DType::kBool, {}, true);
  b.g.regions[0].inputs.push_back(cond);
  const ir::NodeId iff = b.if_node("if", cond, side, pre);
  // A nested If inside the else-body, reading `pre` from two levels up.
  const ir::RegionId else_body = b.g.nodes[iff].attrs[1].graph;
  const ir::NodeId nested = b.if_node("nested", cond, pre, pre, else_body);
  b.g.regions[else_body].outputs[0] = b.g.nodes[nested].outputs[0];
  b.output(b.op("post", {b.g.nodes[iff].outputs[0]}));
  const ir::Plan p = branches_of(b.g);
  CHECK(p.kind[iff] == NodeKind::kSplitMerge);
  const ir::Branch& ib = p.branches[p.node_branch[iff]];
  CHECK(ib.nodes == std::vector<ir::NodeId>{iff});
  CHECK(ib.preds == Ids{p.node_branch[b.node("pre")], p.node_branch[b.node("side")]});
  CHECK(p.node_branch[nested] == -1);
  CHECK(p.node_branch[b.node("if_then_branch")] == -1);
  CHECK(p.kind[b.node("post")] == NodeKind::kSequential);
  // An If in the middle of a chain still cuts it: post is a branch of its own.
  CHECK(p.branches[p.node_branch[b.node("post")]].nodes.size() == 1);
  CHECK(p.layer_count == 3);
}

TEST_CASE("branches: a GPU region is one split-merge branch on the GPU", "[branches]") {
  // a -> g1 -> g2 -> g3 -> z, with a side chain a -> s -> z on the CPU.
  Builder b;
  const ir::ValueId a = b.op("a", {b.x});
  const ir::ValueId g3 = b.op("g3", {b.op("g2", {b.op("g1", {a})})});
  b.output(b.op("z", {g3, b.op("s", {a})}));
  const ir::Plan p = branches_of(b.g, {"g1", "g2", "g3"});
  const ir::Branch& gb = p.branches[p.node_branch[b.node("g1")]];
  CHECK(names(b.g, gb) == Names{"g1", "g2", "g3"});
  CHECK(gb.device == ir::Device::kGpu);
  for (const char* n : {"g1", "g2", "g3"}) CHECK(p.kind[b.node(n)] == NodeKind::kSplitMerge);
  CHECK(p.branches[p.node_branch[b.node("s")]].device == ir::Device::kCpu);
  CHECK(p.branches.size() == 4);  // {a}, {g1 g2 g3}, {s}, {z}
  CHECK(p.layer_count == 3);
}

TEST_CASE("branches: a GPU chain in sequence still cuts the CPU chain around it", "[branches]") {
  Builder b;
  b.output(b.op("d", {b.op("c", {b.op("g", {b.op("a", {b.x})})})}));
  const ir::Plan p = branches_of(b.g, {"g"});
  CHECK(p.branches.size() == 3);
  CHECK(names(b.g, p.branches[2]) == Names{"c", "d"});
  CHECK(p.layer_count == 3);
}

TEST_CASE("branches: an empty main graph has no branches", "[branches]") {
  Builder b;
  b.output(b.x);
  const ir::Plan p = branches_of(b.g);
  CHECK(p.branches.empty());
  CHECK(p.layer_count == 0);
}

}  // namespace
}  // namespace parallax::test
