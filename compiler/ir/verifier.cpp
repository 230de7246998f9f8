#include "compiler/ir/verifier.h"

#include <string>
#include <vector>

namespace parallax::ir {
namespace {

class Verifier {
 public:
  explicit Verifier(const Graph& g) : g_(g), defined_(g.values.size(), false) {}
  rt::Status run();

 private:
  rt::Status check_tables();
  rt::Status visit(RegionId r);
  rt::Status check_node(NodeId id);
  std::string node(NodeId id) const {
    const Node& n = g_.nodes[id];
    return "node '" + n.name + "' (" + (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")";
  }
  std::string value(ValueId id) const { return "value '" + g_.values[id].name + "' (%" + std::to_string(id) + ")"; }
  bool value_ok(ValueId id) const { return id >= 0 && id < static_cast<ValueId>(g_.values.size()); }

  const Graph& g_;
  std::vector<bool> defined_;  // visible at the current point of the walk
};

rt::Status Verifier::check_tables() {
  const auto n_regions = static_cast<RegionId>(g_.regions.size());
  if (n_regions == 0) return rt::Status::invalid("the graph has no main region");
  std::vector<int> listed(g_.nodes.size(), 0);
  for (RegionId r = 0; r < n_regions; ++r) {
    const Region& reg = g_.regions[r];
    if (r == 0 ? reg.parent != -1 : (reg.parent < 0 || reg.parent >= r)) {
      return rt::Status::invalid("region '" + reg.name + "' has an invalid parent " + std::to_string(reg.parent));
    }
    for (NodeId n : reg.nodes) {
      if (n < 0 || n >= static_cast<NodeId>(g_.nodes.size())) {
        return rt::Status::invalid("region '" + reg.name + "' lists node id " + std::to_string(n) + ", out of range");
      }
      if (g_.nodes[n].region != r) return rt::Status::invalid(node(n) + " is listed in region '" + reg.name + "' but belongs to another");
      ++listed[n];
    }
    for (ValueId v : reg.inputs) {
      if (!value_ok(v)) return rt::Status::invalid("region '" + reg.name + "' has an input id out of range");
      if (g_.values[v].producer >= 0 || g_.values[v].is_constant) {
        return rt::Status::invalid(value(v) + " is a region input and also defined otherwise");
      }
    }
    for (ValueId v : reg.outputs) {
      if (!value_ok(v)) return rt::Status::invalid("region '" + reg.name + "' has an output id out of range");
    }
  }
  std::vector<NodeId> producer(g_.values.size(), -1);
  for (NodeId n = 0; n < static_cast<NodeId>(g_.nodes.size()); ++n) {
    if (listed[n] != 1) return rt::Status::invalid(node(n) + " is listed in " + std::to_string(listed[n]) + " regions");
    for (ValueId v : g_.nodes[n].inputs) {
      if (v != -1 && !value_ok(v)) return rt::Status::invalid(node(n) + ": input id " + std::to_string(v) + " is out of range");
    }
    for (ValueId v : g_.nodes[n].outputs) {
      if (v == -1) continue;
      if (!value_ok(v)) return rt::Status::invalid(node(n) + ": output id " + std::to_string(v) + " is out of range");
      if (producer[v] >= 0) return rt::Status::invalid(value(v) + " is produced by both " + node(producer[v]) + " and " + node(n));
      if (g_.values[v].is_constant) return rt::Status::invalid(node(n) + " produces constant " + value(v));
      producer[v] = n;
    }
  }
  for (ValueId v = 0; v < static_cast<ValueId>(g_.values.size()); ++v) {
    if (g_.values[v].producer != producer[v]) {
      return rt::Status::invalid(value(v) + " records producer " + std::to_string(g_.values[v].producer) +
                                 ", but its producer is " + std::to_string(producer[v]));
    }
    if (g_.values[v].is_constant) defined_[v] = true;
  }
  return rt::Status::ok();
}

rt::Status Verifier::check_node(NodeId id) {
  const Node& n = g_.nodes[id];
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const ValueId v = n.inputs[k];
    if (v >= 0 && !defined_[v]) {
      return rt::Status::invalid(node(id) + ": input " + std::to_string(k) + " " + value(v) +
                                 " is used before it is defined (or is not visible in this region)");
    }
  }
  for (const rt::Attribute& a : n.attrs) {
    if (a.kind == rt::Attribute::Kind::kTensor && (!value_ok(a.tensor) || !g_.values[a.tensor].is_constant)) {
      return rt::Status::invalid(node(id) + ": tensor attribute '" + a.name + "' does not name a constant");
    }
    if (a.kind != rt::Attribute::Kind::kGraph) continue;
    if (a.graph <= 0 || a.graph >= static_cast<RegionId>(g_.regions.size()) ||
        g_.regions[a.graph].owner != id || g_.regions[a.graph].parent != n.region) {
      return rt::Status::invalid(node(id) + ": graph attribute '" + a.name + "' does not name a region it owns");
    }
    PARALLAX_RETURN_IF_ERROR(visit(a.graph));
  }
  return rt::Status::ok();
}

rt::Status Verifier::visit(RegionId r) {
  const Region& reg = g_.regions[r];
  // Values this region defines become invisible again when the walk leaves it.
  std::vector<ValueId> added;
  for (ValueId v : reg.inputs) {
    defined_[v] = true;
    added.push_back(v);
  }
  for (NodeId id : reg.nodes) {
    PARALLAX_RETURN_IF_ERROR(check_node(id));
    for (ValueId v : g_.nodes[id].outputs) {
      if (v < 0) continue;
      defined_[v] = true;
      added.push_back(v);
    }
  }
  for (ValueId v : reg.outputs) {
    if (!defined_[v]) return rt::Status::invalid("region '" + reg.name + "': output " + value(v) + " is not defined");
  }
  for (ValueId v : added) defined_[v] = false;
  return rt::Status::ok();
}

rt::Status Verifier::run() {
  PARALLAX_RETURN_IF_ERROR(check_tables());
  // Each non-main region must be reached exactly through its owner's attribute.
  for (RegionId r = 1; r < static_cast<RegionId>(g_.regions.size()); ++r) {
    const NodeId owner = g_.regions[r].owner;
    if (owner < 0 || owner >= static_cast<NodeId>(g_.nodes.size())) {
      return rt::Status::invalid("region '" + g_.regions[r].name + "' has no owning node");
    }
  }
  return visit(0);
}

}  // namespace

rt::Status verify(const Graph& g) { return Verifier(g).run(); }

}  // namespace parallax::ir
