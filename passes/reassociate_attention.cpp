#include "passes/reassociate_attention.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

constexpr rt::DType kF32 = rt::DType::kFloat32;

// A float32 value of the given rank whose dimensions are all known and non-zero.
bool static_float(const Rewriter& rw, ir::ValueId v, size_t rank) {
  if (v < 0) return false;
  const ir::Value& x = rw.value(v);
  if (x.dtype != kF32 || !x.rank_known || x.dims.size() != rank) return false;
  for (int64_t d : x.dims)
    if (d <= 0) return false;
  return true;
}

// The key or the value operand of an attention, traced back to the projection that made it.
struct Side {
  bool matched = false;
  ir::ValueId a = -1;     // the projected input [B, S, D]
  ir::ValueId w = -1;     // the projection weight [D, H * d]
  ir::ValueId bias = -1;  // [H * d], or -1
  double scale = 1.0;     // a Mul after the head split, or 1
  int64_t dm = 0;         // D
};

// Matches x = Mul?(Transpose<perm>(Reshape(P(A, W[, bias])), c)) where node `consumer` reads x,
// the Reshape splits P's [B, S, H * d] into [B, S, H, d] and P is MatMul or FusedMatMul without
// activation; every intermediate is read once, by the next node.
bool match_side(const Rewriter& rw, ir::ValueId x, ir::NodeId consumer,
                const std::vector<int64_t>& perm, int64_t b, int64_t h, int64_t d, int64_t s,
                Side* side) {
  ir::NodeId user = consumer;
  const ir::NodeId mul = rw.single_producer(x, "Mul", user);
  if (mul >= 0) {
    const ir::Node& n = rw.node(mul);
    if (n.inputs.size() != 2) return false;
    const int c = rw.is_constant(n.inputs[1]) ? 1 : 0;
    const ir::ValueId other = n.inputs[1 - c];
    if (!rw.scalar_value(n.inputs[c], &side->scale) || other < 0 ||
        rw.value(other).dims != rw.value(x).dims) {
      return false;
    }
    x = other;
    user = mul;
  }
  const ir::NodeId tr = rw.single_producer(x, "Transpose", user);
  if (tr < 0 || attr_ints(rw.node(tr), "perm") != perm) return false;
  const ir::ValueId split = rw.node(tr).inputs[0];
  const ir::NodeId rs = rw.single_producer(split, "Reshape", tr);
  if (rs < 0 || !static_float(rw, split, 4) ||
      rw.value(split).dims != std::vector<int64_t>{b, s, h, d}) {
    return false;
  }
  const ir::ValueId proj = rw.node(rs).inputs[0];
  if (!static_float(rw, proj, 3) || rw.value(proj).dims != std::vector<int64_t>{b, s, h * d}) {
    return false;
  }
  ir::NodeId p = rw.single_producer(proj, "MatMul", rs);
  if (p < 0) {
    p = rw.single_producer(proj, "FusedMatMul", rs, kParallaxDomain);
    if (p < 0 || !attr_string(rw.node(p), "activation", "").empty()) return false;
  }
  const ir::Node& pn = rw.node(p);
  if (pn.inputs.size() < 2) return false;
  const ir::ValueId a = pn.inputs[0], w = pn.inputs[1];
  const ir::ValueId bias = pn.inputs.size() > 2 ? pn.inputs[2] : -1;
  if (!static_float(rw, a, 3) || rw.value(a).dims[0] != b || rw.value(a).dims[1] != s) {
    return false;
  }
  const int64_t dm = rw.value(a).dims[2];
  if (!rw.is_constant(w) || !static_float(rw, w, 2) ||
      rw.value(w).dims != std::vector<int64_t>{dm, h * d}) {
    return false;
  }
  if (bias >= 0 &&
      (!rw.is_constant(bias) || !static_float(rw, bias, 1) || rw.value(bias).dims[0] != h * d)) {
    return false;
  }
  side->matched = true;
  side->a = a;
  side->w = w;
  side->bias = bias;
  side->dm = dm;
  return true;
}

// Work per batch entry before and after: the side pays when the new work is at most half.
bool pays(int64_t before, int64_t after) { return 2 * after <= before; }

