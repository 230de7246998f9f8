// sink_gather: the rows a Gather keeps, computed alone, equal the Gather of the whole tensor.
// Each case runs the original and the rewritten graph on the same inputs (graph_check.h) and
// checks which nodes now work on the gathered rows.
#include "passes/sink_gather.h"

#include <catch2/catch.hpp>
#include <string>

#include "graph_check.h"
#include "passes/attention_heads.h"
#include "passes/canonicalize.h"
#include "passes/fuse_attention.h"

namespace parallax::test {
namespace {

// The passes in front of sink-gather, then sink-gather itself.
ir::Graph sunk(const ir::Graph& g) {
  ir::Graph s = g;
  REQUIRE(passes::canonicalize(s).is_ok());
  passes::fuse_attention(s);
  passes::attention_heads(s);
  CHECK(passes::sink_gather(s));
  rt::Status v = ir::verify(s);
  INFO(v.message());
  REQUIRE(v.is_ok());
  return s;
}

// The number of main-region nodes whose output has `rows` rows in front (dims[axis] == rows).
int nodes_on_rows(const ir::Graph& g, const std::string& op, int axis, int64_t rows) {
  int count = 0;
  for (ir::NodeId n : g.regions[0].nodes) {
    const ir::Node& node = g.nodes[n];
    const ir::Value& out = g.values[node.outputs[0]];
    if (node.op_type == op && static_cast<int>(out.dims.size()) > axis && out.dims[axis] == rows)
      ++count;
  }
  return count;
}

TEST_CASE("sink_gather: a residual block and LayerNorm run on the pooled row",
          "[passes][sink_gather]") {
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 17]>
pool (float[6, 4] t, int64[6] ids) => (float[1, 4] y, float[6, 4] x)
<float[4, 8] w1 = )" + values(32, 1) +
                                  R"(, float[8] b1 = )" + values(8, 2) + R"(, float[8, 4] w2 = )" +
                                  values(32, 3) +
                                  R"(, float[4] g = {1, 2, 1, 2}, float[4] b0 = {0, 1, 0, 1}>
{
  x = Relu(t)
  n1 = LayerNormalization <axis = -1> (x, g, b0)
  m1 = MatMul(n1, w1)
  a1 = Add(m1, b1)
  h = Relu(a1)
  f = MatMul(h, w2)
  r = Add(x, f)
  n2 = LayerNormalization <axis = -1> (r, g, b0)
  i = ArgMax <axis = 0, keepdims = 1> (ids)
  y = Gather <axis = 0> (n2, i)
}
)");
  const ir::Graph s = sunk(g);
  CHECK(nodes_on_rows(s, "LayerNormalization", 0, 1) == 2);
  CHECK(nodes_on_rows(s, "Gather", 0, 1) == 1);  // x, which is also returned whole
  check_same_outputs(g, s);
}

TEST_CASE("sink_gather: a causal attention computes only the gathered query rows",
          "[passes][sink_gather]") {
  // Two heads of 4 over 6 tokens, split rank-3 (heads first), a causal mask, the heads merged
  // and projected, then the row of the largest id.
  const ir::Graph g = import_text(R"(
<ir_version: 8, opset_import: ["" : 17]>
attn (float[6, 8] x, int64[6] ids) => (float[1, 8] y)
<float[8, 8] wq = )" + values(64, 4) +
                                  R"(, float[8, 8] wk = )" + values(64, 5) +
                                  R"(, float[8, 8] wv = )" + values(64, 6) +
                                  R"(, float[8, 8] wo = )" + values(64, 7) + R"(,
 float[6, 6] causal = {0, -1e9, -1e9, -1e9, -1e9, -1e9, 0, 0, -1e9, -1e9, -1e9, -1e9,
                       0, 0, 0, -1e9, -1e9, -1e9, 0, 0, 0, 0, -1e9, -1e9,
                       0, 0, 0, 0, 0, -1e9, 0, 0, 0, 0, 0, 0},
 int64[3] split = {6, 2, 4}, int64[2] merged = {6, 8}>
{
  q0 = MatMul(x, wq)
  q1 = Reshape(q0, split)
  q = Transpose <perm = [1, 0, 2]> (q1)
  k0 = MatMul(x, wk)
  k1 = Reshape(k0, split)
  kt = Transpose <perm = [1, 2, 0]> (k1)
  v0 = MatMul(x, wv)
  v1 = Reshape(v0, split)
  v = Transpose <perm = [1, 0, 2]> (v1)
  s = MatMul(q, kt)
  sm = Add(s, causal)
  p = Softmax <axis = -1> (sm)
  o = MatMul(p, v)
  ot = Transpose <perm = [1, 0, 2]> (o)
  om = Reshape(ot, merged)
  z = MatMul(om, wo)
  i = ArgMax <axis = 0, keepdims = 1> (ids)
  y = Gather <axis = 0> (z, i)
}
)");
  const ir::Graph s = sunk(g);
  CHECK(nodes_on_rows(s, "FusedAttention", 0, 1) == 1);  // [1, 8]: one query row
  check_same_outputs(g, s);
}

}  // namespace
}  // namespace parallax::test
