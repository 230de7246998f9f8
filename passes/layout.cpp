#include "passes/layout.h"

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parallax/runtime/kernel.h"
#include "passes/backend.h"
#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// NHWC dimension i is NCHW dimension kToNhwc[i] (OIHW -> OHWI is the same permutation), and
// NCHW axis a is NHWC axis kToNchw[a].
constexpr int kToNhwc[4] = {0, 2, 3, 1};
constexpr int kToNchw[4] = {0, 3, 1, 2};

// What an input slot of a converted node holds.
enum class Slot : uint8_t {
  kParam,       // left alone: weights handled by the node's rewrite, scalars, split sizes
  kActivation,  // a non-constant 4-D tensor: NHWC inside the region
  kConstant,    // a constant broadcast against activations: unsqueezed to 4-D and permuted
  kPerDim,      // a constant vector of 4 * k entries, one per dimension: each 4 permuted
};

// How a node changes inside a region.
enum class Form : uint8_t {
  kNone,           // not convertible: stays outside every region
  kConv,           // Conv / FusedConv -> ConvNhwc
  kPool,           // MaxPool / AveragePool / GlobalAveragePool -> <op>Nhwc
  kAvgPoolAsConv,  // AveragePool counting padding -> depthwise ConvNhwc
  kBatchNorm,      // -> depthwise 1x1 ConvNhwc
  kElementwise,    // unchanged
  kAxis,           // Concat / Split: axis renumbered
};

struct NodeLayout {
  Form form = Form::kNone;
  std::vector<Slot> slots;  // per input
};

constexpr std::string_view kUnary[] = {
    "Abs",   "Ceil",    "Celu",  "Clip",        "Cos",     "Elu",      "Erf",
    "Exp",   "Floor",   "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "Log",
    "Neg",   "Reciprocal", "Relu", "Round",     "Selu",    "Sigmoid",  "Sin",
    "Softplus", "Softsign", "Sqrt", "Tanh",     "ThresholdedRelu"};
constexpr std::string_view kBroadcast[] = {"Add", "Div", "Max",  "Mean", "Min",
                                           "Mul", "Pow", "PRelu", "Sub", "Sum"};

template <size_t N>
bool one_of(const std::string_view (&names)[N], std::string_view op) {
  for (std::string_view n : names)
    if (n == op) return true;
  return false;
}

