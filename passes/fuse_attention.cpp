#include "passes/fuse_attention.h"

#include <string>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// The kernel's limit on score_ops (fused::kMaxScoreOps, runtime/kernels/fused/score_ops.h).
constexpr size_t kMaxScoreOps = 8;

// What lies between the first MatMul and the Softmax.
struct Epilogue {
  std::vector<ir::NodeId> nodes;
  std::vector<std::string> ops;       // the score_ops attribute
  std::vector<ir::ValueId> operands;  // inputs 3... of the fused node
};

// A float32 value whose rank is known and at least 2.
bool matrix_operand(const Rewriter& rw, ir::ValueId v) {
  if (v < 0) return false;
  const ir::Value& val = rw.value(v);
  return val.dtype == rt::DType::kFloat32 && val.rank_known && val.dims.size() >= 2;
}

bool static_dims(const ir::Value& v) {
  if (!v.rank_known) return false;
  for (int64_t d : v.dims)
    if (d < 0) return false;
  return true;
}

std::vector<int64_t> without_leading_ones(const std::vector<int64_t>& dims) {
  size_t i = 0;
  while (i < dims.size() && dims[i] == 1) ++i;
  return {dims.begin() + static_cast<std::ptrdiff_t>(i), dims.end()};
}

// x is a `dtype` value that broadcasts to scores of shape `s` without enlarging them: each of
// its dimensions is 1 or the scores' (those beyond the scores' rank 1), all known.
bool fits_scores(const Rewriter& rw, ir::ValueId x, rt::DType dtype,
                 const std::vector<int64_t>& s) {
  if (x < 0) return false;
  const ir::Value& val = rw.value(x);
  if (val.dtype != dtype || !val.rank_known) return false;
  const size_t r = val.dims.size(), sr = s.size();
  for (size_t a = 0; a < r; ++a) {
    const int64_t dim = val.dims[a];
    if (dim == 1) continue;
    if (a + sr < r || dim < 0 || dim != s[a + sr - r]) return false;
  }
  return true;
}

// The value a Where condition c (which fits the scores) was broadcast or cast from, looking
// through Casts to bool and Expands read only by the next node: the kernel broadcasts the
// condition itself, so they go with the fusion (added to e->nodes) and the mask costs no
// pass over the scores' shape (DistilBERT's Where(Cast(Expand(mask)), -large, s)).
ir::ValueId condition_source(const Rewriter& rw, ir::ValueId c, ir::NodeId where,
                             const std::vector<int64_t>& scores, Epilogue* e) {
  ir::NodeId user = where;
  while (true) {
    ir::NodeId p = rw.single_producer(c, "Cast", user);
    if (p >= 0 && attr_int(rw.node(p), "to", 0) != 9) p = -1;  // 9: TensorProto BOOL
    if (p < 0) p = rw.single_producer(c, "Expand", user);
    if (p < 0 || rw.node(p).inputs.empty()) return c;
    const ir::ValueId from = rw.node(p).inputs[0];
    if (!fits_scores(rw, from, rt::DType::kBool, scores)) return c;
    e->nodes.push_back(p);
    c = from;
    user = p;
  }
}

// Appends node n, which reads the scores s, to the epilogue when the kernel can apply it.
bool add_step(const Rewriter& rw, ir::NodeId n, ir::ValueId s, Epilogue* e) {
  const ir::Node& node = rw.node(n);
  const std::vector<ir::ValueId>& in = node.inputs;
  const ir::Value& scores = rw.value(s);
  if (!node.domain.empty() || node.outputs.size() != 1 || !scores.rank_known) return false;
  const std::string& op = node.op_type;
  if (op == "Reshape") {
    // Only a view with leading 1s added or dropped: the operands of later steps then line up
    // with the scores' trailing dimensions, as the kernel reads them.
    const ir::Value& out = rw.value(node.outputs[0]);
    if (in.empty() || in[0] != s || !static_dims(scores) || !static_dims(out) ||
        without_leading_ones(out.dims) != without_leading_ones(scores.dims)) {
      return false;
    }
    e->nodes.push_back(n);
    return true;
  }
  if (e->ops.size() == kMaxScoreOps) return false;
  if (op == "Add" || op == "Mul" || op == "Sub" || op == "Div") {
    // x - s and x / s are not epilogue forms; Add and Mul commute exactly in float.
    if (in.size() != 2 || (in[0] != s && (op == "Sub" || op == "Div"))) return false;
    const ir::ValueId x = in[0] == s ? in[1] : in[0];
    if (!fits_scores(rw, x, rt::DType::kFloat32, scores.dims)) return false;
    e->ops.push_back(op);
    e->operands.push_back(x);
  } else if (op == "Where") {
    if (in.size() != 3 || in[0] == s) return false;
    const bool keep = in[1] == s;  // Where(c, s, x) keeps the scores where c holds
    const ir::ValueId x = keep ? in[2] : in[1];
    if (!fits_scores(rw, in[0], rt::DType::kBool, scores.dims) ||
        !fits_scores(rw, x, rt::DType::kFloat32, scores.dims)) {
      return false;
    }
    e->ops.push_back(keep ? "Where" : "WhereNot");
    e->operands.push_back(condition_source(rw, in[0], n, scores.dims, e));
    e->operands.push_back(x);
  } else {
    return false;
  }
  e->nodes.push_back(n);
  return true;
}