class Reassociate {
 public:
  explicit Reassociate(ir::Graph& g) : rw_(g) {
    const auto it = g.opsets.find("");
    opset_ = it == g.opsets.end() ? 13 : it->second;
  }

  bool run() {
    // Reshape takes its shape as an input from opset 5, Add broadcasts from 7.
    if (opset_ < 7) return false;
    for (ir::RegionId r = 0; r < static_cast<ir::RegionId>(rw_.graph().regions.size()); ++r) {
      const std::vector<ir::NodeId> order = rw_.graph().regions[r].nodes;  // inserts change it
      for (ir::NodeId n : order)
        if (rw_.is(n, "FusedAttention", kParallaxDomain)) rewrite(n);
    }
    return rw_.finish();
  }

 private:
  struct Views {
    ir::ValueId by_head = -1;     // A as [B, 1, S, D] (A itself when B is 1)
    ir::ValueId transposed = -1;  // its last two axes swapped
  };

  // A's views for attention node n, made before n the first time a node of n's region needs
  // them (later attentions of the region come after n and share them).
  Views& views(ir::ValueId a, ir::NodeId n, bool transposed) {
    const ir::RegionId r = rw_.node(n).region;
    Views& v = views_[{a, r}];
    const std::vector<int64_t> dims = rw_.value(a).dims;  // B, S, D
    const std::string base = rw_.value(a).name;
    if (v.by_head < 0) {
      v.by_head = a;
      if (dims[0] != 1) {
        const std::vector<int64_t> shape = {dims[0], 1, dims[1], dims[2]};
        const ir::ValueId c = rw_.add_constant(base + "/by_head_shape", rt::DType::kInt64, {4},
                                               {shape.begin(), shape.end()}, r);
        v.by_head = rw_.add_value(base + "/by_head", kF32, shape, r);
        rw_.insert_before(n, base + "/by_head", "Reshape", "", opset_, {a, c}, {v.by_head});
      }
    }
    if (transposed && v.transposed < 0) {
      std::vector<int64_t> t = rw_.value(v.by_head).dims;
      std::swap(t[t.size() - 1], t[t.size() - 2]);
      const std::vector<int64_t> perm =
          t.size() == 3 ? std::vector<int64_t>{0, 2, 1} : std::vector<int64_t>{0, 1, 3, 2};
      v.transposed = rw_.add_value(base + "/transposed", kF32, t, r);
      rw_.insert_before(n, base + "/transposed", "Transpose", "", opset_, {v.by_head},
                        {v.transposed}, {make_attr_ints("perm", perm)});
    }
    return v;
  }

