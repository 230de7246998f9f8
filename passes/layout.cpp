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
#include "passes/eliminate_dead_code.h"
#include "passes/fuse_activation.h"
#include "passes/layout_rules.h"

namespace parallax::passes {
namespace {

using nhwc::Form;
using nhwc::kToNchw;
using nhwc::kToNhwc;
using nhwc::NodeLayout;
using nhwc::Slot;

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
  LayoutPass(ir::Graph& g, const CompileOptions& options) : g_(g), options_(options), uses_(g) {}
  rt::Status run();

 private:
  // --- finding regions --------------------------------------------------------------------
  bool gpu_could_run(ir::NodeId n) const;
  int root(int n);
  void find_regions();

  // --- rewriting --------------------------------------------------------------------------
  void plan_outputs(ir::NodeId n);
  void rewrite_region(ir::RegionId r);
  bool reads_nchw(ir::NodeId n);
  void rewrite_inputs(ir::NodeId n, bool keep_first, std::vector<ir::NodeId>* order);
  void rewrite_node(ir::NodeId n, std::vector<ir::NodeId>* order);
  ir::ValueId nhwc_value(ir::ValueId v, ir::RegionId r);
  ir::ValueId input_nhwc(ir::ValueId v, ir::NodeId reader, std::vector<ir::NodeId>* order);
  ir::NodeId convert(ir::ValueId from, ir::ValueId to, const int* perm, const std::string& name);
  ir::ValueId permuted_constant(ir::ValueId v);
  ir::ValueId permuted_vector(ir::ValueId v);
  ir::ValueId slice_axes(const ir::Node& n);
  ir::ValueId float_constant(const std::string& name, std::vector<int64_t> dims,
                             const std::vector<float>& values, ir::RegionId r);
  void make_op(ir::Node& n, const char* op_type);
  void make_depthwise_conv(ir::NodeId n, ir::ValueId w, ir::ValueId b,
                           std::vector<rt::Attribute> attrs);
  void batchnorm_to_conv(ir::NodeId n);
  void avgpool_to_conv(ir::NodeId n);
  void drop_extra_outputs(ir::Node& n);
  int default_opset() const {
    auto it = g_.opsets.find("");
    return it == g_.opsets.end() ? 13 : it->second;
  }

  ir::Graph& g_;
  const CompileOptions& options_;
  const nhwc::Uses uses_;  // as before the rewrite
  std::vector<NodeLayout> layout_;
  std::vector<int> parent_;           // union-find over node ids
  std::vector<bool> kept_;            // node is inside a conv-heavy region
  std::vector<bool> absorbed_;        // node dies with a converted channel shuffle
  std::vector<ir::NodeId> producer_;  // per original value: its producer before the rewrite
  std::vector<ir::ValueId> nhwc_;     // per original value made in a region: its NHWC id
  std::vector<std::vector<std::pair<ir::ValueId, ir::ValueId>>> out_convert_;  // (nhwc, nchw)
  std::map<std::pair<ir::ValueId, ir::RegionId>, ir::ValueId> in_convert_;
  std::map<ir::ValueId, ir::ValueId> constants_;
};

bool LayoutPass::gpu_could_run(ir::NodeId n) const {
  if (options_.gpu == "none" || g_.nodes[n].region != 0) return false;
  if (options_.gpu_supports) return options_.gpu_supports(g_, n);
  const Backend* b = find_backend(options_.gpu);
  return b != nullptr && b->supports(g_, n);
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
    if (!gpu_could_run(static_cast<ir::NodeId>(n)))
      layout_[n] = nhwc::classify(g_, uses_, static_cast<ir::NodeId>(n));
  }
  const auto join = [&](size_t n, ir::ValueId v) {
    const ir::NodeId p = g_.values[v].producer;
    if (p < 0 || layout_[p].form == Form::kNone || g_.nodes[p].region != g_.nodes[n].region) return;
    parent_[root(p)] = root(static_cast<int>(n));
  };
  for (size_t n = 0; n < n_nodes; ++n) {
    const NodeLayout& l = layout_[n];
    if (l.form == Form::kShuffle) join(n, l.source);
    for (size_t k = 0; k < l.slots.size(); ++k)
      if (l.slots[k] == Slot::kActivation) join(n, g_.nodes[n].inputs[k]);
  }
  std::vector<bool> has_conv(n_nodes, false);
  for (size_t n = 0; n < n_nodes; ++n)
    if (layout_[n].form == Form::kConv) has_conv[root(static_cast<int>(n))] = true;
  kept_.assign(n_nodes, false);
  absorbed_.assign(n_nodes, false);
  for (size_t n = 0; n < n_nodes; ++n) {
    kept_[n] = layout_[n].form != Form::kNone && has_conv[root(static_cast<int>(n))];
    if (kept_[n] && layout_[n].form == Form::kShuffle)
      for (ir::NodeId a : layout_[n].absorbed) absorbed_[a] = true;
  }
}