bool is_onnx(const ir::Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

std::vector<int64_t> to_nhwc(const std::vector<int64_t>& d) {
  return {d[kToNhwc[0]], d[kToNhwc[1]], d[kToNhwc[2]], d[kToNhwc[3]]};
}

// True unless permuting `dims` by `perm` keeps every non-1 dimension in order, in which case
// the bytes are already in the permuted order and a Reshape does the conversion. Dimensions
// known only at run time count as moving data.
bool moves_data(const std::vector<int64_t>& dims, const int* perm) {
  for (int64_t d : dims)
    if (d < 0) return true;
  int last = -1;
  for (int i = 0; i < 4; ++i) {
    if (dims[perm[i]] == 1) continue;
    if (perm[i] < last) return true;
    last = perm[i];
  }
  return false;
}

// Permutes the dims (and symbolic names) of a 4-D value from NCHW to NHWC.
void permute_shape(ir::Value& v) {
  v.dims = to_nhwc(v.dims);
  if (v.dim_params.size() == 4) {
    const std::vector<std::string> p = v.dim_params;
    for (int i = 0; i < 4; ++i) v.dim_params[i] = p[kToNhwc[i]];
  }
}

rt::Attribute ints_attr(std::string name, std::vector<int64_t> v) {
  rt::Attribute a;
  a.name = std::move(name);
  a.kind = rt::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

void set_attr(ir::Node& n, rt::Attribute a) {
  for (rt::Attribute& old : n.attrs) {
    if (old.name == a.name) {
      old = std::move(a);
      return;
    }
  }
  n.attrs.push_back(std::move(a));
}

std::vector<uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

class LayoutPass {
 public:
  LayoutPass(ir::Graph& g, const CompileOptions& options) : g_(g), options_(options) {}
  void run();

 private:
  struct Use {
    ir::NodeId node;
    int slot;
  };

  // --- finding regions --------------------------------------------------------------------
  bool activation(ir::ValueId v) const;
  bool float_4d(ir::ValueId v) const;
  bool unused(ir::ValueId v) const { return v < 0 || (uses_[v].empty() && !region_output_[v]); }
  bool operand(ir::ValueId v, Slot* slot) const;
  bool outputs_4d(const ir::Node& n, size_t used_outputs) const;
  bool gpu_could_run(ir::NodeId n) const;
  NodeLayout classify(ir::NodeId id) const;
  NodeLayout classify_pool(const ir::Node& n) const;
  NodeLayout classify_batchnorm(const ir::Node& n) const;
  NodeLayout classify_per_dim(const ir::Node& n) const;
  int root(int n);
  void find_regions();

  // --- rewriting --------------------------------------------------------------------------
  void plan_outputs(ir::NodeId n);
  void rewrite_region(ir::RegionId r);
  void rewrite_node(ir::NodeId n, std::vector<ir::NodeId>* order);
  ir::ValueId nhwc_value(ir::ValueId v, ir::RegionId r);
  ir::ValueId input_nhwc(ir::ValueId v, ir::NodeId reader, std::vector<ir::NodeId>* order);
  ir::NodeId convert(ir::ValueId from, ir::ValueId to, const int* perm, const std::string& name);
  ir::ValueId permuted_constant(ir::ValueId v);
  ir::ValueId permuted_vector(ir::ValueId v);
  ir::ValueId float_constant(const std::string& name, std::vector<int64_t> dims,
                             const std::vector<float>& values, ir::RegionId r);
  void make_depthwise_conv(ir::NodeId n, ir::ValueId w, ir::ValueId b,
                           std::vector<rt::Attribute> attrs);
  void drop_extra_outputs(ir::Node& n);
  int default_opset() const {
    auto it = g_.opsets.find("");
    return it == g_.opsets.end() ? 13 : it->second;
  }

  ir::Graph& g_;
  const CompileOptions& options_;
  std::vector<std::vector<Use>> uses_;
  std::vector<bool> region_output_;
  std::vector<NodeLayout> layout_;
  std::vector<int> parent_;    // union-find over node ids
  std::vector<bool> kept_;     // node is inside a conv-heavy region
  std::vector<ir::NodeId> producer_;  // per original value: its producer before the rewrite
  std::vector<ir::ValueId> nhwc_;     // per original value made in a region: its NHWC id
  std::vector<std::vector<std::pair<ir::ValueId, ir::ValueId>>> out_convert_;  // (nhwc, nchw)
  std::map<std::pair<ir::ValueId, ir::RegionId>, ir::ValueId> in_convert_;
  std::map<ir::ValueId, ir::ValueId> constants_;
};

// A float32 tensor of rank 4 whose channel count is known; batch and spatial sizes may be
// known only at run time (the NHWC kernels create their operators then).
bool LayoutPass::float_4d(ir::ValueId v) const {
  if (v < 0) return false;
  const ir::Value& x = g_.values[v];
  return x.dtype == rt::DType::kFloat32 && x.rank_known && x.dims.size() == 4 && x.dims[1] >= 0;
}

bool LayoutPass::activation(ir::ValueId v) const {
  return float_4d(v) && !g_.values[v].is_constant;
}

// Classifies an operand of a broadcasting op. A value with one element broadcasts the same in
// any layout; a larger one must be a 4-D activation or a constant that can be permuted.
bool LayoutPass::operand(ir::ValueId v, Slot* slot) const {
  *slot = Slot::kParam;
  if (v < 0) return true;
  const ir::Value& x = g_.values[v];
  if (ir::static_numel(x) == 1) return true;
  if (x.is_constant) {
    *slot = Slot::kConstant;
    return x.dtype == rt::DType::kFloat32 && x.rank_known && x.dims.size() <= 4;
  }
  *slot = Slot::kActivation;
  return activation(v);
}

// Outputs [0, used_outputs) are static 4-D float tensors; any further ones are unused.
bool LayoutPass::outputs_4d(const ir::Node& n, size_t used_outputs) const {
  if (n.outputs.size() < used_outputs) return false;
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    const ir::ValueId o = n.outputs[k];
    if (k < used_outputs ? !float_4d(o) : !unused(o)) return false;
  }
  return true;
}

bool LayoutPass::gpu_could_run(ir::NodeId n) const {
  if (options_.gpu == "none" || g_.nodes[n].region != 0) return false;
  if (options_.gpu_supports) return options_.gpu_supports(g_, n);
  const Backend* b = find_backend(options_.gpu);
  return b != nullptr && b->supports(g_, n);
}

NodeLayout LayoutPass::classify_pool(const ir::Node& n) const {
  NodeLayout none;
  if (n.inputs.size() != 1 || !activation(n.inputs[0]) || !outputs_4d(n, 1)) return none;
  const bool global = n.op_type == "GlobalAveragePool";
  if (rt::find_kernel(kParallaxDomain, n.op_type + "Nhwc", kParallaxOpset) < 0) return none;
  if (global) return {Form::kPool, {Slot::kActivation}};
  // What XNNPACK's pools compute right (runtime/kernels/xnnpack/pool_nhwc.cpp): windows of
  // more than one element, padding narrower than the window, and equal dilations without
  // ceil_mode when dilated.
  const std::vector<int64_t> k = attr_ints(n, "kernel_shape");
  if (k.size() != 2 || k[0] * k[1] <= 1) return none;
  const std::vector<int64_t> dil = attr_ints(n, "dilations", {1, 1});
  const std::vector<int64_t> strides = attr_ints(n, "strides", {1, 1});
  const std::vector<int64_t> pads = attr_ints(n, "pads", {0, 0, 0, 0});
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (dil.size() != 2 || strides.size() != 2 || pads.size() != 4) return none;
  const bool dilated = dil[0] != 1 || dil[1] != 1;
  if (dilated && (n.op_type != "MaxPool" || dil[0] != dil[1] || same ||
                  attr_int(n, "ceil_mode", 0) != 0)) {
    return none;
  }
  for (int d = 0; d < 2; ++d) {
    // SAME pads at most stride - 1 + kernel - 1 in all, split over both sides.
    if (same ? strides[d] > k[d] : (pads[d] >= k[d] || pads[d + 2] >= k[d])) return none;
  }
  if (n.op_type != "AveragePool") return {Form::kPool, {Slot::kActivation}};
  bool padded = same;
  if (auto_pad != "VALID")
    for (int64_t p : pads) padded = padded || p != 0;
  if (attr_int(n, "count_include_pad", 0) == 0 || !padded) return {Form::kPool, {Slot::kActivation}};
  // XNNPACK's average pool never counts padding; a depthwise convolution with weights
  // 1 / kernel size does, as long as every window lies inside the padded input (ceil_mode
  // can add windows that reach beyond it, whose divisor ONNX then shrinks).
  if (attr_int(n, "ceil_mode", 0) != 0 && auto_pad == "NOTSET") return none;
  return {Form::kAvgPoolAsConv, {Slot::kActivation}};
}

NodeLayout LayoutPass::classify_batchnorm(const ir::Node& n) const {
  NodeLayout none;
  if (n.inputs.size() != 5 || !activation(n.inputs[0]) || !outputs_4d(n, 1)) return none;
  if (attr_int(n, "training_mode", 0) != 0) return none;
  const int64_t channels = g_.values[n.inputs[0]].dims[1];
  for (int k = 1; k < 5; ++k) {
    const ir::ValueId v = n.inputs[k];
    if (v < 0 || !g_.values[v].is_constant || g_.values[v].dtype != rt::DType::kFloat32 ||
        ir::static_numel(g_.values[v]) != channels) {
      return none;
    }
  }
  return {Form::kBatchNorm, {Slot::kActivation, Slot::kParam, Slot::kParam, Slot::kParam, Slot::kParam}};
}

// Resize (roi, scales, sizes) and Pad (pads): besides X, constant vectors with one entry per
// dimension (twice for roi and pads), permuted like the dimensions. An empty one means absent.
NodeLayout LayoutPass::classify_per_dim(const ir::Node& n) const {
  NodeLayout none;
  const bool pad = n.op_type == "Pad";
  if (n.opset < 11 || n.inputs.empty() || !activation(n.inputs[0]) || !outputs_4d(n, 1) ||
      find_attr(n, "axes") != nullptr || (pad && n.inputs.size() > 3)) {
    return none;
  }
  NodeLayout l{Form::kElementwise, {Slot::kActivation}};
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    const ir::ValueId v = n.inputs[k];
    const bool per_dim = !pad || k == 1;  // Pad's constant_value is a scalar
    l.slots.push_back(per_dim && v >= 0 ? Slot::kPerDim : Slot::kParam);
    if (!per_dim || v < 0) continue;
    const int64_t numel = ir::static_numel(g_.values[v]);
    const int64_t expected = (pad || k == 1) ? 8 : 4;
    if (!g_.values[v].is_constant || (numel != 0 && numel != expected)) return none;
  }
  if (pad && (l.slots.size() < 2 || l.slots[1] != Slot::kPerDim)) return none;
  return l;
}

