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
    ir::ValueId value;
    int64_t offset;
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
    parts.push_back({conv, t, offset});
    offset += rw.value(t).dims[3];
  }
  const ir::Value& yv = rw.value(y);
  if (offset != yv.dims[3]) return false;
  const std::vector<int64_t> dims = yv.dims;
  const std::vector<std::string> dim_params = yv.dim_params;
  std::sort(parts.begin(), parts.end(),
            [&](const Part& a, const Part& b) { return pos[a.conv] < pos[b.conv]; });
  rw.erase(cat);
  ir::Graph& g = rw.graph();
  ir::ValueId previous = -1;
  for (size_t j = 0; j < parts.size(); ++j) {
    const ir::Node& cv = rw.node(parts[j].conv);
    std::vector<ir::ValueId> inputs = cv.inputs;
    if (previous >= 0) {
      inputs.resize(4, -1);
      inputs[3] = previous;
    }
    std::vector<rt::Attribute> attrs = cv.attrs;
    attrs.push_back(make_attr_int("output_channels", offset));
    attrs.push_back(make_attr_int("output_channel_offset", parts[j].offset));
    const std::string name = cv.name;
    rw.replace(parts[j].conv, name, "ConvNhwc", kParallaxDomain, kParallaxOpset, std::move(inputs),
               std::move(attrs));
    if (j + 1 < parts.size()) {  // the partly written concatenation, a link of the chain
      g.values[parts[j].value].dims = dims;
      g.values[parts[j].value].dim_params = dim_params;
      previous = parts[j].value;
    } else {  // the last link writes the Concat's output
      g.values[parts[j].value].producer = -1;
      g.nodes[parts[j].conv].outputs[0] = y;
      g.values[y].producer = parts[j].conv;
    }
  }
  return true;
}

}  // namespace

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
