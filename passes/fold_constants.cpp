#include "passes/fold_constants.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "parallax/runtime/executor.h"
#include "passes/canonicalize_rewriter.h"
#include "passes/fold_constants_shapes.h"

namespace parallax::passes {
namespace {

bool nondeterministic(const ir::Node& n) {
  if (!n.domain.empty() && n.domain != "ai.onnx") return false;
  return n.op_type.rfind("Random", 0) == 0 || n.op_type == "Multinomial" ||
         n.op_type == "Bernoulli" || n.op_type == "Dropout";
}

bool owns_region(const ir::Node& n) {
  for (const rt::Attribute& a : n.attrs)
    if (a.kind == rt::Attribute::Kind::kGraph) return true;
  return false;
}

bool is_tensor_type(rt::DType t) { return rt::dtype_size(t) > 0; }

bool static_shape(const ir::Value& v) { return ir::static_numel(v) >= 0; }

// Shape and Size read only their input's shape, which the IR knows for main-graph values.
bool reads_shape_only(const Rewriter& rw, const ir::Node& n) {
  if ((n.op_type != "Shape" && n.op_type != "Size") || !(n.domain.empty() || n.domain == "ai.onnx"))
    return false;
  if (n.inputs.size() != 1 || n.inputs[0] < 0 || rw.is_constant(n.inputs[0])) return false;
  const ir::Value& x = rw.value(n.inputs[0]);
  return x.region == 0 && static_shape(x) && x.dims.size() <= static_cast<size_t>(rt::kMaxRank);
}

// One folded output.
struct Result {
  rt::DType dtype;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

// Results over the bound, held back from the graph while the nodes reading them fold (see
// "Chains" in the header). `uses` counts the input slots that still read the value.
struct HeldValue {
  Result r;
  int uses = 0;
};
using HeldMap = std::unordered_map<ir::ValueId, HeldValue>;

// A one-step program that runs node n: its constant and held inputs (and kTensor
// attributes) become weights; a shape-only input becomes a program input.
class OneStep {
 public:
  OneStep(const ir::Graph& g, const HeldMap& held, const ir::Node& n, size_t max_bytes)
      : g_(g), held_(held), n_(n), max_bytes_(max_bytes) {}

  // Runs the node; each output may take at most max_bytes.
  bool run(std::vector<Result>* out) {
    rt::Step& s = step_;
    s.kernel = rt::find_kernel(n_.domain, n_.op_type, n_.opset);
    if (s.kernel < 0) return false;
    s.name = n_.name;
    s.op_type = n_.op_type;
    s.domain = n_.domain;
    s.opset = n_.opset;
    p_.graphs.resize(1);
    for (ir::ValueId v : n_.inputs) s.inputs.push_back(v < 0 ? -1 : add_tensor(v));
    while (!s.inputs.empty() && s.inputs.back() < 0) s.inputs.pop_back();
    s.attributes = n_.attrs;
    for (rt::Attribute& a : s.attributes) {
      if (a.kind == rt::Attribute::Kind::kTensor) a.tensor = add_tensor(a.tensor);
    }
    for (ir::ValueId v : n_.outputs) {
      rt::TensorInfo t;
      t.name = v >= 0 ? g_.values[v].name : "unused";
      t.max_bytes = max_bytes_;
      s.outputs.push_back(static_cast<int32_t>(p_.tensors.size()));
      s.output_wanted.push_back(v >= 0);
      if (v >= 0) p_.graphs[0].outputs.push_back(static_cast<int32_t>(p_.tensors.size()));
      p_.tensors.push_back(std::move(t));
    }
    p_.graphs[0].steps.push_back(s);
    std::unique_ptr<rt::Executor> ex;
    if (!rt::Executor::create(&p_, &ex).is_ok()) return false;
    // Shape-only inputs: the kernel reads the shape, never the bytes.
    static uint8_t no_data[64];
    for (int i = 0; i < ex->input_count(); ++i) {
      const rt::TensorInfo& info = ex->input_info(i);
      rt::Tensor t;
      t.dtype = info.dtype;
      rt::Shape::from(info.shape.data(), static_cast<int>(info.shape.size()), &t.shape);
      t.data = no_data;
      if (!ex->set_input(i, t).is_ok()) return false;
    }
    if (!ex->run().is_ok()) return false;
    for (int i = 0; i < ex->output_count(); ++i) {
      const rt::Tensor& t = ex->output(i);
      Result r;
      r.dtype = t.dtype;
      r.dims.assign(t.shape.dims, t.shape.dims + t.shape.rank);
      const auto* p = static_cast<const uint8_t*>(t.data);
      r.bytes.assign(p, p + t.nbytes());
      out->push_back(std::move(r));
    }
    return true;
  }