// Softmax node `sm` normalises the last axis of its input.
bool last_axis_softmax(const Rewriter& rw, ir::NodeId sm) {
  const ir::Node& n = rw.node(sm);
  const ir::Value& x = rw.value(n.inputs[0]);
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  const int64_t axis = attr_int(n, "axis", n.opset >= 13 ? -1 : 1);
  return x.rank_known && (axis == -1 || axis == rank - 1);
}

// Matches the chain that starts at MatMul m1 and fuses it into the second MatMul.
bool fuse_at(Rewriter& rw, ir::NodeId m1) {
  const ir::Node& first = rw.node(m1);
  // A FusedMatMul without activation is the MatMul with its bias as the first step: the
  // canonicalize pass folds a constant mask over the keys ([N] after broadcasting) into it.
  const bool biased = first.domain == kParallaxDomain;
  if (first.inputs.size() != (biased ? 3u : 2u) || first.outputs.size() != 1 ||
      (biased && !attr_string(first, "activation", "").empty())) {
    return false;
  }
  const ir::ValueId q = first.inputs[0], kt = first.inputs[1], s = first.outputs[0];
  if (!matrix_operand(rw, q) || !matrix_operand(rw, kt) || !matrix_operand(rw, s)) return false;
  Epilogue e;
  if (biased) {
    if (!fits_scores(rw, first.inputs[2], rt::DType::kFloat32, rw.value(s).dims)) return false;
    e.ops.push_back("Add");
    e.operands.push_back(first.inputs[2]);
  }
  ir::ValueId cur = s;
  ir::NodeId sm = rw.only_user(cur);
  // Each step's output is the next step's scores. add_step refuses a ninth op; this bounds the
  // Reshapes between them.
  for (size_t links = 0; sm >= 0 && rw.node(sm).region == first.region && !rw.is(sm, "Softmax") &&
                         links < 2 * kMaxScoreOps && add_step(rw, sm, cur, &e);
       ++links) {
    cur = rw.node(sm).outputs[0];
    sm = rw.only_user(cur);
  }
  if (sm < 0 || !rw.is(sm, "Softmax") || rw.node(sm).region != first.region) return false;
  const ir::Node& soft = rw.node(sm);
  if (soft.inputs.size() != 1 || soft.outputs.size() != 1 || !last_axis_softmax(rw, sm) ||
      rw.value(cur).dims != rw.value(s).dims) {
    return false;
  }
  const ir::NodeId m2 = rw.only_user(soft.outputs[0]);
  if (!rw.is(m2, "MatMul") || rw.node(m2).region != first.region) return false;
  const ir::Node& second = rw.node(m2);
  if (second.inputs.size() != 2 || second.inputs[0] != soft.outputs[0] ||
      !matrix_operand(rw, second.inputs[1])) {
    return false;
  }
  std::vector<ir::ValueId> inputs = {q, kt, second.inputs[1]};
  inputs.insert(inputs.end(), e.operands.begin(), e.operands.end());
  std::vector<rt::Attribute> attrs;
  if (!e.ops.empty()) {
    rt::Attribute a;
    a.name = "score_ops";
    a.kind = rt::Attribute::Kind::kStrings;
    a.strings = e.ops;
    attrs.push_back(std::move(a));
  }
  rw.replace(m2, second.name, "FusedAttention", kParallaxDomain, kParallaxOpset, std::move(inputs),
             std::move(attrs));
  rw.erase(sm);
  for (ir::NodeId n : e.nodes) rw.erase(n);
  rw.erase(m1);
  return true;
}

}  // namespace

bool fuse_attention(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "MatMul") || rw.is(n, "FusedMatMul", kParallaxDomain)) fuse_at(rw, n);
  }
  return rw.finish();
}

}  // namespace parallax::passes