NodeLayout LayoutPass::classify(ir::NodeId id) const {
  const ir::Node& n = g_.nodes[id];
  NodeLayout none;
  if (gpu_could_run(id)) return none;
  const std::string& op = n.op_type;
  if ((is_onnx(n) && op == "Conv") || (n.domain == kParallaxDomain && op == "FusedConv")) {
    if (n.inputs.size() < 2 || !activation(n.inputs[0]) || !outputs_4d(n, 1)) return none;
    const ir::Value& w = g_.values[n.inputs[1]];
    if (!w.is_constant || w.dtype != rt::DType::kFloat32 || w.dims.size() != 4) return none;
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
      const ir::Value& b = g_.values[n.inputs[2]];
      if (!b.is_constant || b.dtype != rt::DType::kFloat32 || b.dims.size() != 1) return none;
    }
    NodeLayout l{Form::kConv, std::vector<Slot>(n.inputs.size(), Slot::kParam)};
    l.slots[0] = Slot::kActivation;
    return l;
  }
  if (n.domain == kParallaxDomain && op == "Gelu") {
    if (n.inputs.size() != 1 || !activation(n.inputs[0]) || !outputs_4d(n, 1)) return none;
    return {Form::kElementwise, {Slot::kActivation}};
  }
  if (!is_onnx(n)) return none;
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool") return classify_pool(n);
  if (op == "BatchNormalization") return classify_batchnorm(n);
  if (op == "Resize" || op == "Pad") return classify_per_dim(n);
  if (one_of(kUnary, op)) {
    if (n.inputs.empty() || !activation(n.inputs[0]) || !outputs_4d(n, 1)) return none;
    NodeLayout l{Form::kElementwise, std::vector<Slot>(n.inputs.size(), Slot::kParam)};
    l.slots[0] = Slot::kActivation;
    return l;
  }
  if (one_of(kBroadcast, op)) {
    if (!outputs_4d(n, 1)) return none;
    NodeLayout l{Form::kElementwise, {}};
    bool any = false;
    for (ir::ValueId v : n.inputs) {
      Slot s;
      if (!operand(v, &s)) return none;
      any = any || s == Slot::kActivation;
      l.slots.push_back(s);
    }
    return any ? l : none;
  }
  if (op == "Concat") {
    if (n.inputs.empty() || !outputs_4d(n, 1)) return none;
    NodeLayout l{Form::kAxis, {}};
    for (ir::ValueId v : n.inputs) {
      if (!float_4d(v)) return none;
      l.slots.push_back(g_.values[v].is_constant ? Slot::kConstant : Slot::kActivation);
    }
    return l;
  }
  if (op == "Split") {
    if (n.inputs.empty() || !activation(n.inputs[0]) || !outputs_4d(n, n.outputs.size())) return none;
    NodeLayout l{Form::kAxis, std::vector<Slot>(n.inputs.size(), Slot::kParam)};
    l.slots[0] = Slot::kActivation;
    return l;
  }
  return none;
}

