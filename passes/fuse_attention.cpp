#include "passes/fuse_attention.h"

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// A float32 value whose rank is known and at least 2.
bool matrix_operand(const Rewriter& rw, ir::ValueId v) {
  if (v < 0) return false;
  const ir::Value& val = rw.value(v);
  return val.dtype == rt::DType::kFloat32 && val.rank_known && val.dims.size() >= 2;
}

// Softmax node `sm` normalises the last axis of its input.
bool last_axis_softmax(const Rewriter& rw, ir::NodeId sm) {
  const ir::Node& n = rw.node(sm);
  const ir::Value& x = rw.value(n.inputs[0]);
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  const int64_t axis = attr_int(n, "axis", n.opset >= 13 ? -1 : 1);
  return axis == -1 || axis == rank - 1;
}

bool fuse_at(Rewriter& rw, ir::NodeId sm) {
  const ir::Node& s = rw.node(sm);
  if (s.inputs.size() != 1 || s.outputs.size() != 1) return false;
  const ir::NodeId m1 = rw.single_producer(s.inputs[0], "MatMul", sm);
  if (m1 < 0 || !matrix_operand(rw, s.inputs[0]) || !last_axis_softmax(rw, sm)) return false;
  const ir::NodeId m2 = rw.only_user(s.outputs[0]);
  if (!rw.is(m2, "MatMul") || rw.node(m2).region != s.region) return false;
  const ir::Node& first = rw.node(m1);
  const ir::Node& second = rw.node(m2);
  if (first.inputs.size() != 2 || second.inputs.size() != 2 || second.inputs[0] != s.outputs[0] ||
      second.inputs[1] == s.outputs[0]) {
    return false;
  }
  const ir::ValueId q = first.inputs[0], kt = first.inputs[1], v = second.inputs[1];
  if (!matrix_operand(rw, q) || !matrix_operand(rw, kt) || !matrix_operand(rw, v)) return false;
  rw.replace(m2, second.name, "FusedAttention", kParallaxDomain, kParallaxOpset, {q, kt, v}, {});
  rw.erase(sm);
  rw.erase(m1);
  return true;
}

}  // namespace

bool fuse_attention(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "Softmax")) fuse_at(rw, n);
  }
  return rw.finish();
}

}  // namespace parallax::passes
