// Importer: text-format models in, IR structure out.
#include <catch2/catch.hpp>

#include "compiler/import/importer.h"
#include "compiler/ir/verifier.h"
#include "parallax/runtime/kernel.h"
#include "test_util.h"

namespace parallax::test {
namespace {

rt::Status import_text(const std::string& text, ir::Graph* g, import::ImportOptions opts = {}) {
  opts.require_kernels = false;  // structure tests must not depend on which kernels exist yet
  const std::string path = write_file(temp_dir(), "m.onnxtxt", text);
  return import::import_model(path, opts, g);
}

const char* kBasic = R"(
<ir_version: 8, opset_import: ["" : 17]>
basic (float[N, 2] x) => (float[N, 2] y)
<float[2] w = {1.0, 2.0}>
{
  t = Add(x, w)
  k = Constant<value_floats = [3.0, 4.0]>()
  y = Mul(t, k)
}
)";

TEST_CASE("importer: values, constants and shapes", "[importer]") {
  ir::Graph g;
  REQUIRE(import_text(kBasic, &g).is_ok());
  REQUIRE(ir::verify(g).is_ok());
  REQUIRE(g.regions.size() == 1);
  CHECK(g.opsets.at("") == 17);
  const ir::Region& main = g.regions[0];
  REQUIRE(main.inputs.size() == 1);
  const ir::Value& x = g.values[main.inputs[0]];
  CHECK(x.name == "x");
  CHECK(x.dtype == rt::DType::kFloat32);
  CHECK(x.dims == std::vector<int64_t>{-1, 2});
  CHECK(x.dim_params == std::vector<std::string>{"N", ""});
  // The initializer and the Constant node are constants; only Add and Mul remain as nodes.
  CHECK(g.values[find_value(g, "w")].is_constant);
  CHECK(g.values[find_value(g, "k")].is_constant);
  CHECK(g.values[find_value(g, "k")].data.size() == 8);
  CHECK(main.nodes.size() == 2);
  CHECK(count_ops(g, "Constant") == 0);
  // Shape inference reached the output.
  const ir::Value& y = g.values[main.outputs[0]];
  CHECK(y.rank_known);
  CHECK(y.dims == std::vector<int64_t>{-1, 2});
}

TEST_CASE("importer: --input-shape pins dims before shape inference", "[importer]") {
  ir::Graph g;
  import::ImportOptions opts;
  opts.input_shapes["x"] = {5, 2};
  REQUIRE(import_text(kBasic, &g, opts).is_ok());
  CHECK(g.values[g.regions[0].outputs[0]].dims == std::vector<int64_t>{5, 2});
  opts.input_shapes = {{"nope", {1}}};
  rt::Status s = import_text(kBasic, &g, opts);
  CHECK(s.message().find("no tensor input 'nope'") != std::string::npos);
}

TEST_CASE("importer: subgraphs become regions reading outer values", "[importer]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 17]>
cf (float[2] x, bool c) => (float[2] z)
{
  t = Relu(x)
  z = If(c) <then_branch = g1 () => (float[2] o1) { o1 = Neg(t) },
             else_branch = g2 () => (float[2] o2) { o2 = Identity(t) }>
}
)";
  ir::Graph g;
  REQUIRE(import_text(text, &g).is_ok());
  REQUIRE(ir::verify(g).is_ok());
  REQUIRE(g.regions.size() == 3);
  const ir::ValueId t = find_value(g, "t");
  int readers_in_branches = 0;
  for (const ir::Node& n : g.nodes) {
    if (n.region != 0) {
      CHECK(g.regions[n.region].parent == 0);
      CHECK(g.nodes[g.regions[n.region].owner].op_type == "If");
      readers_in_branches += n.inputs.size() == 1 && n.inputs[0] == t;
    }
  }
  CHECK(readers_in_branches == 2);
}

