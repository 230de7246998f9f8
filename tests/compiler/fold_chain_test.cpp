// fold_constants on chains whose intermediate is over the fold bound: a SwinV2-style
// continuous position bias (a two-layer MLP over a constant coordinate table, gathered into a
// per-head bias) folds to its small final result; the folded graph computes the same outputs
// as the original, and no constant over the bound appears.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "compiler/ir/verifier.h"
#include "graph_check.h"
#include "passes/canonicalize.h"
#include "passes/fold_constants.h"

namespace parallax::test {
namespace {

// "{i0, i1, ...}": n deterministic integers in [0, hi).
std::string indices(int n, int hi) {
  std::mt19937 rng(9);
  std::string s = "{";
  for (int i = 0; i < n; ++i)
    s += (i ? ", " : "") + std::to_string(std::uniform_int_distribution<int>(0, hi - 1)(rng));
  return s + "}";
}

// scores + 16 * sigmoid(bias), bias gathered from MLP(table): table [1, 15, 15, 2] ->
// [1, 15, 15, 512] (460 KB, over the bound) -> [1, 15, 15, 3] -> [225, 3] -> gathered by a
// [4096] index to [4096, 3] -> [1, 3, 64, 64] (48 KB). `tail` may read the hidden layer h, and
// the inputs and outputs it adds follow the first ones.
std::string bias_model(const std::string& tail = "", const std::string& inputs = "",
                       const std::string& outputs = "") {
  return R"(
<ir_version: 8, opset_import: ["" : 13]>
cpb (float[1, 3, 64, 64] scores)" +
         inputs + ") => (float[1, 3, 64, 64] y" + outputs + R"()
<float[1, 15, 15, 2] table = )" +
         values(450, 1) + ", float[2, 512] w1 = " + values(1024, 2) +
         ", float[512] b1 = " + values(512, 3) + ", float[512, 3] w2 = " + values(1536, 4) +
         ", int64[4096] index = " + indices(4096, 225) + R"(>
{
  m1 = MatMul(table, w1)
  a1 = Add(m1, b1)
  h = Relu(a1)
  m2 = MatMul(h, w2)
  flat_shape = Constant<value = int64[2] {225, 3}>()
  flat = Reshape(m2, flat_shape)
  picked = Gather<axis = 0>(flat, index)
  grid_shape = Constant<value = int64[3] {64, 64, 3}>()
  grid = Reshape(picked, grid_shape)
  heads = Transpose<perm = [2, 0, 1]>(grid)
  axes = Constant<value = int64[1] {0}>()
  bias4 = Unsqueeze(heads, axes)
  s = Sigmoid(bias4)
  sixteen = Constant<value = float {16}>()
  bias = Mul(s, sixteen)
  y = Add(scores, bias)
)" + tail +
         "}\n";
}

size_t largest_constant(const ir::Graph& g) {
  size_t most = 0;
  for (const ir::Value& v : g.values)
    if (v.is_constant) most = std::max(most, v.data.size());
  return most;
}

TEST_CASE("fold_constants: a position-bias chain folds through its 460 KB hidden layer",
          "[passes][canonicalize]") {
  const ir::Graph g = import_text(bias_model());
  ir::Graph c = g;
  REQUIRE(passes::canonicalize(c).is_ok());
  rt::Status v = ir::verify(c);
  INFO(v.message());
  REQUIRE(v.is_ok());
  // Only the final Add runs; its bias is the one new constant, 3 * 64 * 64 floats.
  REQUIRE(c.regions[0].nodes.size() == 1);
  const ir::Node& add = c.nodes[c.regions[0].nodes[0]];
  CHECK(add.op_type == "Add");
  CHECK(c.values[add.inputs[1]].data.size() == 3 * 64 * 64 * sizeof(float));
  CHECK(largest_constant(c) <= passes::kFoldMinBytes);

  check_same_outputs(g, c);
}

TEST_CASE("fold_constants: a hidden layer that a large result also reads stays unfolded",
          "[passes][canonicalize]") {
  // h also feeds a node that reads a graph input, so h's chain ends in a 460 KB result:
  // folding h would leave it behind as a constant.
  const ir::Graph g = import_text(bias_model(
      "  z = Add(extra, h)\n", ", float[1, 15, 15, 512] extra", ", float[1, 15, 15, 512] z"));
  ir::Graph c = g;
  REQUIRE(passes::canonicalize(c).is_ok());
  REQUIRE(ir::verify(c).is_ok());
  CHECK(count_ops(c, "FusedMatMul") == 1);
  CHECK(count_ops(c, "MatMul") == 1);
  CHECK(count_ops(c, "Gather") == 1);
  CHECK(largest_constant(c) <= largest_constant(g));
  check_same_outputs(g, c);
}

}  // namespace
}  // namespace parallax::test
