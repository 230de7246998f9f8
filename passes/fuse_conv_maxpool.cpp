#include "passes/fuse_conv_maxpool.h"

#include <string>
#include <vector>

#include "parallax/runtime/kernel.h"
#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// Fuses the pattern ending at MaxPoolNhwc `pool`, if it is one.
bool fuse_at(Rewriter& rw, ir::NodeId pool) {
  const ir::Node& p = rw.node(pool);
  if (p.inputs.size() != 1 || p.outputs.size() != 1 || p.inputs[0] < 0 ||
      !static_f32_4d(rw.value(p.inputs[0])) || !static_f32_4d(rw.value(p.outputs[0]))) {
    return false;
  }
  const std::vector<int64_t> k = attr_ints(p, "kernel_shape");
  const std::vector<int64_t> pads = attr_ints(p, "pads", {0, 0, 0, 0});
  if (k.size() != 2 || k[0] < 1 || k[1] < 1 || pads.size() != 4 ||
      attr_ints(p, "strides", {1, 1}).size() != 2 ||
      !all_equal(attr_ints(p, "dilations", {1, 1}), 1) ||
      attr_string(p, "auto_pad", "NOTSET") != "NOTSET" || attr_int(p, "storage_order", 0) != 0) {
    return false;
  }
  for (int d = 0; d < 2; ++d)
    if (pads[d] < 0 || pads[d + 2] < 0 || pads[d] >= k[d] || pads[d + 2] >= k[d]) return false;
  const ir::ValueId c = p.inputs[0];
  const ir::NodeId conv = rw.single_producer(c, "ConvNhwc", pool, kParallaxDomain);
  if (conv < 0 || rw.is_region_output(c)) return false;
  const ir::Node& cv = rw.node(conv);
  const std::string act = attr_string(cv, "activation", "");
  if (attr_int(cv, "nchw_input", 0) != 1 || cv.outputs.size() != 1 || cv.inputs.size() < 2 ||
      cv.inputs[0] < 0 || !static_f32_4d(rw.value(cv.inputs[0])) || !rw.is_constant(cv.inputs[1]) ||
      (cv.inputs.size() > 2 && cv.inputs[2] >= 0 && !rw.is_constant(cv.inputs[2])) ||
      attr_int(cv, "group", 1) != 1 || !all_equal(attr_ints(cv, "dilations", {1, 1}), 1) ||
      !(act.empty() || act == "Relu" || act == "Clip" || act == "SiLU")) {
    return false;
  }
  std::vector<rt::Attribute> attrs = cv.attrs;
  append_prefixed_attrs(p, "pool_", {"kernel_shape", "strides", "pads", "ceil_mode"}, &attrs);
  const std::vector<ir::ValueId> inputs = cv.inputs;
  const std::string name = cv.name;
  rw.replace(pool, name, "InputConvMaxPoolNhwc", kParallaxDomain, kParallaxOpset, inputs,
             std::move(attrs));
  rw.erase(conv);
  return true;
}

}  // namespace

bool fuse_conv_maxpool(ir::Graph& g) {
  if (rt::find_kernel(kParallaxDomain, "InputConvMaxPoolNhwc", kParallaxOpset) < 0) return false;
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "MaxPoolNhwc", kParallaxDomain)) fuse_at(rw, n);
  }
  return rw.finish();
}

}  // namespace parallax::passes