int LayoutPass::root(int n) {
  while (parent_[n] != n) n = parent_[n] = parent_[parent_[n]];
  return n;
}

// Candidates joined through activations they pass each other form groups; the groups with a
// convolution become regions (kept_).
void LayoutPass::find_regions() {
  const size_t n_nodes = g_.nodes.size();
  layout_.resize(n_nodes);
  parent_.resize(n_nodes);
  for (size_t n = 0; n < n_nodes; ++n) {
    parent_[n] = static_cast<int>(n);
    layout_[n] = classify(static_cast<ir::NodeId>(n));
  }
  for (size_t n = 0; n < n_nodes; ++n) {
    if (layout_[n].form == Form::kNone) continue;
    const ir::Node& node = g_.nodes[n];
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (layout_[n].slots[k] != Slot::kActivation) continue;
      const ir::NodeId p = g_.values[node.inputs[k]].producer;
      if (p < 0 || layout_[p].form == Form::kNone || g_.nodes[p].region != node.region) continue;
      parent_[root(p)] = root(static_cast<int>(n));
    }
  }
  std::vector<bool> has_conv(n_nodes, false);
  for (size_t n = 0; n < n_nodes; ++n)
    if (layout_[n].form == Form::kConv) has_conv[root(static_cast<int>(n))] = true;
  kept_.assign(n_nodes, false);
  for (size_t n = 0; n < n_nodes; ++n)
    kept_[n] = layout_[n].form != Form::kNone && has_conv[root(static_cast<int>(n))];
}

