// canonicalize and its rewrites: each case imports a small text model, checks the rewritten
// graph's shape, and runs the original and the rewritten graph through the reference
// executor on the same inputs, comparing every output. Near-miss patterns must stay unchanged.
#include "passes/canonicalize.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codegen/program_builder.h"
#include "compiler/import/importer.h"
#include "compiler/ir/verifier.h"
#include "graph_check.h"
#include "parallax/runtime/executor.h"
#include "passes/canonicalize_rewriter.h"
#include "passes/fold_constants.h"
#include "passes/fuse_activation.h"
#include "passes/remove_identity.h"
#include "test_util.h"

namespace parallax::test {
namespace {

ir::Graph canonicalized(const ir::Graph& g) {
  ir::Graph c = g;
  REQUIRE(passes::canonicalize(c).is_ok());
  rt::Status v = ir::verify(c);
  INFO(v.message());
  REQUIRE(v.is_ok());
  return c;
}

// The ops of the main region, in order, with their domain ("com.parallax.FusedConv").
std::vector<std::string> ops(const ir::Graph& g) {
  std::vector<std::string> r;
  for (ir::NodeId n : g.regions[0].nodes) {
    const ir::Node& node = g.nodes[n];
    r.push_back((node.domain.empty() ? "" : node.domain + ".") + node.op_type);
  }
  return r;
}

const ir::Node& only_node(const ir::Graph& g, const std::string& op_type) {
  for (const ir::Node& n : g.nodes)
    if (n.op_type == op_type) return n;
  FAIL("no " << op_type << " node");
  return g.nodes[0];
}

using Ops = std::vector<std::string>;

TEST_CASE("canonicalize: Identity and inference Dropout disappear; outputs keep their names",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
ids (float[2, 3] x) => (float[2, 3] y, float[2, 3] z)
{
  a = Identity(x)
  b = Relu(a)
  c = Dropout(b)
  y = Identity(c)
  z = Identity(x)
}
)");
  const ir::Graph c = canonicalized(g);
  // y's producer now writes y; z returns the input unchanged, so its Identity stays.
  CHECK(ops(c) == Ops{"Relu", "Identity"});
  CHECK(c.values[c.regions[0].outputs[0]].name == "y");
  CHECK(c.nodes[c.values[c.regions[0].outputs[0]].producer].op_type == "Relu");
  check_same_outputs(g, c);
}

TEST_CASE("canonicalize: a training-mode Dropout and a read mask stay", "[passes][canonicalize]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
drop (float[4] x, bool t) => (float[4] y, bool[4] m)
{
  r = Constant<value = float {0.5}>()
  y, m = Dropout(x, r, t)
}
)");
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"Dropout"});
}

TEST_CASE("canonicalize: a static shape subgraph folds into Reshape's constant shape",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
shapes (float[2, 3, 4] x) => (float[2, 12] y, int64 n)
{
  s = Shape(x)
  i = Constant<value = int64[1] {0}>()
  d = Gather(s, i)
  m = Constant<value = int64[1] {-1}>()
  t = Concat<axis = 0>(d, m)
  y = Reshape(x, t)
  n = Size(x)
}
)");
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"Reshape"});
  const ir::Node& r = only_node(c, "Reshape");
  REQUIRE(c.values[r.inputs[1]].is_constant);
  CHECK(c.values[r.inputs[1]].dims == std::vector<int64_t>{2});
  // The Size output became a constant returned by the graph.
  CHECK(c.values[c.regions[0].outputs[1]].is_constant);
  check_same_outputs(g, c);
}

TEST_CASE("canonicalize: folding stops at dynamic shapes, random draws and large results",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
nofold (float[N, 3] x) => (int64[2] s, float[4] r, float[300, 300] big, float[2] small)
<float[4] v = {1, 2, 3, 4}, float ratio = {0.5}, bool training = {1}>
{
  s = Shape(x)
  r = Dropout<seed = 3>(v, ratio, training)
  shape_big = Constant<value = int64[2] {300, 300}>()
  big = ConstantOfShape<value = float[1] {1.0}>(shape_big)
  shape_small = Constant<value = int64[1] {2}>()
  small = ConstantOfShape<value = float[1] {1.0}>(shape_small)
}
)");
  const ir::Graph c = canonicalized(g);
  // 300 * 300 floats = 360 KB > 64 KiB and more than the 16 bytes the node reads.
  CHECK(ops(c) == Ops{"Shape", "Dropout", "ConstantOfShape"});
  CHECK(c.values[c.regions[0].outputs[3]].is_constant);
}

