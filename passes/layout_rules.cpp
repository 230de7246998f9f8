#include "passes/layout_rules.h"

#include <string>
#include <string_view>

#include "parallax/runtime/kernel.h"
#include "passes/canonicalize_rewriter.h"

namespace parallax::passes::nhwc {
namespace {

// Elementwise functions of one tensor (Clip's bounds are scalars).
// clang-format off
constexpr std::string_view kUnary[] = {
    "Abs", "Ceil", "Celu", "Clip", "Cos", "Elu", "Erf", "Exp", "Floor", "HardSigmoid",
    "HardSwish", "Identity", "LeakyRelu", "Log", "Neg", "Reciprocal", "Relu", "Round", "Selu",
    "Sigmoid", "Sin", "Softplus", "Softsign", "Sqrt", "Tanh", "ThresholdedRelu"};
// clang-format on
// Elementwise functions that broadcast their operands against each other.
constexpr std::string_view kBroadcast[] = {"Add", "Div", "Max",   "Mean", "Min",
                                           "Mul", "Pow", "PRelu", "Sub",  "Sum"};

template <size_t N>
bool one_of(const std::string_view (&names)[N], std::string_view op) {
  for (std::string_view n : names)
    if (n == op) return true;
  return false;
}

bool is_onnx(const ir::Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

bool has_kernel(const std::string& op) {
  return rt::find_kernel(kParallaxDomain, op, kParallaxOpset) >= 0;
}

// The rules below read the graph through this.
class Rules {
 public:
  Rules(const ir::Graph& g, const Uses& uses) : g_(g), uses_(uses) {}
  NodeLayout classify(ir::NodeId id) const;

 private:
  const ir::Value& value(ir::ValueId v) const { return g_.values[v]; }
  bool constant(ir::ValueId v) const { return v >= 0 && value(v).is_constant; }
  bool float_4d(ir::ValueId v) const;
  bool activation(ir::ValueId v) const { return float_4d(v) && !value(v).is_constant; }
  bool operand(ir::ValueId v, Slot* slot) const;
  bool outputs_4d(const ir::Node& n, size_t used_outputs) const;
  NodeLayout with_activation(const ir::Node& n, Form form) const;
  NodeLayout conv(const ir::Node& n) const;
  NodeLayout pool(const ir::Node& n) const;
  NodeLayout batchnorm(const ir::Node& n) const;
  NodeLayout per_dim(const ir::Node& n) const;
  NodeLayout broadcast(const ir::Node& n) const;
  NodeLayout concat(const ir::Node& n) const;
  NodeLayout slice(const ir::Node& n) const;
  NodeLayout shuffle(ir::NodeId id) const;

  const ir::Graph& g_;
  const Uses& uses_;
};

// A float32 tensor of rank 4 whose channel count is known; batch and spatial sizes may be
// known only at run time (the NHWC kernels create their operators then).
bool Rules::float_4d(ir::ValueId v) const {
  if (v < 0) return false;
  const ir::Value& x = value(v);
  return x.dtype == rt::DType::kFloat32 && x.rank_known && x.dims.size() == 4 && x.dims[1] >= 0;
}

// An operand of a broadcasting op. A value with one element broadcasts the same in any layout;
// a larger one must be a 4-D activation or a constant of rank <= 4 that can be permuted.
bool Rules::operand(ir::ValueId v, Slot* slot) const {
  *slot = Slot::kParam;
  if (v < 0) return true;
  const ir::Value& x = value(v);
  if (ir::static_numel(x) == 1) return true;
  if (x.is_constant) {
    *slot = Slot::kConstant;
    return x.dtype == rt::DType::kFloat32 && x.rank_known && x.dims.size() <= 4;
  }
  *slot = Slot::kActivation;
  return activation(v);
}

// Outputs [0, used_outputs) are 4-D float tensors; any further ones are unused.
bool Rules::outputs_4d(const ir::Node& n, size_t used_outputs) const {
  if (n.outputs.size() < used_outputs) return false;
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    const ir::ValueId o = n.outputs[k];
    if (k < used_outputs ? !float_4d(o) : !uses_.unused(o)) return false;
  }
  return true;
}

// `form` when input 0 is an activation and output 0 the only (used) 4-D output; the other
// inputs are parameters.
NodeLayout Rules::with_activation(const ir::Node& n, Form form) const {
  if (n.inputs.empty() || !activation(n.inputs[0]) || !outputs_4d(n, 1)) return {};
  NodeLayout l{form, std::vector<Slot>(n.inputs.size(), Slot::kParam)};
  l.slots[0] = Slot::kActivation;
  return l;
}

NodeLayout Rules::conv(const ir::Node& n) const {
  if (n.inputs.size() < 2 || !constant(n.inputs[1])) return {};
  const ir::Value& w = value(n.inputs[1]);
  if (w.dtype != rt::DType::kFloat32 || w.dims.size() != 4) return {};
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    if (!constant(n.inputs[2])) return {};
    const ir::Value& b = value(n.inputs[2]);
    if (b.dtype != rt::DType::kFloat32 || b.dims.size() != 1) return {};
  }
  return with_activation(n, Form::kConv);
}

NodeLayout Rules::pool(const ir::Node& n) const {
  if (n.inputs.size() != 1 || !has_kernel(n.op_type + "Nhwc")) return {};
  if (n.op_type == "GlobalAveragePool") return with_activation(n, Form::kPool);
  // What XNNPACK's pools compute right (runtime/kernels/xnnpack/pool_nhwc.cpp): windows of
  // more than one element, padding narrower than the window, and equal dilations without
  // ceil_mode when dilated.
  const std::vector<int64_t> k = attr_ints(n, "kernel_shape");
  const std::vector<int64_t> dil = attr_ints(n, "dilations", {1, 1});
  const std::vector<int64_t> strides = attr_ints(n, "strides", {1, 1});
  const std::vector<int64_t> pads = attr_ints(n, "pads", {0, 0, 0, 0});
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  const bool ceil = attr_int(n, "ceil_mode", 0) != 0;
  if (k.size() != 2 || k[0] * k[1] <= 1 || dil.size() != 2 || strides.size() != 2 ||
      pads.size() != 4) {
    return {};
  }
  const bool dilated = dil[0] != 1 || dil[1] != 1;
  if (dilated && (n.op_type != "MaxPool" || dil[0] != dil[1] || same || ceil)) return {};
  for (int d = 0; d < 2; ++d) {
    // SAME pads at most stride - 1 + kernel - 1 in all, split over both sides.
    if (same ? strides[d] > k[d] : (pads[d] >= k[d] || pads[d + 2] >= k[d])) return {};
  }
  if (n.op_type != "AveragePool") return with_activation(n, Form::kPool);
  bool padded = same;
  if (auto_pad != "VALID")
    for (int64_t p : pads) padded = padded || p != 0;
  if (attr_int(n, "count_include_pad", 0) == 0 || !padded) return with_activation(n, Form::kPool);
  // XNNPACK's average pool never counts padding; a depthwise convolution with weights
  // 1 / kernel size does, as long as every window lies inside the padded input (ceil_mode
  // can add windows that reach beyond it, whose divisor ONNX then shrinks).
  if (ceil && auto_pad == "NOTSET") return {};
  return with_activation(n, Form::kAvgPoolAsConv);
}

NodeLayout Rules::batchnorm(const ir::Node& n) const {
  if (n.inputs.size() != 5 || attr_int(n, "training_mode", 0) != 0) return {};
  NodeLayout l = with_activation(n, Form::kBatchNorm);
  if (l.form == Form::kNone) return l;
  const int64_t channels = value(n.inputs[0]).dims[1];
  for (int k = 1; k < 5; ++k) {
    const ir::ValueId v = n.inputs[k];
    if (!constant(v) || value(v).dtype != rt::DType::kFloat32 ||
        ir::static_numel(value(v)) != channels) {
      return {};
    }
  }
  return l;
}

// Resize (roi, scales, sizes) and Pad (pads): besides X, constant vectors with one entry per
// dimension (twice for roi and pads), permuted like the dimensions. An empty one means absent.
NodeLayout Rules::per_dim(const ir::Node& n) const {
  const bool pad = n.op_type == "Pad";
  if (n.opset < 11 || find_attr(n, "axes") != nullptr || (pad && n.inputs.size() > 3)) return {};
  NodeLayout l = with_activation(n, Form::kElementwise);
  for (size_t k = 1; l.form != Form::kNone && k < n.inputs.size(); ++k) {
    const ir::ValueId v = n.inputs[k];
    if (v < 0 || (pad && k == 2)) continue;  // absent, or Pad's scalar constant_value
    const int64_t numel = ir::static_numel(value(v));
    if (!constant(v) || (numel != 0 && numel != ((pad || k == 1) ? 8 : 4))) return {};
    l.slots[k] = Slot::kPerDim;
  }
  if (pad && (l.slots.size() < 2 || l.slots[1] != Slot::kPerDim)) return {};
  return l;
}

NodeLayout Rules::broadcast(const ir::Node& n) const {
  if (!outputs_4d(n, 1)) return {};
  NodeLayout l{Form::kElementwise, {}};
  bool any = false;
  for (ir::ValueId v : n.inputs) {
    Slot s;
    if (!operand(v, &s)) return {};
    any = any || s == Slot::kActivation;
    l.slots.push_back(s);
  }
  return any ? l : NodeLayout{};
}

NodeLayout Rules::concat(const ir::Node& n) const {
  if (n.inputs.empty() || !outputs_4d(n, 1)) return {};
  NodeLayout l{Form::kAxis, {}};
  for (ir::ValueId v : n.inputs) {
    if (!float_4d(v)) return {};
    l.slots.push_back(value(v).is_constant ? Slot::kConstant : Slot::kActivation);
  }
  return l;
}

// Slice with constant starts, ends, axes and steps (inputs from opset 10): only the axes
// change.
NodeLayout Rules::slice(const ir::Node& n) const {
  if (n.opset < 10 || n.inputs.size() < 3) return {};
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    const ir::ValueId v = n.inputs[k];
    if (v < 0 && k >= 3) continue;
    if (!constant(v) || ir::static_numel(value(v)) > 4) return {};
  }
  return with_activation(n, Form::kSlice);
}

