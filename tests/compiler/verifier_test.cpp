// IR verifier: hand-built graphs, each broken in one way.
#include <catch2/catch.hpp>

#include "compiler/ir/verifier.h"

namespace parallax::test {
namespace {

using rt::DType;

// x -> Relu -> y, with a constant c.
ir::Graph small_graph() {
  ir::Graph g;
  g.add_region("main", -1, -1);
  const ir::ValueId x = g.add_value("x", DType::kFloat32, {2}, true);
  g.regions[0].inputs.push_back(x);
  const ir::ValueId y = g.add_value("y", DType::kFloat32, {2}, true);
  g.add_node(0, "relu", "Relu", "", 17, {x}, {y});
  g.regions[0].outputs.push_back(y);
  return g;
}

bool mentions(const rt::Status& s, const std::string& text) {
  return !s.is_ok() && s.message().find(text) != std::string::npos;
}

TEST_CASE("verifier: a well-formed graph passes", "[verifier]") {
  ir::Graph g = small_graph();
  CHECK(ir::verify(g).is_ok());
}

TEST_CASE("verifier: use before definition", "[verifier]") {
  ir::Graph g = small_graph();
  const ir::ValueId z = g.add_value("z", DType::kFloat32, {2}, true);
  const ir::ValueId w = g.add_value("w", DType::kFloat32, {2}, true);
  g.add_node(0, "first", "Neg", "", 17, {w}, {z});  // reads w, produced only later
  g.add_node(0, "second", "Neg", "", 17, {z}, {w});
  rt::Status s = ir::verify(g);
  CHECK(mentions(s, "node 'first' (Neg): input 0 value 'w'"));
  CHECK(mentions(s, "used before it is defined"));
}

TEST_CASE("verifier: a value with two producers", "[verifier]") {
  ir::Graph g = small_graph();
  const ir::ValueId y = g.regions[0].outputs[0];
  g.add_node(0, "again", "Neg", "", 17, {g.regions[0].inputs[0]}, {y});
  CHECK(mentions(ir::verify(g), "produced by both node 'relu' (Relu) and node 'again' (Neg)"));
}

TEST_CASE("verifier: ids out of range", "[verifier]") {
  ir::Graph g = small_graph();
  g.nodes[0].inputs[0] = 42;
  CHECK(mentions(ir::verify(g), "node 'relu' (Relu): input id 42 is out of range"));
  g = small_graph();
  g.regions[0].nodes.push_back(7);
  CHECK(mentions(ir::verify(g), "lists node id 7, out of range"));
}

TEST_CASE("verifier: region outputs must be defined", "[verifier]") {
  ir::Graph g = small_graph();
  g.regions[0].outputs.push_back(g.add_value("ghost", DType::kFloat32, {2}, true));
  CHECK(mentions(ir::verify(g), "output value 'ghost'"));
}

TEST_CASE("verifier: subregions see enclosing values, not the reverse", "[verifier]") {
  ir::Graph g = small_graph();
  const ir::ValueId x = g.regions[0].inputs[0];
  const ir::ValueId c = g.add_value("c", DType::kBool, {}, true);
  g.regions[0].inputs.push_back(c);
  const ir::ValueId r = g.add_value("r", DType::kFloat32, {2}, true);
  const ir::NodeId if_node = g.add_node(0, "if", "If", "", 17, {c}, {r});
  const ir::RegionId body = g.add_region("then", 0, if_node);
  const ir::ValueId inner = g.add_value("inner", DType::kFloat32, {2}, true, body);
  g.add_node(body, "neg", "Neg", "", 17, {x}, {inner});  // outer-scope read: fine
  g.regions[body].outputs.push_back(inner);
  rt::Attribute a;
  a.name = "then_branch";
  a.kind = rt::Attribute::Kind::kGraph;
  a.graph = body;
  g.nodes[if_node].attrs.push_back(a);
  REQUIRE(ir::verify(g).is_ok());

  // The main region reading a value defined inside the body is an error.
  const ir::ValueId leak = g.add_value("leak", DType::kFloat32, {2}, true);
  g.add_node(0, "leaky", "Neg", "", 17, {inner}, {leak});
  CHECK(mentions(ir::verify(g), "node 'leaky' (Neg): input 0 value 'inner'"));
}

TEST_CASE("verifier: graph attributes must name an owned region", "[verifier]") {
  ir::Graph g = small_graph();
  rt::Attribute a;
  a.name = "body";
  a.kind = rt::Attribute::Kind::kGraph;
  a.graph = 5;
  g.nodes[0].attrs.push_back(a);
  CHECK(mentions(ir::verify(g), "graph attribute 'body' does not name a region it owns"));
}

TEST_CASE("verifier: tensor attributes must name a constant", "[verifier]") {
  ir::Graph g = small_graph();
  rt::Attribute a;
  a.name = "value";
  a.kind = rt::Attribute::Kind::kTensor;
  a.tensor = g.regions[0].inputs[0];
  g.nodes[0].attrs.push_back(a);
  CHECK(mentions(ir::verify(g), "tensor attribute 'value' does not name a constant"));
}

}  // namespace
}  // namespace parallax::test