// A 1 -> 4 channel 3x3 convolution followed by `tail`.
std::string conv_model(const std::string& tail, const std::string& extra_inits = "",
                       const std::string& outputs = "float[1, 4, 5, 5] y") {
  return R"(
<ir_version: 8, opset_import: ["" : 14]>
conv (float[1, 2, 5, 5] x) => ()" +
         outputs + R"()
<float[4, 2, 3, 3] w = )" +
         values(72, 1) + R"(, float[4] b = )" + values(4, 2) + extra_inits +
         R"(>
{
  c = Conv<pads = [1, 1, 1, 1]>(x, w, b)
)" + tail +
         "}\n";
}

TEST_CASE("canonicalize: BatchNormalization folds into the Conv before it",
          "[passes][canonicalize]") {
  const std::string bn = R"(, float[4] s = )" + values(4, 3, 0.5, 2) + R"(, float[4] o = )" +
                         values(4, 4) + R"(, float[4] mu = )" + values(4, 5) +
                         R"(, float[4] var = )" + values(4, 6, 0.1, 2);
  const ir::Graph g =
      import_text(conv_model("  n = BatchNormalization(c, s, o, mu, var)\n  y = Relu(n)\n", bn));
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"com.parallax.FusedConv"});
  check_same_outputs(g, c);

  SECTION("not when the Conv's output has another reader") {
    const ir::Graph g2 = import_text(
        conv_model("  n = BatchNormalization(c, s, o, mu, var)\n  y = Add(n, c)\n", bn));
    CHECK(ops(canonicalized(g2)) == Ops{"Conv", "BatchNormalization", "Add"});
  }
}

TEST_CASE("canonicalize: BatchNormalization folds into a grouped ConvTranspose",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
deconv (float[1, 4, 3, 3] x) => (float[1, 6, 5, 5] y)
<float[4, 3, 3, 3] w = )" + values(108, 7) +
                                  R"(, float[6] s = )" + values(6, 8, 0.5, 2) +
                                  R"(, float[6] o = )" + values(6, 9) + R"(, float[6] mu = )" +
                                  values(6, 10) + R"(, float[6] var = )" + values(6, 11, 0.1, 2) +
                                  R"(>
{
  c = ConvTranspose<group = 2>(x, w)
  y = BatchNormalization(c, s, o, mu, var)
}
)");
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"ConvTranspose"});
  check_same_outputs(g, c);
}

TEST_CASE("canonicalize: a per-channel Add becomes the Conv's bias", "[passes][canonicalize]") {
  const std::string k = R"(, float[1, 4, 1, 1] k = )" + values(4, 12);
  const ir::Graph g = import_text(conv_model("  y = Add(k, c)\n", k));
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"Conv"});
  check_same_outputs(g, c);

  SECTION("not when the addend varies over positions") {
    const ir::Graph g2 = import_text(
        conv_model("  y = Add(c, k)\n", R"(, float[1, 1, 5, 5] k = )" + values(25, 13)));
    CHECK(ops(canonicalized(g2)) == Ops{"Conv", "Add"});
  }
}

// MatMul [2, 3, 4] x [4, 5] then `tail`; `bias` is the Add's constant.
std::string matmul_model(const std::string& tail, const std::string& bias_type, int bias_elems) {
  return R"(
<ir_version: 8, opset_import: ["" : 13]>
mm (float[2, 3, 4] a) => (float[2, 3, 5] y)
<float[4, 5] w = )" +
         values(20, 14) + ", " + bias_type + " k = " + values(bias_elems, 15) +
         R"(>
{
  p = MatMul(a, w)
)" + tail +
         "}\n";
}