// ShuffleNet's channel shuffle, seen from its last node:
//   Reshape(Transpose<perm = [0, 2, 1, 3, 4]>(Reshape(x, [N, g, C/g, H, W])), [N, C, H, W])
// with both intermediate tensors read by the next node alone.
NodeLayout Rules::shuffle(ir::NodeId id) const {
  const ir::Node& n = g_.nodes[id];
  if (!has_kernel("ChannelShuffleNhwc") || n.inputs.empty() || !outputs_4d(n, 1)) return {};
  const ir::ValueId t_out = n.inputs[0];
  const ir::NodeId t = uses_.only_reader(t_out) == id ? value(t_out).producer : -1;
  if (t < 0 || g_.nodes[t].op_type != "Transpose" || !is_onnx(g_.nodes[t]) ||
      attr_ints(g_.nodes[t], "perm") != std::vector<int64_t>{0, 2, 1, 3, 4}) {
    return {};
  }
  const ir::ValueId r_out = g_.nodes[t].inputs[0];
  const ir::NodeId r = uses_.only_reader(r_out) == t ? value(r_out).producer : -1;
  if (r < 0 || g_.nodes[r].op_type != "Reshape" || !is_onnx(g_.nodes[r])) return {};
  const ir::ValueId x = g_.nodes[r].inputs[0];
  if (!activation(x) || g_.nodes[r].region != n.region || g_.nodes[t].region != n.region) return {};
  const std::vector<int64_t>& xd = value(x).dims;
  const std::vector<int64_t>& rd = value(r_out).dims;
  if (value(n.outputs[0]).dims != xd || rd.size() != 5 || rd[1] <= 1 || rd[1] * rd[2] != xd[1] ||
      rd[0] != xd[0] || rd[3] != xd[2] || rd[4] != xd[3]) {
    return {};
  }
  for (int64_t d : xd)
    if (d < 0) return {};
  NodeLayout l{Form::kShuffle, std::vector<Slot>(n.inputs.size(), Slot::kParam)};
  l.source = x;
  l.groups = rd[1];
  l.absorbed[0] = r;
  l.absorbed[1] = t;
  return l;
}

