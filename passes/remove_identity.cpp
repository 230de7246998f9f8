#include "passes/remove_identity.h"

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// Dropout is the identity unless training_mode (opset 12+ input 2) may be true.
bool dropout_is_identity(const Rewriter& rw, const ir::Node& n) {
  if (n.opset < 12 || n.inputs.size() < 3 || n.inputs[2] < 0) return true;
  double training = 1.0;
  return rw.scalar_value(n.inputs[2], &training) && training == 0.0;
}

// Pad by zero on every side (pads an attribute before opset 11, a constant input from 11 on):
// the output is the input, whatever the mode.
bool pads_nothing(const Rewriter& rw, const ir::Node& n) {
  if (n.opset < 11) return all_equal(attr_ints(n, "pads", {1}), 0);
  std::vector<double> pads;
  if (n.inputs.size() < 2 || !rw.constant_values(n.inputs[1], &pads)) return false;
  for (double p : pads)
    if (p != 0.0) return false;
  return true;
}

bool is_identity(const Rewriter& rw, ir::NodeId id) {
  const ir::Node& n = rw.node(id);
  if (rw.is(id, "Identity")) return true;
  // A Concat of one tensor (DenseNet's first layer of a block: torch.cat of a one-item list).
  if (rw.is(id, "Concat")) return n.inputs.size() == 1;
  if (rw.is(id, "Pad")) return pads_nothing(rw, n);
  if (!rw.is(id, "Dropout") || !dropout_is_identity(rw, n)) return false;
  // The mask must be unread: nothing computes it once the node is gone.
  return n.outputs.size() < 2 || n.outputs[1] < 0 || rw.uses(n.outputs[1]) == 0;
}

}  // namespace

bool remove_identity(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId id = 0; id < rw.node_count(); ++id) {
    if (!is_identity(rw, id)) continue;
    const ir::Node& n = rw.node(id);
    if (n.inputs.empty() || n.outputs.empty() || n.inputs[0] < 0 || n.outputs[0] < 0) continue;
    const ir::ValueId x = n.inputs[0];
    const ir::ValueId y = n.outputs[0];
    if (rw.value(x).dtype == rt::DType::kUndefined) continue;
    if (!rw.is_region_output(y)) {
      rw.replace_uses(y, x);
      rw.erase(id);
      // x's count grew by y's uses; nodes reading y now read x, so keep them out of later
      // matches in this sweep (the next round sees fresh counts).
      if (rw.value(x).producer >= 0) rw.touch(rw.value(x).producer);
      continue;
    }
    // y is returned by a region: let x's producer write y directly, if x is private to us.
    const ir::NodeId p = rw.value(x).producer;
    if (p < 0 || rw.touched(p) || rw.only_user(x) != id || rw.node(p).region != n.region) continue;
    ir::Graph& gm = rw.graph();
    for (ir::ValueId& o : gm.nodes[p].outputs) {
      if (o == x) o = y;
    }
    rw.erase(id);               // clears y's producer (it was the Identity) ...
    gm.values[y].producer = p;  // ... which is now p
    gm.values[x].producer = -1;
    rw.touch(p);
  }
  return rw.finish();
}

}  // namespace parallax::passes
