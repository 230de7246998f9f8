#include "passes/concat_in_place.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// Rewrites the Concat `cat` if it matches (see the header). pos: each node's index in its region.
bool rewrite_at(Rewriter& rw, ir::NodeId cat, const std::vector<int32_t>& pos) {
  const ir::Node& c = rw.node(cat);
  if (c.outputs.size() != 1 || c.inputs.size() < 2 || c.outputs[0] < 0 ||
      !static_f32_4d(rw.value(c.outputs[0])) || find_attr(c, "axis") == nullptr) {
    return false;
  }
  const int64_t axis = attr_int(c, "axis", 0);
  if (axis != 3 && axis != -1) return false;
  const ir::ValueId y = c.outputs[0];
  struct Part {
    ir::NodeId conv;
    int64_t offset;  // the first of its channels in the Concat's output
  };
  std::vector<Part> parts;
  int64_t offset = 0;
  for (ir::ValueId t : c.inputs) {
    if (t < 0 || rw.is_region_output(t) || !static_f32_4d(rw.value(t))) return false;
    const ir::NodeId conv = rw.single_producer(t, "ConvNhwc", cat, kParallaxDomain);
    if (conv < 0) return false;
    const ir::Node& cv = rw.node(conv);
    if (cv.outputs.size() != 1 || cv.inputs.size() > 3 || find_attr(cv, "output_channels"))
      return false;
    parts.push_back({conv, offset});
    offset += rw.value(t).dims[3];
  }
  if (offset != rw.value(y).dims[3]) return false;
  std::sort(parts.begin(), parts.end(),
            [&](const Part& a, const Part& b) { return pos[a.conv] < pos[b.conv]; });
  rw.erase(cat);
  ir::ValueId previous = -1;
  for (size_t j = 0; j < parts.size(); ++j) {
    previous =
        write_channels_into(rw, parts[j].conv, previous, y, parts[j].offset, j + 1 == parts.size());
  }
  return true;
}

}  // namespace

ir::ValueId write_channels_into(Rewriter& rw, ir::NodeId conv, ir::ValueId into, ir::ValueId result,
                                int64_t offset, bool last) {
  ir::Graph& g = rw.graph();
  const ir::Node& cv = rw.node(conv);
  const ir::ValueId own = cv.outputs[0];
  std::vector<ir::ValueId> inputs = cv.inputs;
  if (into >= 0) {
    inputs.resize(4, -1);
    inputs[3] = into;
  }
  std::vector<rt::Attribute> attrs = cv.attrs;
  attrs.push_back(make_attr_int("output_channels", g.values[result].dims[3]));
  attrs.push_back(make_attr_int("output_channel_offset", offset));
  const std::string name = cv.name;
  rw.replace(conv, name, "ConvNhwc", kParallaxDomain, kParallaxOpset, std::move(inputs),
             std::move(attrs));
  if (!last) {  // a partly written concatenation: the convolution's own value, widened
    g.values[own].dims = g.values[result].dims;
    g.values[own].dim_params = g.values[result].dim_params;
    return own;
  }
  g.values[own].producer = -1;
  g.nodes[conv].outputs[0] = result;
  g.values[result].producer = conv;
  return result;
}

bool concat_in_place(ir::Graph& g) {
  std::vector<int32_t> pos(g.nodes.size(), -1);
  for (const ir::Region& r : g.regions)
    for (size_t i = 0; i < r.nodes.size(); ++i) pos[r.nodes[i]] = static_cast<int32_t>(i);
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "Concat")) rewrite_at(rw, n, pos);
  }
  return rw.finish();
}

}  // namespace parallax::passes
