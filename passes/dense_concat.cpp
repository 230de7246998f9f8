#include "passes/dense_concat.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "passes/canonicalize_rewriter.h"
#include "passes/concat_in_place.h"

namespace parallax::passes {
namespace {

struct Reader {
  ir::NodeId node;
  size_t slot;
};

// A Concat along the last axis of a static NHWC float32 tensor, of two or more inputs.
bool channel_concat(const Rewriter& rw, ir::NodeId n) {
  if (!rw.is(n, "Concat")) return false;
  const ir::Node& c = rw.node(n);
  if (c.outputs.size() != 1 || c.outputs[0] < 0 || c.inputs.size() < 2 ||
      !static_f32_4d(rw.value(c.outputs[0])) || find_attr(c, "axis") == nullptr) {
    return false;
  }
  const int64_t axis = attr_int(c, "axis", 0);
  if (axis != 3 && axis != -1) return false;
  for (ir::ValueId v : c.inputs)
    if (v < 0 || !static_f32_4d(rw.value(v))) return false;
  return true;
}

bool is_plain_conv(const Rewriter& rw, ir::NodeId n) {
  if (!rw.is(n, "ConvNhwc", kParallaxDomain)) return false;
  const ir::Node& cv = rw.node(n);
  return cv.outputs.size() == 1 && cv.inputs.size() <= 3 && !find_attr(cv, "output_channels") &&
         !find_attr(cv, "input_channels") && attr_int(cv, "nchw_input", 0) == 0;
}

// Rewrites one group of Concats sharing their first input, if it matches (see the header).
bool rewrite_group(Rewriter& rw, std::vector<ir::NodeId> group, const std::vector<int32_t>& pos,
                   const std::map<ir::ValueId, std::vector<Reader>>& readers) {
  std::sort(group.begin(), group.end(), [&](ir::NodeId a, ir::NodeId b) {
    return rw.node(a).inputs.size() < rw.node(b).inputs.size();
  });
  const ir::NodeId last = group.back();
  const std::vector<ir::ValueId> all = rw.node(last).inputs;
  const size_t layers = all.size() - 1;
  for (size_t k = 0; k + 1 < group.size(); ++k) {
    const ir::Node& c = rw.node(group[k]);
    if (c.inputs.size() == rw.node(group[k + 1]).inputs.size() ||
        !std::equal(c.inputs.begin(), c.inputs.end(), all.begin()) ||
        rw.is_region_output(c.outputs[0])) {
      return false;
    }
    // Each reader takes the Concat as X and can read a prefix of a wider tensor.
    const auto it = readers.find(c.outputs[0]);
    if (it == readers.end()) return false;
    for (const Reader& r : it->second)
      if (r.slot != 0 || !is_plain_conv(rw, r.node)) return false;
  }
  // The layers' outputs: distinct, each from its own ConvNhwc, read by the group alone.
  std::vector<ir::NodeId> convs(layers + 1, -1);
  for (size_t i = 1; i <= layers; ++i) {
    const ir::ValueId f = all[i];
    if (std::count(all.begin(), all.end(), f) != 1 || rw.is_region_output(f)) return false;
    const ir::NodeId p = rw.value(f).producer;
    if (p < 0 || !is_plain_conv(rw, p) || rw.node(p).region != rw.node(last).region) return false;
    if (i > 1 && pos[p] <= pos[convs[i - 1]]) return false;
    int reads = 0;
    for (ir::NodeId c : group) reads += rw.node(c).inputs.size() > i ? 1 : 0;
    if (rw.uses(f) != reads) return false;
    convs[i] = p;
  }
  const ir::ValueId x0 = all[0];
  // F_0 is made right before the first layer's convolution, so x0 must exist there.
  const ir::NodeId x0_producer = rw.value(x0).producer;
  if (x0_producer >= 0 && pos[x0_producer] >= pos[convs[1]]) return false;
  const ir::ValueId y = rw.node(last).outputs[0];
  const std::vector<int64_t> dims = rw.value(y).dims;
  const int64_t channels = dims[3];
  const int opset = rw.node(last).opset;
  if (opset < 11) return false;  // Pad takes its pads as an input from opset 11 on
  std::vector<int64_t> first(layers + 2, rw.value(x0).dims[3]);  // channels before f_i
  for (size_t i = 1; i <= layers; ++i) first[i + 1] = first[i] + rw.value(all[i]).dims[3];

  ir::Graph& g = rw.graph();
  const ir::RegionId region = rw.node(last).region;
  const std::string base = rw.node(last).name;
  // F_0: x0 widened to the block's channels (the rest zero until the layers write them).
  const ir::ValueId pads =
      rw.add_constant(base + "/pads", rt::DType::kInt64, {8},
                      {0, 0, 0, 0, 0, 0, 0, static_cast<double>(channels - first[1])}, region);
  const ir::ValueId f0 = rw.add_value(base + "/block", rt::DType::kFloat32, dims, region);
  rw.insert_before(convs[1], base + "/block", "Pad", "", opset, {x0, pads}, {f0},
                   {make_attr_string("mode", "constant")});
  // The Concats but the last: their readers read the first channels of the F that holds them.
  std::vector<ir::ValueId> held(layers + 1, f0);  // held[i] = F_i
  for (size_t i = 1; i < layers; ++i) held[i] = all[i];
  for (size_t k = 0; k + 1 < group.size(); ++k) {
    const ir::Node& c = rw.node(group[k]);
    const size_t m = c.inputs.size();  // x0 and f_1 .. f_{m-1}
    const ir::ValueId v = c.outputs[0];
    for (const Reader& r : readers.at(v)) {
      g.nodes[r.node].attrs.push_back(make_attr_int("input_channels", first[m]));
      rw.touch(r.node);
    }
    rw.replace_uses(v, held[m - 1]);
    rw.erase(group[k]);
  }
  rw.erase(last);
  // The layers' convolutions: a chain of in-place links, the last producing y.
  for (size_t i = 1; i <= layers; ++i)
    write_channels_into(rw, convs[i], held[i - 1], y, first[i], i == layers);
  return true;
}

}  // namespace

bool dense_concat(ir::Graph& g) {
  std::vector<int32_t> pos(g.nodes.size(), -1);
  for (const ir::Region& r : g.regions)
    for (size_t i = 0; i < r.nodes.size(); ++i) pos[r.nodes[i]] = static_cast<int32_t>(i);
  std::map<ir::ValueId, std::vector<Reader>> readers;
  for (const ir::Region& r : g.regions)
    for (ir::NodeId n : r.nodes)
      for (size_t s = 0; s < g.nodes[n].inputs.size(); ++s)
        if (g.nodes[n].inputs[s] >= 0) readers[g.nodes[n].inputs[s]].push_back({n, s});
  Rewriter rw(g);
  std::map<std::pair<ir::RegionId, ir::ValueId>, std::vector<ir::NodeId>> groups;
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (channel_concat(rw, n)) groups[{rw.node(n).region, rw.node(n).inputs[0]}].push_back(n);
  }
  for (auto& [key, group] : groups) {
    if (group.size() >= 2) rewrite_group(rw, group, pos, readers);
  }
  return rw.finish();
}

}  // namespace parallax::passes