 private:
  int32_t add_tensor(ir::ValueId v) {
    const ir::Value& val = g_.values[v];
    const auto it = held_.find(v);
    rt::TensorInfo t;
    t.name = val.name;
    t.dtype = val.dtype;
    t.shape = it != held_.end() ? it->second.r.dims : val.dims;
    t.rank_known = true;
    const auto id = static_cast<int32_t>(p_.tensors.size());
    if (val.is_constant || it != held_.end()) {
      const std::vector<uint8_t>& data = val.is_constant ? val.data : it->second.r.bytes;
      t.kind = rt::TensorKind::kConstant;
      t.weight_offset = (p_.weights.size() + 63) / 64 * 64;
      p_.weights.resize(t.weight_offset + data.size());
      if (!data.empty()) std::memcpy(p_.weights.data() + t.weight_offset, data.data(), data.size());
    } else {
      t.kind = rt::TensorKind::kInput;
      p_.graphs[0].inputs.push_back(id);
    }
    p_.tensors.push_back(std::move(t));
    return id;
  }

  const ir::Graph& g_;
  const HeldMap& held_;
  const ir::Node& n_;
  size_t max_bytes_;
  rt::Program p_;
  rt::Step step_;
};

// The checks on node n alone: what it is, not what it reads.
bool may_fold_kind(const Rewriter& rw, ir::NodeId id) {
  const ir::Node& n = rw.node(id);
  if (rw.touched(id) || n.outputs.empty() || nondeterministic(n) || owns_region(n)) return false;
  bool any_output = false;
  for (ir::ValueId v : n.outputs) {
    if (v < 0) continue;
    if (!is_tensor_type(rw.value(v).dtype)) return false;
    any_output = true;
  }
  return any_output;
}

// Bytes of n's outputs by their IR shapes; -1 when one is not static.
int64_t static_output_bytes(const Rewriter& rw, const ir::Node& n) {
  int64_t total = 0;
  for (ir::ValueId v : n.outputs) {
    if (v < 0) continue;
    const int64_t numel = ir::static_numel(rw.value(v));
    if (numel < 0) return -1;
    total += numel * static_cast<int64_t>(rt::dtype_size(rw.value(v).dtype));
  }
  return total;
}

// Whether node n may fold now: its inputs are constants or held results (or it reads only
// a static shape). *limit is the bound on its result: max(kFoldMinBytes, the bytes of the
// constants it reads); held inputs do not raise it, their bytes are not in the weights.
bool foldable(const Rewriter& rw, const HeldMap& held, ir::NodeId id, size_t* limit) {
  if (!may_fold_kind(rw, id)) return false;
  const ir::Node& n = rw.node(id);
  size_t input_bytes = 0;
  if (!reads_shape_only(rw, n)) {
    for (ir::ValueId v : n.inputs) {
      if (v < 0) continue;
      if (!is_tensor_type(rw.value(v).dtype)) return false;
      if (rw.is_constant(v)) {
        input_bytes += rw.value(v).data.size();
      } else if (!held.count(v)) {
        return false;
      }
    }
  }
  *limit = std::max(kFoldMinBytes, input_bytes);
  return true;
}

// For each node, whether folding it will leave behind only results within their bounds,
// predicted from the IR's static shapes before the sweep starts. A node over its bound
// settles when every reader of every output settles and no output is a region output; the
// prediction runs backwards over the DAG, so each node is judged once. A wrong prediction
// costs only compile time: fold_constants keeps any held-back node still needed at the end.
std::vector<bool> plan_chains(const Rewriter& rw, const ir::Graph& g) {
  const size_t nodes = g.nodes.size();
  // derived: every input is a constant or an output of a derived node, so the node folds in
  // the sweep unless its kernel refuses. small: its result will be within its bound.
  std::vector<bool> derived(nodes, false), small(nodes, false);
  std::vector<std::vector<ir::NodeId>> readers(g.values.size());
  // Producers come first in their region, and enclosing regions before the bodies they own;
  // a producer not yet seen counts as not derived.
  for (const ir::Region& r : g.regions) {
    for (ir::NodeId id : r.nodes) {
      const ir::Node& n = rw.node(id);
      for (ir::ValueId v : n.inputs)
        if (v >= 0) readers[v].push_back(id);
      if (!may_fold_kind(rw, id)) continue;
      bool ok = true;
      size_t input_bytes = 0;
      if (!reads_shape_only(rw, n)) {
        for (ir::ValueId v : n.inputs) {
          if (v < 0) continue;
          const ir::Value& val = rw.value(v);
          const ir::NodeId p = val.producer;
          if (!is_tensor_type(val.dtype) || (!val.is_constant && (p < 0 || !derived[p]))) {
            ok = false;
            break;
          }
          if (val.is_constant) input_bytes += val.data.size();
          if (p >= 0 && small[p]) input_bytes += ir::static_numel(val) * rt::dtype_size(val.dtype);
        }
      }
      derived[id] = ok;
      const int64_t bytes = static_output_bytes(rw, n);
      small[id] =
          ok && bytes >= 0 && static_cast<size_t>(bytes) <= std::max(kFoldMinBytes, input_bytes);
    }
  }
  std::vector<bool> settles(nodes, false);
  for (auto r = g.regions.rbegin(); r != g.regions.rend(); ++r) {
    for (auto it = r->nodes.rbegin(); it != r->nodes.rend(); ++it) {
      const ir::NodeId id = *it;
      if (!derived[id]) continue;
      if (small[id]) {
        settles[id] = true;
        continue;
      }
      const int64_t bytes = static_output_bytes(rw, rw.node(id));
      if (bytes < 0 || static_cast<size_t>(bytes) > kFoldMaxHeldBytes) continue;
      bool ok = true;
      for (ir::ValueId v : rw.node(id).outputs) {
        if (v < 0) continue;
        if (rw.is_region_output(v)) ok = false;
        for (ir::NodeId reader : readers[v]) ok = ok && settles[reader];
      }
      settles[id] = ok;
    }
  }
  return settles;
}

// The results held back during one sweep, and the nodes that made them.
class Held {
 public:
  const HeldMap& values() const { return values_; }
  bool has_room_for(size_t bytes) const { return live_bytes_ + bytes <= kFoldMaxLiveBytes; }

