// Passes: eliminate_dead_code on hand-built graphs (structure), and the pipeline runner's
// contract (verification, unknown pass names).
#include <catch2/catch.hpp>

#include "compiler/ir/verifier.h"
#include "passes/eliminate_dead_code.h"
#include "passes/pipeline.h"

namespace parallax::test {
namespace {

using rt::DType;

// x -> Relu -> y (output); x -> Neg -> d1 -> Abs -> d2 (a dead chain).
ir::Graph graph_with_dead_chain() {
  ir::Graph g;
  g.add_region("main", -1, -1);
  const ir::ValueId x = g.add_value("x", DType::kFloat32, {2}, true);
  g.regions[0].inputs.push_back(x);
  const ir::ValueId d1 = g.add_value("d1", DType::kFloat32, {2}, true);
  g.add_node(0, "neg", "Neg", "", 17, {x}, {d1});
  const ir::ValueId y = g.add_value("y", DType::kFloat32, {2}, true);
  g.add_node(0, "relu", "Relu", "", 17, {x}, {y});
  const ir::ValueId d2 = g.add_value("d2", DType::kFloat32, {2}, true);
  g.add_node(0, "abs", "Abs", "", 17, {d1}, {d2});
  g.regions[0].outputs.push_back(y);
  return g;
}

TEST_CASE("eliminate_dead_code removes a whole dead chain", "[passes]") {
  ir::Graph g = graph_with_dead_chain();
  REQUIRE(ir::verify(g).is_ok());
  REQUIRE(passes::eliminate_dead_code(g).is_ok());
  CHECK(ir::verify(g).is_ok());
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op_type == "Relu");
  CHECK(g.regions[0].nodes == std::vector<ir::NodeId>{0});
  CHECK(g.values[g.regions[0].outputs[0]].producer == 0);
}

TEST_CASE("eliminate_dead_code keeps a graph without dead nodes unchanged", "[passes]") {
  ir::Graph g = graph_with_dead_chain();
  REQUIRE(passes::eliminate_dead_code(g).is_ok());
  const size_t before = g.nodes.size();
  REQUIRE(passes::eliminate_dead_code(g).is_ok());
  CHECK(g.nodes.size() == before);
}

TEST_CASE("run_pipeline rejects an unknown pass name and lists the valid ones", "[passes]") {
  ir::Graph g = graph_with_dead_chain();
  passes::PipelineOptions opts;
  opts.stop_after = "no-such-pass";
  rt::Status s = passes::run_pipeline(g, opts);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find("eliminate-dead-code") != std::string::npos);
}

}  // namespace
}  // namespace parallax::test