// A new value in region r: v's NHWC form.
ir::ValueId LayoutPass::nhwc_value(ir::ValueId v, ir::RegionId r) {
  const ir::ValueId nv = g_.add_value(g_.values[v].name + "/nhwc", rt::DType::kFloat32,
                                      g_.values[v].dims, true, r);
  g_.values[nv].dim_params = g_.values[v].dim_params;
  permute_shape(g_.values[nv]);
  return nv;
}

// Decides each output's NHWC id: the value itself when only its region reads it, else a new
// value, converted back to the original after the node.
void LayoutPass::plan_outputs(ir::NodeId n) {
  const int group = root(n);
  const size_t used = layout_[n].form == Form::kAxis ? g_.nodes[n].outputs.size() : 1;
  for (size_t k = 0; k < used; ++k) {
    const ir::ValueId v = g_.nodes[n].outputs[k];
    if (v < 0) continue;
    bool outside = region_output_[v];
    for (const Use& u : uses_[v]) {
      outside = outside || !kept_[u.node] || root(u.node) != group ||
                layout_[u.node].slots[u.slot] != Slot::kActivation;
    }
    if (!outside) {
      permute_shape(g_.values[v]);
      nhwc_[v] = v;
      continue;
    }
    const ir::ValueId nv = nhwc_value(v, g_.nodes[n].region);
    nhwc_[v] = nv;
    out_convert_[n].push_back({nv, v});
  }
}