  // The projection weight [D, H * d] as H slices of d columns: [H, d, D] transposed (key side)
  // or [H, D, d] (value side), times the side's scale.
  ir::ValueId weight_by_head(const Side& side, int64_t h, int64_t d, bool transpose,
                             const std::string& name, ir::RegionId r) {
    std::vector<double> w;
    rw_.constant_values(side.w, &w);
    const int64_t dm = side.dm;
    std::vector<double> out(static_cast<size_t>(h * d * dm));
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t c = 0; c < dm; ++c)
        for (int64_t j = 0; j < d; ++j) {
          const int64_t at = transpose ? (hh * d + j) * dm + c : (hh * dm + c) * d + j;
          out[static_cast<size_t>(at)] =
              side.scale * w[static_cast<size_t>(c * h * d + hh * d + j)];
        }
    return rw_.add_constant(
        name, kF32, transpose ? std::vector<int64_t>{h, d, dm} : std::vector<int64_t>{h, dm, d},
        out, r);
  }

  void rewrite(ir::NodeId n) {
    const ir::Node& f = rw_.node(n);
    if (f.inputs.size() < 3 || f.outputs.size() != 1) return;
    const ir::ValueId q = f.inputs[0], kt = f.inputs[1], v = f.inputs[2];
    if (!static_float(rw_, q, 4) || !static_float(rw_, kt, 4) || !static_float(rw_, v, 4) ||
        !static_float(rw_, f.outputs[0], 4)) {
      return;
    }
    const std::vector<int64_t> qd = rw_.value(q).dims;  // B, H, M, d
    const int64_t b = qd[0], h = qd[1], m = qd[2], d = qd[3];
    const std::vector<int64_t>& kd = rw_.value(kt).dims;  // B, H, d, S
    const std::vector<int64_t>& vd = rw_.value(v).dims;   // B, H, S, dv
    const int64_t s = kd[3], dv = vd[3];
    if (kd != std::vector<int64_t>{b, h, d, s} || vd != std::vector<int64_t>{b, h, s, dv}) return;

    // A key bias shifts every score of a row by one constant: the Softmax removes it when only
    // Add/Sub steps lie between.
    bool additive = true;
    if (const rt::Attribute* a = find_attr(f, "score_ops"))
      for (const std::string& op : a->strings) additive = additive && (op == "Add" || op == "Sub");
    Side ks, vs;
    if (match_side(rw_, kt, n, {0, 2, 3, 1}, b, h, d, s, &ks) &&
        ((ks.bias >= 0 && !additive) ||
         !pays(s * ks.dm * h * d + h * m * s * d, h * m * d * ks.dm + h * m * s * ks.dm))) {
      ks.matched = false;
    }
    if (match_side(rw_, v, n, {0, 2, 1, 3}, b, h, dv, s, &vs) &&
        !pays(s * vs.dm * h * dv + h * m * s * dv, h * m * s * vs.dm + h * m * vs.dm * dv)) {
      vs.matched = false;
    }
    if (!ks.matched && !vs.matched) return;

    const ir::RegionId r = f.region;
    const std::string name = f.name;
    const std::vector<rt::Attribute> attrs = f.attrs;
    std::vector<ir::ValueId> inputs = f.inputs;  // q, kt, v, score operands
    if (ks.matched) {
      // scores = (q x ck Wk3) x A^T: the queries move into A's D dimensions.
      const ir::ValueId wk = weight_by_head(ks, h, d, true, name + "/key_weight_by_head", r);
      const ir::ValueId q2 =
          rw_.add_value(name + "/query_by_key_weight", kF32, {b, h, m, ks.dm}, r);
      rw_.insert_before(n, name + "/query_by_key_weight", "MatMul", "", opset_, {q, wk}, {q2});
      inputs[0] = q2;
      inputs[1] = views(ks.a, n, true).transposed;
    }
    if (!vs.matched) {
      rw_.replace(n, name, "FusedAttention", kParallaxDomain, kParallaxOpset, inputs, attrs);
      return;
    }
    // y = (P x A) x cv Wv3 + cv bv3.
    inputs[2] = views(vs.a, n, false).by_head;
    const ir::ValueId weighted = rw_.add_value(name + "/weighted_input", kF32, {b, h, m, vs.dm}, r);
    rw_.insert_before(n, name, "FusedAttention", kParallaxDomain, kParallaxOpset, inputs,
                      {weighted}, attrs);
    const ir::ValueId wv = weight_by_head(vs, h, dv, false, name + "/value_weight_by_head", r);
    if (vs.bias < 0) {
      rw_.replace(n, name + "/by_value_weight", "MatMul", "", opset_, {weighted, wv}, {});
      return;
    }
    std::vector<double> bias;
    rw_.constant_values(vs.bias, &bias);
    for (double& x : bias) x *= vs.scale;
    const ir::ValueId bv =
        rw_.add_constant(name + "/value_bias_by_head", kF32, {h, 1, dv}, bias, r);
    const ir::ValueId y2 = rw_.add_value(name + "/by_value_weight", kF32, {b, h, m, dv}, r);
    rw_.insert_before(n, name + "/by_value_weight", "MatMul", "", opset_, {weighted, wv}, {y2});
    rw_.replace(n, name + "/value_bias", "Add", "", opset_, {y2, bv}, {});
  }

  Rewriter rw_;
  int opset_ = 13;
  std::map<std::pair<ir::ValueId, ir::RegionId>, Views> views_;
};

}  // namespace

bool reassociate_attention(ir::Graph& g) { return Reassociate(g).run(); }

}  // namespace parallax::passes