NodeLayout Rules::classify(ir::NodeId id) const {
  const ir::Node& n = g_.nodes[id];
  const std::string& op = n.op_type;
  if (n.domain == kParallaxDomain) {
    if (op == "FusedConv") return conv(n);
    if (op == "Gelu") return with_activation(n, Form::kElementwise);
    return {};
  }
  if (!is_onnx(n)) return {};
  if (op == "Conv") return conv(n);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool") return pool(n);
  if (op == "BatchNormalization") return batchnorm(n);
  if (op == "Resize" || op == "Pad") return per_dim(n);
  if (op == "Slice") return slice(n);
  if (op == "Reshape") return shuffle(id);
  if (op == "Concat") return concat(n);
  if (op == "Split") {
    if (n.inputs.empty() || !activation(n.inputs[0]) || !outputs_4d(n, n.outputs.size())) return {};
    NodeLayout l{Form::kAxis, std::vector<Slot>(n.inputs.size(), Slot::kParam)};
    l.slots[0] = Slot::kActivation;
    return l;
  }
  if (one_of(kUnary, op)) return with_activation(n, Form::kElementwise);
  if (one_of(kBroadcast, op)) return broadcast(n);
  return {};
}

}  // namespace

Uses::Uses(const ir::Graph& g) : of(g.values.size()), region_output(g.values.size(), false) {
  for (ir::NodeId n = 0; n < static_cast<ir::NodeId>(g.nodes.size()); ++n) {
    const std::vector<ir::ValueId>& in = g.nodes[n].inputs;
    for (size_t k = 0; k < in.size(); ++k)
      if (in[k] >= 0) of[in[k]].push_back({n, static_cast<int>(k)});
  }
  for (const ir::Region& r : g.regions)
    for (ir::ValueId v : r.outputs) region_output[v] = true;
}

ir::NodeId Uses::only_reader(ir::ValueId v) const {
  if (v < 0 || region_output[v] || of[v].size() != 1) return -1;
  return of[v][0].node;
}

NodeLayout classify(const ir::Graph& g, const Uses& uses, ir::NodeId n) {
  return Rules(g, uses).classify(n);
}

}  // namespace parallax::passes::nhwc
