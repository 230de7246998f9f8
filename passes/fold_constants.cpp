#include "passes/fold_constants.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
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

// A one-step program that runs node n: its constant inputs (and kTensor attributes) become
// weights; a shape-only input becomes a program input.
class OneStep {
 public:
  OneStep(const ir::Graph& g, const ir::Node& n, size_t limit) : g_(g), n_(n), limit_(limit) {}

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
      t.max_bytes = limit_;
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
    size_t total = 0;
    for (int i = 0; i < ex->output_count(); ++i) {
      const rt::Tensor& t = ex->output(i);
      Result r;
      r.dtype = t.dtype;
      r.dims.assign(t.shape.dims, t.shape.dims + t.shape.rank);
      const auto* p = static_cast<const uint8_t*>(t.data);
      r.bytes.assign(p, p + t.nbytes());
      total += r.bytes.size();
      out->push_back(std::move(r));
    }
    return total <= limit_;
  }

 private:
  int32_t add_tensor(ir::ValueId v) {
    const ir::Value& val = g_.values[v];
    rt::TensorInfo t;
    t.name = val.name;
    t.dtype = val.dtype;
    t.shape = val.dims;
    t.rank_known = true;
    const auto id = static_cast<int32_t>(p_.tensors.size());
    if (val.is_constant) {
      t.kind = rt::TensorKind::kConstant;
      t.weight_offset = (p_.weights.size() + 63) / 64 * 64;
      p_.weights.resize(t.weight_offset + val.data.size());
      if (!val.data.empty())
        std::memcpy(p_.weights.data() + t.weight_offset, val.data.data(), val.data.size());
    } else {
      t.kind = rt::TensorKind::kInput;
      p_.graphs[0].inputs.push_back(id);
    }
    p_.tensors.push_back(std::move(t));
    return id;
  }

  const ir::Graph& g_;
  const ir::Node& n_;
  size_t limit_;
  rt::Program p_;
  rt::Step step_;
};

// Whether node n may fold; *limit is the bound on its result.
bool foldable(const Rewriter& rw, ir::NodeId id, size_t* limit) {
  const ir::Node& n = rw.node(id);
  if (rw.touched(id) || n.outputs.empty() || nondeterministic(n) || owns_region(n)) return false;
  bool any_output = false;
  for (ir::ValueId v : n.outputs) {
    if (v < 0) continue;
    if (!is_tensor_type(rw.value(v).dtype)) return false;
    any_output = true;
  }
  if (!any_output) return false;
  size_t input_bytes = 0;
  if (!reads_shape_only(rw, n)) {
    for (ir::ValueId v : n.inputs) {
      if (v < 0) continue;
      if (!rw.is_constant(v) || !is_tensor_type(rw.value(v).dtype)) return false;
      input_bytes += rw.value(v).data.size();
    }
  }
  *limit = std::max(kFoldMinBytes, input_bytes);
  return true;
}

}  // namespace

bool fold_constants(ir::Graph& g) {
  Rewriter rw(g);
  // Region order, so a chain folds in one sweep: each folded output is a constant by the time
  // its readers come up.
  for (const ir::Region& r : g.regions) {
    const std::vector<ir::NodeId> order = r.nodes;
    for (ir::NodeId id : order) {
      // Inputs folded earlier in this sweep may pin down shapes the importer left open.
      if (!rw.touched(id) && refine_shapes(g, id)) rw.note_change();
      size_t limit = 0;
      if (!foldable(rw, id, &limit)) continue;
      std::vector<Result> results;
      if (!OneStep(g, g.nodes[id], limit).run(&results)) continue;
      const std::vector<ir::ValueId> outputs = g.nodes[id].outputs;
      bool types_agree = true;
      size_t k = 0;
      for (ir::ValueId v : outputs) {
        if (v >= 0) types_agree = types_agree && results[k++].dtype == g.values[v].dtype;
      }
      if (!types_agree) continue;
      rw.erase(id);
      k = 0;
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
  }
  return rw.finish();
}

}  // namespace parallax::passes
