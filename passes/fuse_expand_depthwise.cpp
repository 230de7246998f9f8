#include "passes/fuse_expand_depthwise.h"

#include <string>
#include <vector>

#include "parallax/runtime/kernel.h"
#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

bool is_conv_nhwc(const Rewriter& rw, ir::NodeId n) {
  return rw.is(n, "ConvNhwc", kParallaxDomain) && rw.node(n).outputs.size() == 1 &&
         rw.node(n).inputs.size() >= 2 && rw.node(n).inputs.size() <= 3;
}

// Weight w (OHWI) and optional bias b are constants of the expected sizes.
bool constant_weights(const Rewriter& rw, const ir::Node& n, int64_t out_channels) {
  const ir::ValueId w = n.inputs[1];
  if (!rw.is_constant(w) || rw.value(w).dtype != rt::DType::kFloat32 ||
      rw.value(w).dims.size() != 4 || rw.value(w).dims[0] != out_channels) {
    return false;
  }
  if (n.inputs.size() < 3 || n.inputs[2] < 0) return true;
  const ir::Value& b = rw.value(n.inputs[2]);
  return rw.is_constant(n.inputs[2]) && b.dtype == rt::DType::kFloat32 &&
         ir::static_numel(b) == out_channels;
}

// The activation names each kernel applies in registers.
bool expand_activation_ok(const std::string& a) {
  return a.empty() || a == "Relu" || a == "Clip" || a == "SiLU" || a == "Swish";
}
bool depthwise_activation_ok(const std::string& a) {
  return a.empty() || a == "Relu" || a == "Clip" || a == "SiLU";
}

// Fuses the pattern ending at depthwise ConvNhwc `dw`, if it is one.
bool fuse_at(Rewriter& rw, ir::NodeId dw) {
  const ir::Node& d = rw.node(dw);
  const ir::ValueId e = d.inputs[0];
  if (e < 0 || !static_f32_4d(rw.value(e))) return false;
  const int64_t channels = rw.value(e).dims[3];
  if (attr_int(d, "group", 1) != channels || attr_int(d, "nchw_input", 0) != 0 ||
      !constant_weights(rw, d, channels) || rw.value(d.inputs[1]).dims[3] != 1) {
    return false;
  }
  const std::vector<int64_t>& w2 = rw.value(d.inputs[1]).dims;  // [Ce, kH, kW, 1]
  const std::vector<int64_t> strides = attr_ints(d, "strides", {1, 1});
  if (!all_equal(attr_ints(d, "dilations", {1, 1}), 1) || w2[1] < 1 || w2[1] > 7 || w2[2] < 1 ||
      w2[2] > 7 || strides.size() != 2 || (strides[0] != 1 && strides[0] != 2) ||
      (strides[1] != 1 && strides[1] != 2) ||
      !depthwise_activation_ok(attr_string(d, "activation", ""))) {
    return false;
  }
  const ir::NodeId ex = rw.single_producer(e, "ConvNhwc", dw, kParallaxDomain);
  if (ex < 0 || !is_conv_nhwc(rw, ex) || rw.is_region_output(e)) return false;
  const ir::Node& x = rw.node(ex);
  const ir::ValueId in = x.inputs[0];
  const std::string pad = attr_string(x, "auto_pad", "NOTSET");
  if (in < 0 || !static_f32_4d(rw.value(in)) || attr_int(x, "group", 1) != 1 ||
      attr_int(x, "nchw_input", 0) != 0 || !constant_weights(rw, x, channels) ||
      rw.value(x.inputs[1]).dims[1] != 1 || rw.value(x.inputs[1]).dims[2] != 1 ||
      rw.value(x.inputs[1]).dims[3] != rw.value(in).dims[3] ||
      !all_equal(attr_ints(x, "strides", {1, 1}), 1) || !all_equal(attr_ints(x, "pads"), 0) ||
      (pad != "NOTSET" && pad != "VALID") ||
      !expand_activation_ok(attr_string(x, "activation", ""))) {
    return false;
  }
  if (ir::static_numel(rw.value(e)) * 4 < kMinExpandedBytes) return false;
  std::vector<rt::Attribute> attrs = d.attrs;
  append_prefixed_attrs(x, "expand_", {"activation", "activation_params"}, &attrs);
  const auto bias = [](const ir::Node& n) { return n.inputs.size() > 2 ? n.inputs[2] : -1; };
  std::vector<ir::ValueId> inputs = {in, x.inputs[1], bias(x), d.inputs[1], bias(d)};
  if (inputs.back() < 0) inputs.pop_back();  // trailing omitted inputs are left out
  const std::string name = d.name;
  rw.replace(dw, name, "ExpandDepthwiseNhwc", kParallaxDomain, kParallaxOpset, inputs,
             std::move(attrs));
  rw.erase(ex);
  return true;
}

}  // namespace

bool fuse_expand_depthwise(ir::Graph& g) {
  if (rt::find_kernel(kParallaxDomain, "ExpandDepthwiseNhwc", kParallaxOpset) < 0) return false;
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (is_conv_nhwc(rw, n)) fuse_at(rw, n);
  }
  return rw.finish();
}

}  // namespace parallax::passes
