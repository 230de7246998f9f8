// IR printer: exact, deterministic text.
#include <catch2/catch.hpp>

#include "compiler/ir/printer.h"

namespace parallax::test {
namespace {

using rt::DType;

TEST_CASE("printer: values, sorted attributes, constants and subregions", "[printer]") {
  ir::Graph g;
  g.name = "g";
  g.opsets[""] = 17;
  g.add_region("main", -1, -1);
  const ir::ValueId x = g.add_value("x", DType::kFloat32, {-1, 3}, true);
  g.values[x].dim_params = {"N", ""};
  g.regions[0].inputs.push_back(x);
  const ir::ValueId w = g.add_constant("w", DType::kFloat32, {3}, std::vector<uint8_t>(12, 0));
  const ir::ValueId y = g.add_value("y", DType::kFloat32, {}, false);
  const ir::NodeId n = g.add_node(0, "add0", "Add", "", 17, {x, w}, {y, -1});
  rt::Attribute b;
  b.name = "b";
  b.kind = rt::Attribute::Kind::kInts;
  b.ints = {1, 2};
  rt::Attribute a;
  a.name = "a";
  a.kind = rt::Attribute::Kind::kFloat;
  a.f = 0.5f;
  rt::Attribute body;
  body.name = "body";
  body.kind = rt::Attribute::Kind::kGraph;
  body.graph = g.add_region("sub", 0, n);
  g.nodes[n].attrs = {b, a, body};
  g.regions[body.graph].outputs.push_back(x);
  g.regions[0].outputs.push_back(y);

  const std::string want =
      "graph \"g\" opsets [ai.onnx=17]\n"
      "region 0 \"main\" (%0 \"x\": float[N, 3]) {\n"
      "  const %1 \"w\": float[3] (12 bytes)\n"
      "  %2 \"y\": float[*], none = Add(%0, %1) \"add0\" {a: 0.5, b: [1, 2], body: region 1}\n"
      "    region 1 \"sub\" () {\n"
      "      return %0\n"
      "    }\n"
      "  return %2\n"
      "}\n";
  CHECK(ir::print(g) == want);
  CHECK(ir::print(g) == ir::print(g));
}

TEST_CASE("printer: type strings", "[printer]") {
  ir::Value v;
  v.dtype = DType::kInt64;
  CHECK(ir::type_string(v) == "int64[*]");
  v.rank_known = true;
  CHECK(ir::type_string(v) == "int64[]");
  v.dims = {2, -1};
  CHECK(ir::type_string(v) == "int64[2, ?]");
}

}  // namespace
}  // namespace parallax::test