TEST_CASE("canonicalize: MatMul + Add + Relu becomes one FusedMatMul", "[passes][canonicalize]") {
  const ir::Graph g = import_text(matmul_model("  q = Add(k, p)\n  y = Relu(q)\n", "float[5]", 5));
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"com.parallax.FusedMatMul"});
  const ir::Node& n = only_node(c, "FusedMatMul");
  CHECK(passes::attr_string(n, "activation", "") == "Relu");
  CHECK(c.values[n.inputs[2]].dims == std::vector<int64_t>{5});
  check_same_outputs(g, c);

  SECTION("not when the addend varies along a batch axis") {
    const ir::Graph g2 = import_text(matmul_model("  y = Add(p, k)\n", "float[3, 1]", 3));
    CHECK(ops(canonicalized(g2)) == Ops{"MatMul", "Add"});
  }
}

TEST_CASE("canonicalize: Gemm + Add + Sigmoid becomes one FusedGemm", "[passes][canonicalize]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
gemm (float[3, 4] a) => (float[3, 5] y)
<float[5, 4] w = )" + values(20, 16) +
                                  R"(, float[5] b = )" + values(5, 17) + R"(, float[1, 5] k = )" +
                                  values(5, 18) + R"(>
{
  p = Gemm<transB = 1, beta = 0.5>(a, w, b)
  q = Add(p, k)
  y = Sigmoid(q)
}
)");
  const ir::Graph c = canonicalized(g);
  CHECK(ops(c) == Ops{"com.parallax.FusedGemm"});
  check_same_outputs(g, c);
}

TEST_CASE(
    "canonicalize: Conv activations fuse (Clip, HardSwish, HardSigmoid, LeakyRelu, SiLU, "
    "HardSwish as Mul)",
    "[passes][canonicalize]") {
  const std::string clip = R"(, float lo = {0.0}, float hi = {6.0})";
  for (const std::string& tail :
       {std::string("  y = Clip(c, lo, hi)\n"), std::string("  y = HardSwish(c)\n"),
        std::string("  y = HardSigmoid<alpha = 0.3>(c)\n"),
        std::string("  y = LeakyRelu<alpha = 0.2>(c)\n"),
        std::string("  s = Sigmoid(c)\n  y = Mul(c, s)\n"),
        std::string("  s = HardSigmoid<alpha = 0.16666667, beta = 0.5>(c)\n  y = Mul(s, c)\n")}) {
    INFO(tail);
    const ir::Graph g = import_text(conv_model(tail, clip));
    const ir::Graph c = canonicalized(g);
    CHECK(ops(c) == Ops{"com.parallax.FusedConv"});
    check_same_outputs(g, c);
  }
}

TEST_CASE("canonicalize: activations stay apart when the product has another reader",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(conv_model("  r = Relu(c)\n  y = Add(r, c)\n"));
  CHECK(ops(canonicalized(g)) == Ops{"Conv", "Relu", "Add"});
  // SiLU's Sigmoid reading something else than the Mul's other operand.
  const ir::Graph g2 = import_text(conv_model("  n = Neg(c)\n  s = Sigmoid(n)\n  y = Mul(c, s)\n"));
  CHECK(ops(canonicalized(g2)) == Ops{"Conv", "Neg", "Sigmoid", "Mul"});
  // A Clip bound that is not a constant.
  const ir::Graph g3 = import_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
clip (float[2, 3] a, float hi) => (float[2, 3] y)
<float[3, 3] w = )" + values(9, 19) +
                                   R"(>
{
  p = MatMul(a, w)
  y = Clip(p, , hi)
}
)");
  CHECK(ops(canonicalized(g3)) == Ops{"MatMul", "Clip"});
}

// The erf GELU of MatMul(a, w) with `tail` computing y from x = p.
std::string gelu_model(const std::string& tail) {
  return R"(
<ir_version: 8, opset_import: ["" : 13]>
gelu (float[2, 3] a) => (float[2, 3] y)
<float[3, 3] w = )" +
         values(9, 20) + R"(, float r2 = {1.4142135}, float ir2 = {0.70710678},
 float one = {1.0}, float half = {0.5}, float off = {1.5}>
{
  x = MatMul(a, w)
)" + tail +
         "}\n";
}

