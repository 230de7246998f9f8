#include "passes/attention_heads.h"

#include <algorithm>
#include <string>
#include <utility>
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

// Matches v = Op?(Transpose<perm>(Reshape(x))) read by `reader`, the Reshape splitting x into
// `split`: [B, R, H, c] from x [B, R, H * c], or (rank 3, rows first) [R, H, c] from any x of
// R * H * c elements whose last axis is H * c. A scale only where `scaled`.
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
  if (split.size() == 4) {
    if (!static_f32(rw, x, {split[0], split[1], split[2] * split[3]})) return false;
  } else {
    const ir::Value& xv = rw.value(x);
    if (xv.dtype != kF32 || !xv.rank_known || xv.dims.empty() ||
        xv.dims.back() != split[1] * split[2] ||
        ir::static_numel(xv) != split[0] * split[1] * split[2]) {
      return false;
    }
  }
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
  const size_t rank = qv.dims.size();
  if (yv.dtype != kF32 || !yv.rank_known || (rank != 3 && rank != 4) || !qv.rank_known ||
      yv.dims.size() != rank || !ktv.rank_known || ktv.dims.size() != rank ||
      ir::static_numel(yv) < 0 || ir::static_numel(qv) < 0 || ir::static_numel(ktv) < 0) {
    return false;
  }
  // Two forms: with a batch axis, [B, R, H, c] -> [B, H, R, c]; or rows first, as
  // nn.MultiheadAttention exports one sequence (its batch of 1 merged into the heads axis),
  // [R, H, c] -> [H, R, c], the projections then read as [R, H * c].
  const bool batched = rank == 4;
  const int64_t b = batched ? qv.dims[0] : 1, h = qv.dims[rank - 3], m = qv.dims[rank - 2],
                d = qv.dims[rank - 1], n = ktv.dims[rank - 1], dv = yv.dims[rank - 1];
  auto split = [&](int64_t r, int64_t c) {
    return batched ? std::vector<int64_t>{b, r, h, c} : std::vector<int64_t>{r, h, c};
  };
  const std::vector<int64_t> qv_perm =
      batched ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{1, 0, 2};
  const std::vector<int64_t> k_perm =
      batched ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{1, 2, 0};
  const std::vector<int64_t> y_split =
      batched ? std::vector<int64_t>{b, h, m, dv} : std::vector<int64_t>{h, m, dv};
  const std::vector<int64_t> y_merged =
      batched ? std::vector<int64_t>{b, m, h * dv} : std::vector<int64_t>{m, h * dv};
  if (yv.dims != y_split) return false;
  // The merge: y -> Transpose (the split's own permutation) -> Reshape to y_merged.
  const ir::NodeId merge = rw.only_user(y);
  if (!rw.is(merge, "Transpose") || attr_ints(rw.node(merge), "perm") != qv_perm) return false;
  const ir::ValueId merged = rw.node(merge).outputs[0];
  const ir::NodeId out = rw.only_user(merged);
  if (!rw.is(out, "Reshape") || rw.node(out).region != fn.region ||
      rw.node(merge).region != fn.region || !static_f32(rw, rw.node(out).outputs[0], y_merged)) {
    return false;
  }
  Source q, k, v;
  if (!trace(rw, fn.inputs[0], f, qv_perm, split(m, d), true, &q) ||
      !trace(rw, fn.inputs[1], f, k_perm, split(n, d), true, &k) ||
      !trace(rw, fn.inputs[2], f, qv_perm, split(n, dv), false, &v)) {
    return false;
  }
  const std::string name = fn.name;
  std::vector<ir::ValueId> inputs = fn.inputs;
  std::vector<rt::Attribute> attrs = fn.attrs;
  attrs.push_back(make_attr_int("heads", h));
  // Rows first, the projection viewed as [R, H * c] (same elements, row-major); then the
  // scale on the unsplit tensor: the same elements, so the same products.
  const ir::RegionId r = rw.node(out).region;
  auto scaled = [&](const Source& s, const std::string& what, int64_t rows, int64_t c) {
    ir::ValueId x = s.x;
    const std::vector<int64_t> view = {rows, h * c};
    if (!batched && rw.value(x).dims != view) {
      const ir::ValueId shape = rw.add_constant(name + "/" + what + "_shape", rt::DType::kInt64,
                                                {2}, {double(rows), double(h * c)}, r);
      const ir::ValueId t = rw.add_value(name + "/" + what + "_matrix", kF32, view, r);
      rw.insert_before(out, name + "/" + what + "_matrix", "Reshape", "", opset, {x, shape}, {t});
      x = t;
    }
    if (s.op.empty()) return x;
    const ir::ValueId c0 = rw.add_constant(name + "/" + what + "_scale", kF32, {}, {s.scale}, r);
    const ir::ValueId t = rw.add_value(name + "/" + what + "_scaled", kF32, rw.value(x).dims, r);
    rw.insert_before(out, name + "/" + what + "_scaled", s.op, "", opset, {x, c0}, {t});
    return t;
  };
  inputs[0] = scaled(q, "query", m, d);
  inputs[1] = scaled(k, "key", n, d);
  inputs[2] = scaled(v, "value", n, dv);
  rw.replace(out, name, "FusedAttention", kParallaxDomain, kParallaxOpset, std::move(inputs),
             std::move(attrs));
  for (const Source* s : {&q, &k, &v})
    for (ir::NodeId e : s->nodes) rw.erase(e);
  rw.erase(merge);
  rw.erase(f);
  return true;
}