TEST_CASE("importer: model-local functions are inlined with attribute references", "[importer]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 17, "local" : 1]>
fn (float[2] x) => (float[2] y)
{
  y = local.LeakyTwice<alpha = 0.5>(x)
}
<domain: "local", opset_import: ["" : 17]>
LeakyTwice <alpha> (a) => (b) {
  l = LeakyRelu<alpha: float = @alpha>(a)
  b = Add(l, l)
}
)";
  ir::Graph g;
  REQUIRE(import_text(text, &g).is_ok());
  REQUIRE(ir::verify(g).is_ok());
  CHECK(count_ops(g, "LeakyTwice") == 0);
  REQUIRE(count_ops(g, "LeakyRelu") == 1);
  REQUIRE(count_ops(g, "Add") == 1);
  for (const ir::Node& n : g.nodes) {
    if (n.op_type != "LeakyRelu") continue;
    REQUIRE(n.attrs.size() == 1);
    CHECK(n.attrs[0].name == "alpha");
    CHECK(n.attrs[0].f == Approx(0.5));
  }
  // The call's output keeps its name; the body's internal value is renamed.
  CHECK(g.values[g.regions[0].outputs[0]].name == "y");
  CHECK(find_value(g, "l") == -1);
}

TEST_CASE("importer: schema function ops without a kernel are expanded", "[importer]") {
  // NegativeLogLikelihoodLoss has a context-dependent function body in opset 13.
  if (rt::find_kernel("", "NegativeLogLikelihoodLoss", 13) >= 0) {
    WARN("a kernel exists now; expansion is not exercised");
    return;
  }
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
nll (float[3, 5] x, int64[3] t) => (float loss)
{
  loss = NegativeLogLikelihoodLoss<reduction = "mean">(x, t)
}
)";
  ir::Graph g;
  REQUIRE(import_text(text, &g).is_ok());
  REQUIRE(ir::verify(g).is_ok());
  CHECK(count_ops(g, "NegativeLogLikelihoodLoss") == 0);
  CHECK(g.nodes.size() > 1);
}

TEST_CASE("importer: errors name the node, op and input", "[importer]") {
  ir::Graph g;
  rt::Status s = import_text(R"(
<ir_version: 8, opset_import: ["" : 17]>
bad (float[2] x) => (float[2] y) { y = Add(x, foo) }
)", &g);
  CHECK(s.message() == "node 'Add_0' (Add): input 'foo' is not produced by any node, initializer or graph input");
  s = import_text(R"(
<ir_version: 8, opset_import: ["" : 5]>
old (float[2] x) => (float[2] y) { y = Relu(x) }
)", &g);
  CHECK(s.message() == "model imports opset 5 of ai.onnx; supported: 7-17");
  s = import_text("this is not onnx", &g);
  CHECK(s.code() == rt::StatusCode::kInvalidArgument);
  CHECK(s.message().find("is not valid ONNX text") != std::string::npos);
  // onnx's text parser throws on number literals it cannot convert; that is bad input too.
  s = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
inf (float[2] x) => (float[2] y) { c = Constant <value = float[2] {1, -inf}> () y = Add(x, c) }
)", &g);
  CHECK(s.code() == rt::StatusCode::kInvalidArgument);
  CHECK(s.message().find("a number literal cannot be read") != std::string::npos);
}

TEST_CASE("importer: every unsupported operator is listed", "[importer]") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
custom (float[2] x) => (float[2] y) { t = com.example.Foo(x)  y = com.example.Bar(t) }
)";
  const std::string path = write_file(temp_dir(), "m.onnxtxt", text);
  ir::Graph g;
  rt::Status s = import::import_model(path, {}, &g);
  CHECK(s.code() == rt::StatusCode::kUnsupported);
  CHECK(s.message() == "unsupported operators: node 'Foo_0' (com.example.Foo), node 'Bar_0' (com.example.Bar)");
}

TEST_CASE("importer: parse_dims", "[importer]") {
  std::vector<int64_t> d;
  REQUIRE(import::parse_dims("1x3x224x224", &d).is_ok());
  CHECK(d == std::vector<int64_t>{1, 3, 224, 224});
  REQUIRE(import::parse_dims("?x4", &d).is_ok());
  CHECK(d == std::vector<int64_t>{-1, 4});
  CHECK_FALSE(import::parse_dims("1xx2", &d).is_ok());
  CHECK_FALSE(import::parse_dims("a", &d).is_ok());
}

}  // namespace
}  // namespace parallax::test