// A new value in region r: v's NHWC form.
ir::ValueId LayoutPass::nhwc_value(ir::ValueId v, ir::RegionId r) {
  const ir::ValueId nv =
      g_.add_value(g_.values[v].name + "/nhwc", rt::DType::kFloat32, g_.values[v].dims, true, r);
  g_.values[nv].dim_params = g_.values[v].dim_params;
  permute_shape(g_.values[nv]);
  return nv;
}

// Decides each output's NHWC id: the value itself when only its region reads it, else a new
// value, converted back to the original after the node. Readers that die with a converted
// channel shuffle do not count.
void LayoutPass::plan_outputs(ir::NodeId n) {
  const int group = root(n);
  const size_t used = layout_[n].form == Form::kAxis ? g_.nodes[n].outputs.size() : 1;
  for (size_t k = 0; k < used; ++k) {
    const ir::ValueId v = g_.nodes[n].outputs[k];
    if (v < 0) continue;
    bool outside = uses_.region_output[v];
    for (const nhwc::Uses::Use& u : uses_.of[v]) {
      if (absorbed_[u.node]) continue;
      outside = outside || !kept_[u.node] || root(u.node) != group ||
                (layout_[u.node].form == Form::kShuffle
                     ? layout_[u.node].source != v
                     : layout_[u.node].slots[u.slot] != Slot::kActivation);
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
                     {make_attr_ints("perm", {perm[0], perm[1], perm[2], perm[3]})});
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
  std::vector<int64_t> d = g_.values[v].dims;
  d.insert(d.begin(), 4 - d.size(), 1);
  const size_t esize = rt::dtype_size(g_.values[v].dtype);
  const uint8_t* src = g_.values[v].data.data();
  std::vector<uint8_t> dst(g_.values[v].data.size());
  uint8_t* out = dst.data();
  for (int64_t a = 0; a < d[0]; ++a)
    for (int64_t h = 0; h < d[2]; ++h)
      for (int64_t w = 0; w < d[3]; ++w) {
        const uint8_t* in = src + (((a * d[1]) * d[2] + h) * d[3] + w) * esize;
        const size_t channel_stride = static_cast<size_t>(d[2] * d[3]) * esize;
        for (int64_t c = 0; c < d[1]; ++c, out += esize, in += channel_stride)
          std::memcpy(out, in, esize);
      }
  ir::ValueId nv = v;
  if (uses_.of[v].size() == 1 && !uses_.region_output[v]) {
    g_.values[v].dims = to_nhwc(d);
    g_.values[v].data = std::move(dst);
    g_.values[v].dim_params.clear();
  } else {
    nv = g_.add_constant(g_.values[v].name + "/nhwc", g_.values[v].dtype, to_nhwc(d),
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

// Slice's axes in NHWC numbering, as a new int64 constant (the default axes 0..k-1 spelled
// out when the node has none).
ir::ValueId LayoutPass::slice_axes(const ir::Node& n) {
  const ir::ValueId starts = n.inputs[1];
  const bool given = n.inputs.size() > 3 && n.inputs[3] >= 0;
  const ir::Value& src = g_.values[given ? n.inputs[3] : starts];
  const size_t count = src.data.size() / rt::dtype_size(src.dtype);
  std::vector<int64_t> axes(count);
  for (size_t i = 0; i < count; ++i) {
    int64_t a = static_cast<int64_t>(i);
    if (given && src.dtype == rt::DType::kInt64) {
      std::memcpy(&a, src.data.data() + i * 8, 8);
    } else if (given) {
      int32_t a32;
      std::memcpy(&a32, src.data.data() + i * 4, 4);
      a = a32;
    }
    axes[i] = kToNchw[a < 0 ? a + 4 : a];
  }
  std::vector<uint8_t> bytes(count * sizeof(int64_t));
  if (count) std::memcpy(bytes.data(), axes.data(), bytes.size());
  return g_.add_constant(n.name + "/axes_nhwc", rt::DType::kInt64, {static_cast<int64_t>(count)},
                         std::move(bytes), n.region);
}

ir::ValueId LayoutPass::float_constant(const std::string& name, std::vector<int64_t> dims,
                                       const std::vector<float>& values, ir::RegionId r) {
  return g_.add_constant(name, rt::DType::kFloat32, std::move(dims), float_bytes(values), r);
}

void LayoutPass::make_op(ir::Node& n, const char* op_type) {
  n.op_type = op_type;
  n.domain = kParallaxDomain;
  n.opset = kParallaxOpset;
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
  make_op(n, "ConvNhwc");
  n.inputs = {n.inputs[0], w};
  if (b >= 0) n.inputs.push_back(b);
  n.attrs = std::move(attrs);
  drop_extra_outputs(n);
}

// Inference BatchNormalization as a 1x1 depthwise convolution: W = scale / sqrt(var + eps),
// B = bias - mean * W, computed in double.
void LayoutPass::batchnorm_to_conv(ir::NodeId id) {
  const ir::Node& n = g_.nodes[id];
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
  const ir::ValueId w = float_constant(n.name + "/scale", {channels, 1, 1, 1}, scale, n.region);
  const ir::ValueId b =
      float_constant(g_.nodes[id].name + "/shift", {channels}, shift, g_.nodes[id].region);
  make_depthwise_conv(id, w, b,
                      {make_attr_ints("kernel_shape", {1, 1}), make_attr_int("group", channels)});
}

// An AveragePool that counts padding as a depthwise convolution of 1 / (kh * kw) weights.
void LayoutPass::avgpool_to_conv(ir::NodeId id) {
  const ir::Node& n = g_.nodes[id];
  const std::vector<int64_t> k = attr_ints(n, "kernel_shape");
  const int64_t channels = g_.values[n.inputs[0]].dims[3];
  std::vector<rt::Attribute> attrs = {make_attr_ints("kernel_shape", k),
                                      make_attr_int("group", channels)};
  for (const char* a : {"strides", "pads", "auto_pad"})
    if (const rt::Attribute* p = find_attr(n, a)) attrs.push_back(*p);
  const std::vector<float> w(static_cast<size_t>(channels * k[0] * k[1]),
                             1.0f / static_cast<float>(k[0] * k[1]));
  const ir::ValueId wv =
      float_constant(n.name + "/weights", {channels, k[0], k[1], 1}, w, n.region);
  make_depthwise_conv(id, wv, -1, std::move(attrs));
}

// Whether convolution `id` reads its input in NCHW (ConvNhwc's nchw_input, run by the
// runtime's nn::InputConv) instead of through a transpose to NHWC: when the input is made
// outside the region and has few channels (an image), and the convolution is single-group and
// undilated. That saves the transpose, and the direct kernel beats XNNPACK where im2col's inner
// dimension (channels x kernel taps, 27 for a 3x3 RGB layer) is too short for a GEMM tile.
bool LayoutPass::reads_nchw(ir::NodeId id) {
  // Past this many channels the GEMM-based path's longer inner dimension pays off again.
  constexpr int64_t kMaxChannels = 4;
  const ir::Node& n = g_.nodes[id];
  const ir::ValueId v = n.inputs[0];
  const ir::NodeId p = producer_[v];
  if (p >= 0 && kept_[p] && root(p) == root(id)) return false;
  const std::vector<int64_t>& d = g_.values[v].dims;
  if (d.size() != 4 || d[1] < 1 || d[1] > kMaxChannels || d[2] < 0 || d[3] < 0) return false;
  if (attr_int(n, "group", 1) != 1) return false;
  for (int64_t dilation : attr_ints(n, "dilations", {1, 1}))
    if (dilation != 1) return false;
  return true;
}

// Rewrites node id's inputs to what the NHWC node reads; keep_first leaves input 0 as it is.
void LayoutPass::rewrite_inputs(ir::NodeId id, bool keep_first, std::vector<ir::NodeId>* order) {
  const NodeLayout& l = layout_[id];
  for (size_t k = 0; k < l.slots.size(); ++k) {
    const ir::ValueId v = g_.nodes[id].inputs[k];
    ir::ValueId nv = v;
    if (l.slots[k] == Slot::kActivation && !(k == 0 && keep_first)) nv = input_nhwc(v, id, order);
    if (l.slots[k] == Slot::kConstant) nv = permuted_constant(v);
    if (l.slots[k] == Slot::kPerDim && !g_.values[v].data.empty()) nv = permuted_vector(v);
    g_.nodes[id].inputs[k] = nv;
  }
}

void LayoutPass::rewrite_node(ir::NodeId id, std::vector<ir::NodeId>* order) {
  const bool nchw_input = layout_[id].form == Form::kConv && reads_nchw(id);
  rewrite_inputs(id, nchw_input, order);
  const NodeLayout& l = layout_[id];
  switch (l.form) {
    case Form::kConv: {
      const ir::ValueId w = permuted_constant(g_.nodes[id].inputs[1]);
      g_.nodes[id].inputs[1] = w;
      make_op(g_.nodes[id], "ConvNhwc");
      if (nchw_input) set_attr(g_.nodes[id], make_attr_int("nchw_input", 1));
      break;
    }
    case Form::kPool: {
      ir::Node& n = g_.nodes[id];
      make_op(n, (n.op_type + "Nhwc").c_str());
      drop_extra_outputs(n);
      break;
    }
    case Form::kAvgPoolAsConv:
      avgpool_to_conv(id);
      break;
    case Form::kBatchNorm:
      batchnorm_to_conv(id);
      break;
    case Form::kAxis: {
      ir::Node& n = g_.nodes[id];
      const int64_t axis = attr_int(n, "axis", 0);
      set_attr(n, make_attr_int("axis", kToNchw[axis < 0 ? axis + 4 : axis]));
      break;
    }
    case Form::kSlice: {
      const ir::ValueId axes = slice_axes(g_.nodes[id]);
      ir::Node& n = g_.nodes[id];
      if (n.inputs.size() < 4) n.inputs.resize(4, -1);
      n.inputs[3] = axes;
      break;
    }
    case Form::kShuffle: {
      const ir::ValueId x = input_nhwc(l.source, id, order);
      ir::Node& n = g_.nodes[id];
      make_op(n, "ChannelShuffleNhwc");
      n.inputs = {x};
      n.attrs = {make_attr_int("groups", l.groups)};
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

rt::Status LayoutPass::run() {
  if (rt::find_kernel(kParallaxDomain, "ConvNhwc", kParallaxOpset) < 0) return rt::Status::ok();
  find_regions();
  bool any = false, shuffles = false;
  for (size_t n = 0; n < kept_.size(); ++n) {
    any = any || kept_[n];
    shuffles = shuffles || absorbed_[n];
  }
  if (!any) return rt::Status::ok();
  g_.opsets[kParallaxDomain] = kParallaxOpset;
  nhwc_.assign(g_.values.size(), -1);
  producer_.resize(g_.values.size());
  for (size_t v = 0; v < g_.values.size(); ++v) producer_[v] = g_.values[v].producer;
  out_convert_.assign(g_.nodes.size(), {});
  const size_t n_nodes = g_.nodes.size();
  for (size_t n = 0; n < n_nodes; ++n)
    if (kept_[n]) plan_outputs(static_cast<ir::NodeId>(n));
  for (ir::RegionId r = 0; r < static_cast<ir::RegionId>(g_.regions.size()); ++r) rewrite_region(r);
  // A converted shuffle left its Reshape and Transpose without readers.
  return shuffles ? eliminate_dead_code(g_) : rt::Status::ok();
}

}  // namespace

rt::Status assign_layout(ir::Graph& g, const CompileOptions& options) {
  PARALLAX_RETURN_IF_ERROR(LayoutPass(g, options).run());
  // BatchNormalization and counted-padding AveragePool became ConvNhwc here, after
  // canonicalize's fuse_activation: an activation after one (DenseNet's BN -> Relu) fuses now.
  fuse_activation(g);
  return rt::Status::ok();
}

}  // namespace parallax::passes
