#include "passes/fold_constants_shapes.h"

#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>

#include "compiler/import/tensor_io.h"

namespace parallax::passes {
namespace {

// Constant inputs larger than this are not handed to inference: shape-determining inputs
// (shapes, axes, pads, bounds) are small, and encoding weights would only cost time.
constexpr size_t kMaxInputDataBytes = 64 * 1024;

bool fully_static(const ir::Value& v) { return ir::static_numel(v) >= 0; }

void set_type(const ir::Value& v, onnx::TypeProto* t) {
  auto* tt = t->mutable_tensor_type();
  tt->set_elem_type(static_cast<int>(v.dtype));
  if (!v.rank_known) return;
  auto* shape = tt->mutable_shape();
  for (int64_t d : v.dims) {
    auto* dim = shape->add_dim();
    if (d >= 0) dim->set_dim_value(d);
  }
}

bool to_proto(const rt::Attribute& a, const ir::Graph& g, onnx::AttributeProto* p) {
  using K = rt::Attribute::Kind;
  p->set_name(a.name);
  switch (a.kind) {
    case K::kFloat: p->set_type(onnx::AttributeProto::FLOAT); p->set_f(a.f); return true;
    case K::kInt: p->set_type(onnx::AttributeProto::INT); p->set_i(a.i); return true;
    case K::kString: p->set_type(onnx::AttributeProto::STRING); p->set_s(a.s); return true;
    case K::kFloats:
      p->set_type(onnx::AttributeProto::FLOATS);
      for (float f : a.floats) p->add_floats(f);
      return true;
    case K::kInts:
      p->set_type(onnx::AttributeProto::INTS);
      for (int64_t i : a.ints) p->add_ints(i);
      return true;
    case K::kStrings:
      p->set_type(onnx::AttributeProto::STRINGS);
      for (const std::string& s : a.strings) p->add_strings(s);
      return true;
    case K::kTensor: {
      const ir::Value& v = g.values[a.tensor];
      import::HostTensor h;
      h.dtype = v.dtype;
      h.dims = v.dims;
      h.bytes.assign(v.data.begin(), v.data.end());
      p->set_type(onnx::AttributeProto::TENSOR);
      import::tensor_to_proto(h, p->mutable_t());
      return true;
    }
    case K::kGraph: return false;
  }
  return false;
}

// What ONNX's inference functions may ask about one IR node.
class NodeContext final : public onnx::InferenceContext {
 public:
  NodeContext(const ir::Graph& g, const ir::Node& n) : g_(g), n_(n) {
    inputs_.resize(n.inputs.size());
    data_.resize(n.inputs.size());
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] >= 0) set_type(g.values[n.inputs[i]], &inputs_[i]);
    }
    outputs_.resize(n.outputs.size());
  }
  bool init_attrs() {
    for (const rt::Attribute& a : n_.attrs) {
      if (!to_proto(a, g_, &attrs_[a.name])) return false;
    }
    return true;
  }

  const onnx::AttributeProto* getAttribute(const std::string& name) const override {
    auto it = attrs_.find(name);
    return it == attrs_.end() ? nullptr : &it->second;
  }
  size_t getNumInputs() const override { return inputs_.size(); }
  const onnx::TypeProto* getInputType(size_t i) const override {
    return i < inputs_.size() && n_.inputs[i] >= 0 ? &inputs_[i] : nullptr;
  }
  const onnx::TensorProto* getInputData(size_t i) const override {
    if (i >= n_.inputs.size() || n_.inputs[i] < 0) return nullptr;
    const ir::Value& v = g_.values[n_.inputs[i]];
    if (!v.is_constant || v.data.size() > kMaxInputDataBytes) return nullptr;
    if (!data_[i]) {
      import::HostTensor h;
      h.dtype = v.dtype;
      h.dims = v.dims;
      h.bytes.assign(v.data.begin(), v.data.end());
      data_[i] = std::make_unique<onnx::TensorProto>();
      import::tensor_to_proto(h, data_[i].get());
    }
    return data_[i].get();
  }
  size_t getNumOutputs() const override { return outputs_.size(); }
  onnx::TypeProto* getOutputType(size_t i) override { return &outputs_[i]; }
  onnx::GraphInferencer* getGraphAttributeInferencer(const std::string&) override { return nullptr; }
  const onnx::SparseTensorProto* getInputSparseData(size_t) const override { return nullptr; }
  const onnx::TensorShapeProto* getSymbolicInput(size_t) const override { return nullptr; }

  const onnx::TypeProto& output(size_t i) const { return outputs_[i]; }

 private:
  const ir::Graph& g_;
  const ir::Node& n_;
  std::map<std::string, onnx::AttributeProto> attrs_;
  std::vector<onnx::TypeProto> inputs_;
  mutable std::vector<std::unique_ptr<onnx::TensorProto>> data_;
  std::vector<onnx::TypeProto> outputs_;
};

// Merges an inferred type into v; true when v gained something.
bool merge(const onnx::TypeProto& t, ir::Value* v) {
  if (!t.has_tensor_type() || !t.tensor_type().has_shape()) return false;
  if (t.tensor_type().elem_type() != static_cast<int>(v->dtype)) return false;
  const auto& shape = t.tensor_type().shape();
  std::vector<int64_t> dims;
  for (const auto& d : shape.dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  if (v->rank_known && dims.size() != v->dims.size()) return false;
  bool gained = !v->rank_known;
  for (size_t i = 0; v->rank_known && i < dims.size(); ++i) {
    if (v->dims[i] >= 0 && dims[i] >= 0 && v->dims[i] != dims[i]) return false;  // disagreement
    if (dims[i] < 0) dims[i] = v->dims[i];
    gained = gained || (v->dims[i] < 0 && dims[i] >= 0);
  }
  if (!gained) return false;
  if (!v->dim_params.empty() && v->dim_params.size() == dims.size()) {
    for (size_t i = 0; i < dims.size(); ++i)
      if (dims[i] >= 0) v->dim_params[i].clear();
  } else {
    v->dim_params.clear();
  }
  v->dims = std::move(dims);
  v->rank_known = true;
  return true;
}

}  // namespace

bool refine_shapes(ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.nodes[id];
  if (n.region != 0) return false;
  bool needed = false;
  for (ir::ValueId v : n.outputs) {
    if (v < 0) continue;
    if (rt::dtype_size(g.values[v].dtype) == 0) return false;  // not a plain tensor
    needed = needed || !fully_static(g.values[v]);
  }
  if (!needed) return false;
  for (ir::ValueId v : n.inputs) {
    if (v >= 0 && rt::dtype_size(g.values[v].dtype) == 0) return false;
  }
  const std::string domain = n.domain == "ai.onnx" ? "" : n.domain;
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(n.op_type, n.opset, domain);
  if (schema == nullptr || !schema->has_type_and_shape_inference_function()) return false;
  NodeContext ctx(g, n);
  if (!ctx.init_attrs()) return false;
  try {
    schema->GetTypeAndShapeInferenceFunction()(ctx);
  } catch (const std::exception&) {
    return false;  // ONNX's inference rejects the node; leave it as the importer saw it
  }
  bool gained = false;
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    if (n.outputs[k] >= 0) gained = merge(ctx.output(k), &g.values[n.outputs[k]]) || gained;
  }
  return gained;
}

}  // namespace parallax::passes