ir::NodeId LayoutPass::convert(ir::ValueId from, ir::ValueId to, const int* perm,
                               const std::string& name) {
  const ir::RegionId r = g_.values[to].region;
  if (!moves_data(g_.values[from].dims, perm)) {
    const std::vector<int64_t> dims = g_.values[to].dims;
    std::vector<uint8_t> bytes(dims.size() * sizeof(int64_t));
    std::memcpy(bytes.data(), dims.data(), bytes.size());
    const ir::ValueId shape =
        g_.add_constant(name + "/shape", rt::DType::kInt64, {4}, std::move(bytes), r);
    return g_.add_node(r, name, "Reshape", "", default_opset(), {from, shape}, {to});
  }
  return g_.add_node(r, name, "Transpose", "", default_opset(), {from}, {to},
                     {ints_attr("perm", {perm[0], perm[1], perm[2], perm[3]})});
}

// The NHWC form of activation v as read by `reader`: made in the reader's region, or converted
// once per region (the conversion placed before its first reader).
ir::ValueId LayoutPass::input_nhwc(ir::ValueId v, ir::NodeId reader,
                                   std::vector<ir::NodeId>* order) {
  // The producer before any rewrite: a conversion back to NCHW may have taken its place.
  const ir::NodeId p = v < static_cast<ir::ValueId>(producer_.size()) ? producer_[v] : -1;
  if (p >= 0 && kept_[p] && root(p) == root(reader)) return nhwc_[v];
  const ir::RegionId r = g_.nodes[reader].region;
  auto it = in_convert_.find({v, r});
  if (it != in_convert_.end()) return it->second;
  const ir::ValueId nv = nhwc_value(v, r);
  order->push_back(convert(v, nv, kToNhwc, g_.values[v].name + "/to_nhwc"));
  in_convert_[{v, r}] = nv;
  return nv;
}

// Constant v (rank <= 4, numpy-aligned to 4-D) permuted to NHWC. Rewritten in place when this
// is its only use, so the weights blob does not carry both forms.
ir::ValueId LayoutPass::permuted_constant(ir::ValueId v) {
  auto it = constants_.find(v);
  if (it != constants_.end()) return it->second;
  std::vector<int64_t> dims = g_.values[v].dims;
  dims.insert(dims.begin(), 4 - dims.size(), 1);
  const size_t esize = rt::dtype_size(g_.values[v].dtype);
  const std::vector<uint8_t>& src = g_.values[v].data;
  std::vector<uint8_t> dst(src.size());
  const int64_t stride[4] = {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1};
  size_t o = 0;
  for (int64_t a = 0; a < dims[0]; ++a)
    for (int64_t h = 0; h < dims[2]; ++h)
      for (int64_t w = 0; w < dims[3]; ++w)
        for (int64_t c = 0; c < dims[1]; ++c, o += esize) {
          const int64_t i = a * stride[0] + c * stride[1] + h * stride[2] + w * stride[3];
          std::memcpy(dst.data() + o, src.data() + i * esize, esize);
        }
  ir::ValueId nv = v;
  if (uses_[v].size() == 1 && !region_output_[v]) {
    g_.values[v].dims = to_nhwc(dims);
    g_.values[v].data = std::move(dst);
    g_.values[v].dim_params.clear();
  } else {
    nv = g_.add_constant(g_.values[v].name + "/nhwc", g_.values[v].dtype, to_nhwc(dims),
                         std::move(dst), g_.values[v].region);
  }
  constants_[v] = nv;
  return nv;
}

// A 1-D constant of 4 * k entries (Resize's roi, scales, sizes; Pad's pads), each 4 permuted.
ir::ValueId LayoutPass::permuted_vector(ir::ValueId v) {
  const ir::Value& c = g_.values[v];
  const size_t esize = rt::dtype_size(c.dtype);
  const size_t n = c.data.size() / esize;
  std::vector<uint8_t> dst(c.data.size());
  for (size_t i = 0; i < n; ++i) {
    const size_t from = (i / 4) * 4 + static_cast<size_t>(kToNhwc[i % 4]);
    std::memcpy(dst.data() + i * esize, c.data.data() + from * esize, esize);
  }
  return g_.add_constant(c.name + "/nhwc", c.dtype, c.dims, std::move(dst), c.region);
}

