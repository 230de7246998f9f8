#include "passes/attention_heads.h"

#include <string>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

constexpr rt::DType kF32 = rt::DType::kFloat32;

bool static_f32(const Rewriter& rw, ir::ValueId v, const std::vector<int64_t>& dims) {
  if (v < 0) return false;
  const ir::Value& x = rw.value(v);
  return x.dtype == kF32 && x.rank_known && x.dims == dims;
}

// One operand traced back to the tensor with its heads side by side.
struct Source {
  ir::ValueId x = -1;  // [B, R, H * c]
  std::string op;      // "Mul" / "Div" by `scale`, or ""
  double scale = 1.0;
  std::vector<ir::NodeId> nodes;  // the scale, Transpose and Reshape, to erase
};

// Matches v = Op?(Transpose<perm>(Reshape(x))) read by `reader`, the Reshape splitting
// x [B, R, H * c] into `split` [B, R, H, c]; a scale only where `scaled`.
bool trace(const Rewriter& rw, ir::ValueId v, ir::NodeId reader, const std::vector<int64_t>& perm,
           const std::vector<int64_t>& split, bool scaled, Source* src) {
  ir::NodeId user = reader;
  if (scaled) {
    ir::NodeId s = rw.single_producer(v, "Mul", user);
    if (s < 0) s = rw.single_producer(v, "Div", user);
    if (s >= 0) {
      const ir::Node& n = rw.node(s);
      // Div only as t / c; Mul either way round.
      const int c = n.op_type == "Mul" && rw.is_constant(n.inputs[0]) ? 0 : 1;
      if (n.inputs.size() != 2 || !rw.scalar_value(n.inputs[c], &src->scale) ||
          rw.value(n.inputs[c]).dtype != kF32 ||
          rw.value(n.inputs[1 - c]).dims != rw.value(v).dims) {
        return false;
      }
      src->op = n.op_type;
      src->nodes.push_back(s);
      v = n.inputs[1 - c];
      user = s;
    }
  }
  const ir::NodeId tr = rw.single_producer(v, "Transpose", user);
  if (tr < 0 || attr_ints(rw.node(tr), "perm") != perm) return false;
  const ir::ValueId sv = rw.node(tr).inputs[0];
  const ir::NodeId rs = rw.single_producer(sv, "Reshape", tr);
  if (rs < 0 || !static_f32(rw, sv, split)) return false;
  const ir::ValueId x = rw.node(rs).inputs[0];
  if (!static_f32(rw, x, {split[0], split[1], split[2] * split[3]})) return false;
  src->nodes.push_back(tr);
  src->nodes.push_back(rs);
  src->x = x;
  return true;
}

bool fold_at(Rewriter& rw, ir::NodeId f, int opset) {
  const ir::Node& fn = rw.node(f);
  if (fn.inputs.size() < 3 || fn.outputs.size() != 1 || find_attr(fn, "heads") != nullptr) {
    return false;
  }
  const ir::ValueId y = fn.outputs[0];
  const ir::Value& yv = rw.value(y);
  const ir::Value& qv = rw.value(fn.inputs[0]);
  const ir::Value& ktv = rw.value(fn.inputs[1]);
  if (yv.dtype != kF32 || !yv.rank_known || yv.dims.size() != 4 || !qv.rank_known ||
      qv.dims.size() != 4 || !ktv.rank_known || ktv.dims.size() != 4) {
    return false;
  }
  const int64_t b = qv.dims[0], h = qv.dims[1], m = qv.dims[2], d = qv.dims[3];
  const int64_t n = ktv.dims[3], dv = yv.dims[3];
  if (yv.dims != std::vector<int64_t>{b, h, m, dv} || ir::static_numel(yv) < 0 ||
      ir::static_numel(qv) < 0 || ir::static_numel(ktv) < 0) {
    return false;
  }
  // The merge: y -> Transpose<0,2,1,3> -> Reshape [B, M, H * dv].
  const ir::NodeId merge = rw.only_user(y);
  if (!rw.is(merge, "Transpose") ||
      attr_ints(rw.node(merge), "perm") != std::vector<int64_t>{0, 2, 1, 3}) {
    return false;
  }
  const ir::ValueId merged = rw.node(merge).outputs[0];
  const ir::NodeId out = rw.only_user(merged);
  if (!rw.is(out, "Reshape") || rw.node(out).region != fn.region ||
      rw.node(merge).region != fn.region ||
      !static_f32(rw, rw.node(out).outputs[0], {b, m, h * dv})) {
    return false;
  }
  Source q, k, v;
  if (!trace(rw, fn.inputs[0], f, {0, 2, 1, 3}, {b, m, h, d}, true, &q) ||
      !trace(rw, fn.inputs[1], f, {0, 2, 3, 1}, {b, n, h, d}, true, &k) ||
      !trace(rw, fn.inputs[2], f, {0, 2, 1, 3}, {b, n, h, dv}, false, &v)) {
    return false;
  }
  const std::string name = fn.name;
  std::vector<ir::ValueId> inputs = fn.inputs;
  std::vector<rt::Attribute> attrs = fn.attrs;
  attrs.push_back(make_attr_int("heads", h));
  // The scale on the unsplit tensor: the same elements, so the same products.
  auto scaled = [&](const Source& s, const std::string& what) {
    if (s.op.empty()) return s.x;
    const ir::RegionId r = rw.node(out).region;
    const ir::ValueId c = rw.add_constant(name + "/" + what + "_scale", kF32, {}, {s.scale}, r);
    const ir::ValueId t = rw.add_value(name + "/" + what + "_scaled", kF32, rw.value(s.x).dims, r);
    rw.insert_before(out, name + "/" + what + "_scaled", s.op, "", opset, {s.x, c}, {t});
    return t;
  };
  inputs[0] = scaled(q, "query");
  inputs[1] = scaled(k, "key");
  inputs[2] = v.x;
  rw.replace(out, name, "FusedAttention", kParallaxDomain, kParallaxOpset, std::move(inputs),
             std::move(attrs));
  for (const Source* s : {&q, &k, &v})
    for (ir::NodeId e : s->nodes) rw.erase(e);
  rw.erase(merge);
  rw.erase(f);
  return true;
}

}  // namespace

bool attention_heads(ir::Graph& g) {
  const auto it = g.opsets.find("");
  const int opset = it == g.opsets.end() ? 13 : it->second;
  Rewriter rw(g);
  const ir::NodeId count = rw.node_count();
  for (ir::NodeId n = 0; n < count; ++n) {
    if (rw.is(n, "FusedAttention", kParallaxDomain)) fold_at(rw, n, opset);
  }
  return rw.finish();
}

}  // namespace parallax::passes