// Without the heads form: kt = Transpose(K) swapping K's last two axes and nothing else lets
// the node read K as rows (key_rows = 1). The Transpose goes once no reader is left.
bool read_key_rows(Rewriter& rw, ir::NodeId f) {
  const ir::Node& fn = rw.node(f);
  if (fn.inputs.size() < 3 || find_attr(fn, "heads") != nullptr ||
      find_attr(fn, "key_rows") != nullptr) {
    return false;
  }
  const ir::ValueId kt = fn.inputs[1];
  const ir::NodeId tr = kt >= 0 ? rw.value(kt).producer : -1;
  if (tr < 0 || rw.touched(tr) || !rw.is(tr, "Transpose") || rw.node(tr).inputs.empty()) {
    return false;
  }
  const ir::ValueId k = rw.node(tr).inputs[0];
  const ir::Value& kv = rw.value(k);
  const ir::Value& qv = rw.value(fn.inputs[0]);
  const size_t rank = kv.dims.size();
  if (kv.dtype != kF32 || !kv.rank_known || rank < 2 || !qv.rank_known) return false;
  // The kernel packs each distinct K once while reading it transposed, a K broadcast over the
  // heads included (Whisper's decoder after reassociate-attention: 6 heads over one 1500 x
  // 384), so no Transpose is worth keeping.
  if (ir::static_numel(kv) < 0 || ir::static_numel(qv) < 0) return false;
  std::vector<int64_t> swap(rank);
  for (size_t a = 0; a < rank; ++a) swap[a] = static_cast<int64_t>(a);
  std::swap(swap[rank - 1], swap[rank - 2]);
  if (attr_ints(rw.node(tr), "perm") != swap) return false;
  std::vector<ir::ValueId> inputs = fn.inputs;
  inputs[1] = k;
  std::vector<rt::Attribute> attrs = fn.attrs;
  attrs.push_back(make_attr_int("key_rows", 1));
  rw.replace(f, fn.name, "FusedAttention", kParallaxDomain, kParallaxOpset, std::move(inputs),
             std::move(attrs));
  return true;
}

}  // namespace

bool attention_heads(ir::Graph& g) {
  const auto it = g.opsets.find("");
  const int opset = it == g.opsets.end() ? 13 : it->second;
  Rewriter rw(g);
  const ir::NodeId count = rw.node_count();
  for (ir::NodeId n = 0; n < count; ++n) {
    if (rw.is(n, "FusedAttention", kParallaxDomain) && !fold_at(rw, n, opset)) {
      read_key_rows(rw, n);
    }
  }
  return rw.finish();
}

}  // namespace parallax::passes