ir::ValueId LayoutPass::float_constant(const std::string& name, std::vector<int64_t> dims,
                                       const std::vector<float>& values, ir::RegionId r) {
  return g_.add_constant(name, rt::DType::kFloat32, std::move(dims), float_bytes(values), r);
}

// Outputs past the first are unused (checked by classify); they lose their producer.
void LayoutPass::drop_extra_outputs(ir::Node& n) {
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (n.outputs[k] >= 0) g_.values[n.outputs[k]].producer = -1;
  n.outputs.resize(1);
}

void LayoutPass::make_depthwise_conv(ir::NodeId id, ir::ValueId w, ir::ValueId b,
                                     std::vector<rt::Attribute> attrs) {
  ir::Node& n = g_.nodes[id];
  n.op_type = "ConvNhwc";
  n.domain = kParallaxDomain;
  n.opset = kParallaxOpset;
  n.inputs = {n.inputs[0], w};
  if (b >= 0) n.inputs.push_back(b);
  n.attrs = std::move(attrs);
  drop_extra_outputs(n);
}

void LayoutPass::rewrite_node(ir::NodeId id, std::vector<ir::NodeId>* order) {
  const NodeLayout& l = layout_[id];
  for (size_t k = 0; k < l.slots.size(); ++k) {
    const ir::ValueId v = g_.nodes[id].inputs[k];
    if (l.slots[k] == Slot::kActivation) {
      const ir::ValueId nv = input_nhwc(v, id, order);
      g_.nodes[id].inputs[k] = nv;
    } else if (l.slots[k] == Slot::kConstant) {
      const ir::ValueId nv = permuted_constant(v);
      g_.nodes[id].inputs[k] = nv;
    } else if (l.slots[k] == Slot::kPerDim && !g_.values[v].data.empty()) {
      const ir::ValueId nv = permuted_vector(v);
      g_.nodes[id].inputs[k] = nv;
    }
  }
  ir::Node& n = g_.nodes[id];
  const ir::RegionId r = n.region;
  const std::string name = n.name;
  switch (l.form) {
    case Form::kConv: {
      const ir::ValueId w = permuted_constant(n.inputs[1]);
      ir::Node& c = g_.nodes[id];
      c.inputs[1] = w;
      c.op_type = "ConvNhwc";
      c.domain = kParallaxDomain;
      c.opset = kParallaxOpset;
      break;
    }
    case Form::kPool:
      n.op_type += "Nhwc";
      n.domain = kParallaxDomain;
      n.opset = kParallaxOpset;
      drop_extra_outputs(n);
      break;
    case Form::kAvgPoolAsConv: {
      const std::vector<int64_t> k = attr_ints(n, "kernel_shape");
      const int64_t channels = g_.values[n.inputs[0]].dims[3];
      std::vector<rt::Attribute> attrs = {ints_attr("kernel_shape", k), make_attr_int("group", channels)};
      for (const char* a : {"strides", "pads", "auto_pad"})
        if (const rt::Attribute* p = find_attr(n, a)) attrs.push_back(*p);
      const std::vector<float> w(static_cast<size_t>(channels * k[0] * k[1]),
                                 1.0f / static_cast<float>(k[0] * k[1]));
      const ir::ValueId wv = float_constant(name + "/weights", {channels, k[0], k[1], 1}, w, r);
      make_depthwise_conv(id, wv, -1, std::move(attrs));
      break;
    }
    case Form::kBatchNorm: {
      const int64_t channels = g_.values[n.inputs[0]].dims[3];
      std::vector<float> p[4];  // scale, B, mean, var
      for (int i = 0; i < 4; ++i) {
        const std::vector<uint8_t>& bytes = g_.values[n.inputs[i + 1]].data;
        p[i].resize(static_cast<size_t>(channels));
        std::memcpy(p[i].data(), bytes.data(), bytes.size());
      }
      const double eps = attr_float(n, "epsilon", 1e-5f);
      std::vector<float> scale(p[0].size()), shift(p[0].size());
      for (size_t c = 0; c < scale.size(); ++c) {
        const double s = p[0][c] / std::sqrt(static_cast<double>(p[3][c]) + eps);
        scale[c] = static_cast<float>(s);
        shift[c] = static_cast<float>(p[1][c] - p[2][c] * s);
      }
      const ir::ValueId wv = float_constant(name + "/scale", {channels, 1, 1, 1}, scale, r);
      const ir::ValueId bv = float_constant(name + "/shift", {channels}, shift, r);
      make_depthwise_conv(id, wv, bv,
                          {ints_attr("kernel_shape", {1, 1}), make_attr_int("group", channels)});
      break;
    }
    case Form::kAxis: {
      int64_t axis = attr_int(n, "axis", 0);
      if (axis < 0) axis += 4;
      set_attr(n, make_attr_int("axis", kToNchw[axis]));
      break;
    }
    case Form::kElementwise:
    case Form::kNone:
      break;
  }
  ir::Node& done = g_.nodes[id];
  for (ir::ValueId& o : done.outputs) {
    if (o < 0) continue;
    o = nhwc_[o];
    g_.values[o].producer = id;
  }
  order->push_back(id);
  for (const auto& [from, to] : out_convert_[id]) {
    g_.values[to].producer = -1;  // convert() makes the new node its producer
    order->push_back(convert(from, to, kToNchw, g_.values[to].name + "/to_nchw"));
  }
}