  // Holds the results of node id for its readers (outputs nobody reads keep no bytes).
  void hold(const Rewriter& rw, ir::NodeId id, std::vector<Result> results) {
    size_t k = 0;
    for (ir::ValueId v : rw.node(id).outputs) {
      if (v < 0) continue;
      HeldValue& p = values_[v];
      p.uses = rw.uses(v);
      p.r = std::move(results[k++]);
      if (p.uses == 0) std::vector<uint8_t>().swap(p.r.bytes);
      live_bytes_ += p.r.bytes.size();
    }
    nodes_.push_back(id);
  }

  // Node n has folded: one use less of each held value it reads; unread ones drop their bytes.
  void release_inputs(const ir::Node& n) {
    for (ir::ValueId v : n.inputs) {
      const auto it = values_.find(v);
      if (it == values_.end() || --it->second.uses > 0) continue;
      live_bytes_ -= it->second.r.bytes.size();
      std::vector<uint8_t>().swap(it->second.r.bytes);
    }
  }

  // End of the sweep: a held node goes when nothing left in the graph reads its results;
  // otherwise it stays as it was (and so do the held nodes it reads), since its results
  // never became constants.
  void erase_unread(Rewriter& rw) const {
    std::vector<bool> needed(rw.graph().values.size(), false);
    for (const auto& [v, p] : values_) needed[v] = p.uses > 0;
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
      const ir::Node& n = rw.node(*it);
      bool keep = false;
      for (ir::ValueId v : n.outputs) keep = keep || (v >= 0 && needed[v]);
      if (!keep) {
        rw.erase(*it);
        continue;
      }
      for (ir::ValueId v : n.inputs)
        if (values_.count(v)) needed[v] = true;
    }
  }

 private:
  HeldMap values_;
  std::vector<ir::NodeId> nodes_;  // in sweep order
  size_t live_bytes_ = 0;          // bytes of held results some reader still needs
};

// Replaces node id by constants holding its results.
void make_constants(Rewriter& rw, ir::NodeId id, std::vector<Result> results) {
  ir::Graph& g = rw.graph();
  const std::vector<ir::ValueId> outputs = g.nodes[id].outputs;
  rw.erase(id);
  size_t k = 0;
  for (ir::ValueId v : outputs) {
    if (v < 0) continue;
    ir::Value& val = g.values[v];
    val.is_constant = true;
    val.producer = -1;
    val.rank_known = true;
    val.dims = std::move(results[k].dims);
    val.dim_params.clear();
    val.data = std::move(results[k].bytes);
    ++k;
  }
}

}  // namespace

bool fold_constants(ir::Graph& g) {
  Rewriter rw(g);
  const std::vector<bool> settles = plan_chains(rw, g);
  Held held;
  // Region order, so a chain folds in one sweep: each folded output is a constant (or a held
  // result) by the time its readers come up.
  for (const ir::Region& r : g.regions) {
    const std::vector<ir::NodeId> order = r.nodes;
    for (ir::NodeId id : order) {
      // Inputs folded earlier in this sweep may pin down shapes the importer left open.
      if (!rw.touched(id) && refine_shapes(g, id)) rw.note_change();
      size_t limit = 0;
      if (!foldable(rw, held.values(), id, &limit)) continue;
      const size_t max_bytes = settles[id] ? std::max(limit, kFoldMaxHeldBytes) : limit;
      std::vector<Result> results;
      if (!OneStep(g, held.values(), g.nodes[id], max_bytes).run(&results)) continue;
      bool types_agree = true;
      size_t total = 0, k = 0;
      for (ir::ValueId v : g.nodes[id].outputs) {
        if (v < 0) continue;
        types_agree = types_agree && results[k].dtype == g.values[v].dtype;
        total += results[k++].bytes.size();
      }
      if (!types_agree || total > max_bytes) continue;
      if (total > limit) {
        // Only a settling node gets here; its readers fold later in this sweep.
        if (!held.has_room_for(total)) continue;
        held.release_inputs(g.nodes[id]);
        held.hold(rw, id, std::move(results));
        continue;
      }
      held.release_inputs(g.nodes[id]);
      make_constants(rw, id, std::move(results));
    }
  }
  held.erase_unread(rw);
  return rw.finish();
}

}  // namespace parallax::passes
