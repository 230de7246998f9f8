// Program builder with a plan: branches, processors and the memory plan reach the Program, and
// the parallel executor gives the same bytes as the plan-less sequential program.
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <vector>

#include "codegen/program_builder.h"
#include "parallax/runtime/executor.h"
#include "passes/plan_memory.h"

namespace parallax::test {
namespace {

using ir::NodeId;
using ir::ValueId;
using rt::DType;

// x -> a=Relu -> {b=Add(a,x), c=Mul(a,a)} -> d=Sub(b,c); four branches, b and c concurrent.
struct Diamond {
  ir::Graph g;
  ir::Plan plan;
  Diamond() {
    g.opsets[""] = 17;
    g.add_region("main", -1, -1);
    auto value = [&](const char* name) { return g.add_value(name, DType::kFloat32, {64}, true); };
    const ValueId x = value("x");
    g.regions[0].inputs.push_back(x);
    const ValueId a = value("a"), b = value("b"), c = value("c"), d = value("d");
    g.add_node(0, "a", "Relu", "", 17, {x}, {a});
    g.add_node(0, "b", "Add", "", 17, {a, x}, {b});
    g.add_node(0, "c", "Mul", "", 17, {a, a}, {c});
    g.add_node(0, "d", "Sub", "", 17, {b, c}, {d});
    g.regions[0].outputs.push_back(d);
    plan.kind.assign(4, ir::NodeKind::kSequential);
    plan.node_branch = {0, 1, 2, 3};
    plan.branches.resize(4);
    for (NodeId n = 0; n < 4; ++n) plan.branches[n].nodes = {n};
    for (auto [from, to] : {std::pair{0, 1}, {0, 2}, {1, 3}, {2, 3}}) {
      plan.branches[from].succs.push_back(to);
      plan.branches[to].preds.push_back(from);
    }
    plan.processors = {{"cpu0", false, 2, 1.0}};
    for (ir::Branch& br : plan.branches) br.processor = 0;
    plan.branches[3].threads = 2;
  }
};

std::vector<float> run(const rt::Program& p, int threads) {
  rt::ExecutorOptions o;
  o.threads = threads;
  std::unique_ptr<rt::Executor> ex;
  rt::Status s = rt::Executor::create(&p, o, &ex);
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::vector<float> x(64);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f - 10.0f;
  rt::Tensor t;
  t.dtype = DType::kFloat32;
  t.shape = rt::Shape{64};
  t.data = x.data();
  REQUIRE(ex->set_input(0, t).is_ok());
  REQUIRE(ex->run().is_ok());
  const float* y = ex->output(0).data_as<float>();
  return std::vector<float>(y, y + 64);
}

TEST_CASE("program builder: the plan's branches and arena reach the program", "[codegen]") {
  Diamond d;
  REQUIRE(passes::plan_memory(d.g, d.plan).is_ok());
  rt::Program p;
  REQUIRE(codegen::build_program(d.g, d.plan, &p).is_ok());
  REQUIRE(p.branches.size() == 4);
  CHECK(p.branches[0].succs == std::vector<int32_t>{1, 2});
  CHECK(p.branches[3].pred_count == 2);
  CHECK(p.branches[3].threads == 2);
  CHECK(p.branches[2].steps == std::vector<int32_t>{2});
  CHECK(p.graphs[0].steps[2].branch == 2);
  REQUIRE(p.processors.size() == 1);
  CHECK(p.processors[0].cores == 2);
  CHECK(p.arena_bytes == d.plan.memory.arena_bytes);
  CHECK(p.arena_bytes > 0);
  for (ValueId v = 0; v < static_cast<ValueId>(d.g.values.size()); ++v) {
    CHECK(p.tensors[v].arena_offset == d.plan.memory.offset[v]);
  }
  CHECK(p.tensors[0].arena_offset == rt::TensorInfo::kNotInArena);  // the graph input

  rt::Program sequential;
  REQUIRE(codegen::build_program(d.g, &sequential).is_ok());
  CHECK(sequential.branches.empty());
  CHECK(sequential.arena_bytes == 0);
  const std::vector<float> want = run(sequential, 1);
  for (int threads : {1, 2, 4}) CHECK(run(p, threads) == want);
}

TEST_CASE("program builder: a plan naming a node outside the main graph is refused", "[codegen]") {
  Diamond d;
  d.plan.branches[1].nodes.push_back(17);
  rt::Program p;
  const rt::Status s = codegen::build_program(d.g, d.plan, &p);
  CHECK(s.code() == rt::StatusCode::kInternal);
  CHECK_THAT(s.message(), Catch::Contains("plan branch 1 lists node 17"));
}

}  // namespace
}  // namespace parallax::test