TEST_CASE("canonicalize: the erf GELU forms become Gelu, fused into the MatMul",
          "[passes][canonicalize]") {
  for (const std::string& tail :
       {std::string("  d = Div(x, r2)\n  e = Erf(d)\n  f = Add(e, one)\n  m = Mul(x, f)\n"
                    "  y = Mul(m, half)\n"),
        std::string("  d = Mul(ir2, x)\n  e = Erf(d)\n  f = Add(one, e)\n  m = Mul(f, half)\n"
                    "  y = Mul(x, m)\n"),
        std::string("  d = Div(x, r2)\n  e = Erf(d)\n  f = Add(e, one)\n  h = Mul(x, half)\n"
                    "  y = Mul(h, f)\n")}) {
    INFO(tail);
    const ir::Graph g = import_text(gelu_model(tail));
    ir::Graph c = canonicalized(g);
    CHECK(ops(c) == Ops{"com.parallax.FusedMatMul"});
    CHECK(passes::attr_string(only_node(c, "FusedMatMul"), "activation", "") == "Gelu");
    check_same_outputs(g, c);
  }
  SECTION("not with a constant other than sqrt(2)") {
    const ir::Graph g =
        import_text(gelu_model("  d = Div(x, off)\n  e = Erf(d)\n  f = Add(e, one)\n  m = Mul(x, "
                               "f)\n  y = Mul(m, half)\n"));
    CHECK(ops(canonicalized(g)) == Ops{"MatMul", "Div", "Erf", "Add", "Mul", "Mul"});
  }
}

// Decomposed layer norm over `axes` of x [2, 3, 8].
std::string layernorm_model(const std::string& axes, const std::string& gamma_type = "float[8]") {
  return R"(
<ir_version: 8, opset_import: ["" : 13]>
ln (float[2, 3, 8] x) => (float[2, 3, 8] y)
<)" + gamma_type +
         " g = " + values(8, 21, 0.5, 2) + R"(, float[8] b = )" + values(8, 22) +
         R"(, float two = {2.0}, float eps = {1e-5}>
{
  m = ReduceMean<axes = )" +
         axes + R"(>(x)
  d = Sub(x, m)
  p = Pow(d, two)
  v = ReduceMean<axes = )" +
         axes + R"(>(p)
  ve = Add(v, eps)
  s = Sqrt(ve)
  n = Div(d, s)
  t = Mul(n, g)
  y = Add(b, t)
}
)";
}

TEST_CASE("canonicalize: decomposed layer normalisation becomes LayerNormalization",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(layernorm_model("[-1]", "float[1, 1, 8]"));
  const ir::Graph c = canonicalized(g);
  REQUIRE(ops(c) == Ops{"LayerNormalization"});
  const ir::Node& n = only_node(c, "LayerNormalization");
  CHECK(n.opset == 17);
  CHECK(passes::attr_int(n, "axis", 0) == 2);
  CHECK(c.values[n.inputs[1]].dims == std::vector<int64_t>{8});  // leading ones trimmed
  check_same_outputs(g, c);

  SECTION("over two trailing axes") {
    const ir::Graph g2 = import_text(layernorm_model("[1, 2]"));
    const ir::Graph c2 = canonicalized(g2);
    CHECK(ops(c2) == Ops{"LayerNormalization"});
    CHECK(passes::attr_int(only_node(c2, "LayerNormalization"), "axis", 0) == 1);
    check_same_outputs(g2, c2);
  }
  SECTION("not over a leading axis") {
    const ir::Graph g2 = import_text(layernorm_model("[1]", "float[8]"));
    CHECK(count_ops(canonicalized(g2), "LayerNormalization") == 0);
  }
}

TEST_CASE("canonicalize: each rewrite leaves a graph without matches unchanged",
          "[passes][canonicalize]") {
  ir::Graph g = import_text(conv_model("  y = Relu(c)\n"));
  CHECK(passes::remove_identity(g) == false);
  CHECK(passes::fold_constants(g) == false);
  CHECK(passes::fuse_activation(g) == true);
  CHECK(passes::fuse_activation(g) == false);
  CHECK(ir::verify(g).is_ok());
}

TEST_CASE("canonicalize: released weights leave no unused constants", "[passes][canonicalize]") {
  const std::string k =
      R"(, float[1, 4, 1, 1] k = )" + values(4, 12) + R"(, float[9] unused = )" + values(9, 23);
  const ir::Graph c = canonicalized(import_text(conv_model("  y = Add(k, c)\n", k)));
  int constants = 0;
  for (const ir::Value& v : c.values) constants += v.is_constant;
  CHECK(constants == 2);  // W and the merged bias
}

}  // namespace
}  // namespace parallax::test
