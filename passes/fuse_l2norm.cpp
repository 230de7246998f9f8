#include "passes/fuse_l2norm.h"

#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// Fuses the pattern ending at Div node `div`, if it is one.
bool fuse_at(Rewriter& rw, ir::NodeId div) {
  const ir::Node& d = rw.node(div);
  if (d.inputs.size() != 2 || d.outputs.size() != 1) return false;
  const ir::ValueId x = d.inputs[0];
  if (x < 0) return false;
  const ir::Value& xv = rw.value(x);
  if (xv.dtype != rt::DType::kFloat32 || !xv.rank_known || xv.dims.empty() ||
      rw.value(d.outputs[0]).dims != xv.dims) {
    return false;
  }
  std::vector<ir::NodeId> erased;
  ir::ValueId den = d.inputs[1];
  ir::NodeId reader = div;
  if (const ir::NodeId e = rw.single_producer(den, "Expand", reader); e >= 0) {
    const ir::Value& ev = rw.value(den);
    if (ir::static_numel(ev) < 0 || ev.dims != xv.dims) return false;
    erased.push_back(e);
    den = rw.node(e).inputs[0];
    reader = e;
  }
  const ir::NodeId clip = rw.single_producer(den, "Clip", reader);
  if (clip < 0) return false;
  const ir::Node& c = rw.node(clip);
  // Clip from opset 11 takes its bounds as inputs; the min must be there, the max absent.
  double eps = 0.0;
  if (c.opset < 11 || c.inputs.size() < 2 || (c.inputs.size() > 2 && c.inputs[2] >= 0) ||
      !rw.scalar_value(c.inputs[1], &eps) || rw.value(c.inputs[1]).dtype != rt::DType::kFloat32 ||
      !(eps >= 0.0)) {
    return false;
  }
  erased.push_back(clip);
  const ir::NodeId norm = rw.single_producer(c.inputs[0], "ReduceL2", clip);
  if (norm < 0 || rw.node(norm).inputs.empty() || rw.node(norm).inputs[0] != x ||
      reduced_trailing_axes(rw, norm, static_cast<int64_t>(xv.dims.size())) != 1) {
    return false;
  }
  erased.push_back(norm);
  rw.replace(div, rw.node(norm).name, "L2Normalize", kParallaxDomain, kParallaxOpset, {x},
             {make_attr_float("epsilon", static_cast<float>(eps))});
  for (ir::NodeId n : erased) rw.erase(n);
  return true;
}

}  // namespace

bool fuse_l2norm(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "Div")) fuse_at(rw, n);
  }
  return rw.finish();
}

}  // namespace parallax::passes