void LayoutPass::rewrite_region(ir::RegionId r) {
  const std::vector<ir::NodeId> nodes = g_.regions[r].nodes;
  std::vector<ir::NodeId> order;
  for (ir::NodeId n : nodes) {
    if (kept_[n]) {
      rewrite_node(n, &order);
    } else {
      order.push_back(n);
    }
  }
  g_.regions[r].nodes = std::move(order);
}

void LayoutPass::run() {
  if (rt::find_kernel(kParallaxDomain, "ConvNhwc", kParallaxOpset) < 0) return;
  uses_.assign(g_.values.size(), {});
  region_output_.assign(g_.values.size(), false);
  for (ir::NodeId n = 0; n < static_cast<ir::NodeId>(g_.nodes.size()); ++n) {
    const std::vector<ir::ValueId>& in = g_.nodes[n].inputs;
    for (size_t k = 0; k < in.size(); ++k)
      if (in[k] >= 0) uses_[in[k]].push_back({n, static_cast<int>(k)});
  }
  for (const ir::Region& r : g_.regions)
    for (ir::ValueId v : r.outputs) region_output_[v] = true;
  find_regions();
  bool any = false;
  for (bool k : kept_) any = any || k;
  if (!any) return;
  g_.opsets[kParallaxDomain] = kParallaxOpset;
  nhwc_.assign(g_.values.size(), -1);
  producer_.resize(g_.values.size());
  for (size_t v = 0; v < g_.values.size(); ++v) producer_[v] = g_.values[v].producer;
  out_convert_.assign(g_.nodes.size(), {});
  const size_t n_nodes = g_.nodes.size();
  for (size_t n = 0; n < n_nodes; ++n)
    if (kept_[n]) plan_outputs(static_cast<ir::NodeId>(n));
  for (ir::RegionId r = 0; r < static_cast<ir::RegionId>(g_.regions.size()); ++r) rewrite_region(r);
}

}  // namespace

rt::Status assign_layout(ir::Graph& g, const CompileOptions& options) {
  LayoutPass(g, options).run();
  return rt::Status::ok();
}

}  // namespace parallax::passes
