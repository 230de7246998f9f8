#include "passes/fuse_activation.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

struct Activation {
  std::string name;
  std::vector<float> params;
};

// Clip bound `i` (attribute before opset 11, optional constant input after) into *out.
bool clip_bound(const Rewriter& rw, const ir::Node& n, int i, float* out) {
  const double open =
      i == 1 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  double v = open;
  if (n.opset < 11) {
    if (const rt::Attribute* a = find_attr(n, i == 1 ? "min" : "max")) v = a->f;
  } else if (static_cast<int>(n.inputs.size()) > i && n.inputs[i] >= 0) {
    // The kernel insists on x's type; a mismatch stays an error of the unfused node.
    if (rw.value(n.inputs[i]).dtype != rw.value(n.inputs[0]).dtype) return false;
    if (!rw.scalar_value(n.inputs[i], &v)) return false;
  }
  *out = static_cast<float>(v);
  // Bounds of a double Clip travel as floats: only exact ones.
  return static_cast<double>(*out) == v || std::isnan(v);
}

// The activation node n computes, or false.
bool activation_of(const Rewriter& rw, ir::NodeId id, Activation* act) {
  const ir::Node& n = rw.node(id);
  if (rw.is(id, "Gelu", kParallaxDomain)) {
    act->name = "Gelu";
    return true;
  }
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "HardSwish"}) {
    if (rw.is(id, op)) {
      act->name = op;
      return true;
    }
  }
  if (rw.is(id, "LeakyRelu")) {
    *act = {"LeakyRelu", {attr_float(n, "alpha", 0.01f)}};
    return true;
  }
  if (rw.is(id, "HardSigmoid")) {
    *act = {"HardSigmoid", {attr_float(n, "alpha", 0.2f), attr_float(n, "beta", 0.5f)}};
    return true;
  }
  if (rw.is(id, "Clip")) {
    float lo = 0.0f, hi = 0.0f;
    if (!clip_bound(rw, n, 1, &lo) || !clip_bound(rw, n, 2, &hi)) return false;
    *act = {"Clip", {lo, hi}};
    return true;
  }
  return false;
}

// The fused operator P becomes, or "" when P cannot take an activation.
std::string fused_op(const Rewriter& rw, ir::NodeId p) {
  if (rw.is(p, "Conv")) return "FusedConv";
  if (rw.is(p, "Gemm")) return "FusedGemm";
  if (rw.is(p, "MatMul")) return "FusedMatMul";
  // ConvNhwc exists from layout on (which runs fuse_activation again for the BatchNormalization
  // and AveragePool nodes it turns into convolutions) and takes the same activations.
  for (const char* op : {"FusedConv", "FusedGemm", "FusedMatMul", "ConvNhwc"}) {
    if (rw.is(p, op, kParallaxDomain) && attr_string(rw.node(p), "activation", "").empty())
      return op;
  }
  return "";
}

// Rewrites node `at` into P fused with `act`, and erases P.
void fuse(Rewriter& rw, ir::NodeId at, ir::NodeId p, const std::string& op, const Activation& act) {
  const ir::Node& pn = rw.node(p);
  std::vector<rt::Attribute> attrs;
  for (const rt::Attribute& a : pn.attrs) {
    if (a.name != "activation" && a.name != "activation_params") attrs.push_back(a);
  }
  attrs.push_back(make_attr_string("activation", act.name));
  if (!act.params.empty()) attrs.push_back(make_attr_floats("activation_params", act.params));
  rw.replace(at, pn.name, op, kParallaxDomain, kParallaxOpset, pn.inputs, std::move(attrs));
  rw.erase(p);
}

// The untouched producer of float value y in node `at`'s region, or -1.
ir::NodeId float_producer(const Rewriter& rw, ir::ValueId y, ir::NodeId at) {
  if (y < 0 || !rt::dtype_is_float(rw.value(y).dtype) || rw.is_region_output(y)) return -1;
  const ir::NodeId p = rw.value(y).producer;
  if (p < 0 || rw.touched(p) || rw.node(p).region != rw.node(at).region) return -1;
  return rw.node(p).outputs[0] == y ? p : -1;
}

// The activation y * gate(y) stands for when node g computes gate(y): SiLU for Sigmoid,
// HardSwish for HardSigmoid(alpha = 1/6, beta = 1/2) (how MobileNetV3 exports spell it), and
// Swish(alpha) for Sigmoid(Mul(y, alpha)) with alpha a one-value constant (CLIP's QuickGELU,
// alpha 1.702), whose Mul is then *scale (else -1).
bool gated_activation(const Rewriter& rw, ir::NodeId g, ir::ValueId y, Activation* act,
                      ir::NodeId* scale) {
  const ir::Node& n = rw.node(g);
  *scale = -1;
  if (n.inputs.empty()) return false;
  if (n.inputs[0] != y && n.op_type == "Sigmoid") {
    const ir::NodeId m = rw.single_producer(n.inputs[0], "Mul", g);
    if (m < 0 || rw.node(m).inputs.size() != 2) return false;
    const std::vector<ir::ValueId>& in = rw.node(m).inputs;
    const ir::ValueId c = in[0] == y ? in[1] : (in[1] == y ? in[0] : -1);
    double alpha = 0.0;
    if (c < 0 || c == y || !rw.scalar_value(c, &alpha) ||
        rw.value(n.inputs[0]).dims != rw.value(y).dims) {
      return false;
    }
    *act = {"Swish", {static_cast<float>(alpha)}};
    *scale = m;
    return true;
  }
  if (n.inputs[0] != y) return false;
  if (n.op_type == "Sigmoid") {
    *act = {"SiLU", {}};
    return true;
  }
  const rt::DType t = rt::DType::kFloat32;  // the attributes are floats
  if (close_to(attr_float(n, "alpha", 0.2f), 1.0 / 6.0, t) &&
      close_to(attr_float(n, "beta", 0.5f), 0.5, t)) {
    *act = {"HardSwish", {}};
    return true;
  }
  return false;
}

bool fuse_gated(Rewriter& rw, ir::NodeId mul) {
  const ir::Node& m = rw.node(mul);
  if (m.inputs.size() != 2) return false;
  for (int side = 0; side < 2; ++side) {
    const ir::ValueId s = m.inputs[side], y = m.inputs[1 - side];
    ir::NodeId gate = rw.single_producer(s, "Sigmoid", mul);
    if (gate < 0) gate = rw.single_producer(s, "HardSigmoid", mul);
    Activation act;
    ir::NodeId scale = -1;
    if (gate < 0 || !gated_activation(rw, gate, y, &act, &scale)) continue;
    if (rw.uses(y) != 2) continue;  // the gate (or its scale) and the Mul
    const ir::NodeId p = float_producer(rw, y, mul);
    const std::string op = p >= 0 ? fused_op(rw, p) : "";
    if (op.empty()) continue;
    fuse(rw, mul, p, op, act);
    rw.erase(gate);
    if (scale >= 0) rw.erase(scale);
    return true;
  }
  return false;
}

}  // namespace

bool fuse_activation(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "Mul")) {
      fuse_gated(rw, n);
      continue;
    }
    Activation act;
    if (rw.node(n).inputs.empty() || !activation_of(rw, n, &act)) continue;
    const ir::ValueId y = rw.node(n).inputs[0];
    const ir::NodeId p = float_producer(rw, y, n);
    if (p < 0 || rw.only_user(y) != n) continue;
    const std::string op = fused_op(rw, p);
    if (!op.empty()) fuse(rw, n, p, op, act);
  }
  return rw.finish();
}

}  // namespace parallax::passes
