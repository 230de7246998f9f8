#include "compiler/ir/graph.h"

#include <utility>

namespace parallax::ir {

ValueId Graph::add_value(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                         bool rank_known, RegionId region) {
  Value v;
  v.name = std::move(name);
  v.dtype = dtype;
  v.dims = std::move(dims);
  v.rank_known = rank_known;
  v.region = region;
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::add_constant(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                            std::vector<uint8_t> data, RegionId region) {
  ValueId id = add_value(std::move(name), dtype, std::move(dims), true, region);
  values[id].is_constant = true;
  values[id].data = std::move(data);
  return id;
}

NodeId Graph::add_node(RegionId region, std::string name, std::string op_type,
                       std::string domain, int opset, std::vector<ValueId> inputs,
                       std::vector<ValueId> outputs, std::vector<rt::Attribute> attrs) {
  Node n;
  n.name = std::move(name);
  n.op_type = std::move(op_type);
  n.domain = std::move(domain);
  n.opset = opset;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = std::move(attrs);
  n.region = region;
  const NodeId id = static_cast<NodeId>(nodes.size());
  for (ValueId o : n.outputs) {
    if (o >= 0 && o < static_cast<ValueId>(values.size())) values[o].producer = id;
  }
  nodes.push_back(std::move(n));
  regions[region].nodes.push_back(id);
  return id;
}

RegionId Graph::add_region(std::string name, RegionId parent, NodeId owner) {
  Region r;
  r.name = std::move(name);
  r.parent = parent;
  r.owner = owner;
  regions.push_back(std::move(r));
  return static_cast<RegionId>(regions.size() - 1);
}

bool Graph::region_within(RegionId inner, RegionId outer) const {
  // Bounded walk: a malformed parent chain must not loop forever.
  for (size_t steps = 0; inner >= 0 && steps <= regions.size(); ++steps) {
    if (inner == outer) return true;
    if (inner >= static_cast<RegionId>(regions.size())) return false;
    inner = regions[inner].parent;
  }
  return false;
}

int64_t static_numel(const Value& v) {
  if (!v.rank_known) return -1;
  int64_t n = 1;
  for (int64_t d : v.dims) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

}  // namespace parallax::ir
