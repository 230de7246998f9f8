#include "compiler/import/graph_builder.h"

#include <cstring>
#include <unordered_map>

#include "compiler/import/model_loader.h"
#include "compiler/import/tensor_io.h"

namespace parallax::import {
namespace {

using TypeTable = std::unordered_map<std::string, const onnx::TypeProto*>;

// Name -> value, for one region; lookups fall back to the enclosing region's scope.
struct Scope {
  const Scope* parent = nullptr;
  std::unordered_map<std::string, ir::ValueId> names;

  ir::ValueId find(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      auto it = s->names.find(name);
      if (it != s->names.end()) return it->second;
    }
    return -1;
  }
};

class Builder {
 public:
  explicit Builder(ir::Graph* g) : g_(g) {}
  rt::Status build_region(onnx::GraphProto& gp, ir::RegionId region, Scope* scope);

 private:
  ir::ValueId new_value(const std::string& name, const TypeTable& types, ir::RegionId region);
  rt::Status constant_from_tensor(onnx::TensorProto& t, const std::string& name,
                                  ir::RegionId region, ir::ValueId* out);
  rt::Status fold_constant_node(onnx::NodeProto& n, ir::RegionId region, Scope* scope,
                                bool* folded);
  rt::Status convert_attr(onnx::AttributeProto& a, const onnx::NodeProto& n, ir::NodeId node,
                          Scope* scope, std::vector<rt::Attribute>* attrs);
  int opset_of(const std::string& domain) const {
    auto it = g_->opsets.find(domain == "ai.onnx" ? "" : domain);
    return it == g_->opsets.end() ? 0 : it->second;
  }

  ir::Graph* g_;
};

void set_type(const onnx::TypeProto& t, ir::Value* v) {
  if (!t.has_tensor_type()) return;  // sequences, maps, optionals: dtype stays undefined
  const auto& tt = t.tensor_type();
  if (rt::dtype_is_valid(tt.elem_type())) v->dtype = static_cast<rt::DType>(tt.elem_type());
  if (!tt.has_shape()) return;
  v->rank_known = true;
  v->dims.clear();
  v->dim_params.clear();
  bool any_param = false;
  for (const auto& d : tt.shape().dim()) {
    v->dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    v->dim_params.push_back(d.has_dim_param() ? d.dim_param() : "");
    any_param = any_param || d.has_dim_param();
  }
  if (!any_param) v->dim_params.clear();
}

ir::ValueId Builder::new_value(const std::string& name, const TypeTable& types, ir::RegionId region) {
  ir::ValueId id = g_->add_value(name, rt::DType::kUndefined, {}, false, region);
  auto it = types.find(name);
  if (it != types.end()) set_type(*it->second, &g_->values[id]);
  return id;
}

// Frees the tensor's bytes (swap, since clear keeps the capacity); keeps its name and type.
void release_tensor_data(onnx::TensorProto* t) {
  std::string().swap(*t->mutable_raw_data());
  google::protobuf::RepeatedField<float>().Swap(t->mutable_float_data());
  google::protobuf::RepeatedField<double>().Swap(t->mutable_double_data());
  google::protobuf::RepeatedField<int32_t>().Swap(t->mutable_int32_data());
  google::protobuf::RepeatedField<int64_t>().Swap(t->mutable_int64_data());
  google::protobuf::RepeatedField<uint64_t>().Swap(t->mutable_uint64_data());
}

rt::Status Builder::constant_from_tensor(onnx::TensorProto& t, const std::string& name,
                                         ir::RegionId region, ir::ValueId* out) {
  HostTensor host;
  PARALLAX_RETURN_IF_ERROR(tensor_from_proto(t, "", &host));
  // The IR takes over the bytes, so the weights are held once, not twice, at the end of import.
  release_tensor_data(&t);
  *out = g_->add_constant(name, host.dtype, host.dims,
                          std::vector<uint8_t>(host.bytes.begin(), host.bytes.end()), region);
  return rt::Status::ok();
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

rt::Status Builder::fold_constant_node(onnx::NodeProto& n, ir::RegionId region, Scope* scope,
                                       bool* folded) {
  *folded = false;
  if (n.op_type() != "Constant" || !(n.domain().empty() || n.domain() == "ai.onnx") ||
      n.output_size() != 1 || n.attribute_size() != 1) {
    return rt::Status::ok();
  }
  onnx::AttributeProto& a = *n.mutable_attribute(0);
  const std::string& name = n.output(0);
  ir::ValueId id = -1;
  if (a.name() == "value" && a.has_t()) {
    if (a.t().data_type() == onnx::TensorProto::STRING) return rt::Status::ok();
    PARALLAX_RETURN_IF_ERROR(
        constant_from_tensor(*a.mutable_t(), name, region, &id).with_context(node_label(n)));
  } else if (a.name() == "value_float") {
    id = g_->add_constant(name, rt::DType::kFloat32, {}, bytes_of(std::vector<float>{a.f()}), region);
  } else if (a.name() == "value_int") {
    id = g_->add_constant(name, rt::DType::kInt64, {}, bytes_of(std::vector<int64_t>{a.i()}), region);
  } else if (a.name() == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    id = g_->add_constant(name, rt::DType::kFloat32, {static_cast<int64_t>(v.size())}, bytes_of(v), region);
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    id = g_->add_constant(name, rt::DType::kInt64, {static_cast<int64_t>(v.size())}, bytes_of(v), region);
  } else {
    return rt::Status::ok();
  }
  scope->names[name] = id;
  *folded = true;
  return rt::Status::ok();
}

rt::Status Builder::convert_attr(onnx::AttributeProto& a, const onnx::NodeProto& n,
                                 ir::NodeId node, Scope* scope, std::vector<rt::Attribute>* attrs) {
  using K = rt::Attribute::Kind;
  rt::Attribute r;
  r.name = a.name();
  const ir::RegionId region = g_->nodes[node].region;
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT: r.kind = K::kFloat; r.f = a.f(); break;
    case onnx::AttributeProto::INT: r.kind = K::kInt; r.i = a.i(); break;
    case onnx::AttributeProto::STRING: r.kind = K::kString; r.s = a.s(); break;
    case onnx::AttributeProto::FLOATS:
      r.kind = K::kFloats;
      r.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::INTS:
      r.kind = K::kInts;
      r.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::STRINGS:
      r.kind = K::kStrings;
      r.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case onnx::AttributeProto::TENSOR: {
      r.kind = K::kTensor;
      ir::ValueId id = -1;
      PARALLAX_RETURN_IF_ERROR(
          constant_from_tensor(*a.mutable_t(), n.name() + "." + a.name(), region, &id)
              .with_context(node_label(n) + ": attribute '" + a.name() + "'"));
      r.tensor = id;
      break;
    }
    case onnx::AttributeProto::GRAPH: {
      r.kind = K::kGraph;
      const ir::RegionId sub = g_->add_region(n.name() + "." + a.name(), region, node);
      Scope inner;
      inner.parent = scope;
      PARALLAX_RETURN_IF_ERROR(build_region(*a.mutable_g(), sub, &inner));
      r.graph = sub;
      break;
    }
    case onnx::AttributeProto::TYPE_PROTO:
    case onnx::AttributeProto::TYPE_PROTOS:
      return rt::Status::ok();  // only describes types the IR does not model; dropped
    default:
      return rt::Status::unsupported(node_label(n) + ": attribute '" + a.name() +
                                     "' has an unsupported kind");
  }
  attrs->push_back(std::move(r));
  return rt::Status::ok();
}

rt::Status Builder::build_region(onnx::GraphProto& gp, ir::RegionId region, Scope* scope) {
  g_->regions[region].name = gp.name();
  TypeTable types;
  for (const auto& v : gp.input()) types[v.name()] = &v.type();
  for (const auto& v : gp.value_info()) types[v.name()] = &v.type();
  for (const auto& v : gp.output()) types[v.name()] = &v.type();
  for (const auto& t : gp.sparse_initializer()) {
    return rt::Status::unsupported("sparse initializer '" + t.values().name() + "' is not supported");
  }
  for (auto& t : *gp.mutable_initializer()) {
    ir::ValueId id = -1;
    PARALLAX_RETURN_IF_ERROR(constant_from_tensor(t, t.name(), region, &id)
                                 .with_context("initializer '" + t.name() + "'"));
    scope->names[t.name()] = id;
  }
  for (const auto& v : gp.input()) {
    if (scope->names.count(v.name())) continue;  // an initializer listed as input (IR < 4)
    ir::ValueId id = new_value(v.name(), types, region);
    scope->names[v.name()] = id;
    g_->regions[region].inputs.push_back(id);
  }
  for (auto& n : *gp.mutable_node()) {
    bool folded = false;
    PARALLAX_RETURN_IF_ERROR(fold_constant_node(n, region, scope, &folded));
    if (folded) continue;
    std::vector<ir::ValueId> ins;
    for (const auto& name : n.input()) {
      if (name.empty()) {
        ins.push_back(-1);
        continue;
      }
      ir::ValueId id = scope->find(name);
      if (id < 0) {
        return rt::Status::invalid(node_label(n) + ": input '" + name +
                                   "' is not produced by any node, initializer or graph input");
      }
      ins.push_back(id);
    }
    std::vector<ir::ValueId> outs;
    for (const auto& name : n.output()) outs.push_back(name.empty() ? -1 : new_value(name, types, region));
    const std::string domain = n.domain() == "ai.onnx" ? "" : n.domain();
    const ir::NodeId id = g_->add_node(region, n.name(), n.op_type(), domain, opset_of(domain),
                                       std::move(ins), outs);
    std::vector<rt::Attribute> attrs;
    for (auto& a : *n.mutable_attribute()) {
      PARALLAX_RETURN_IF_ERROR(convert_attr(a, n, id, scope, &attrs));
    }
    g_->nodes[id].attrs = std::move(attrs);
    for (size_t k = 0; k < outs.size(); ++k) {
      if (outs[k] >= 0) scope->names[n.output(static_cast<int>(k))] = outs[k];
    }
  }
  for (const auto& v : gp.output()) {
    ir::ValueId id = scope->find(v.name());
    if (id < 0) {
      return rt::Status::invalid("graph '" + gp.name() + "': output '" + v.name() +
                                 "' is not produced by any node, initializer or graph input");
    }
    g_->regions[region].outputs.push_back(id);
  }
  return rt::Status::ok();
}

}  // namespace

rt::Status build_ir(onnx::ModelProto* model_in, ir::Graph* out) {
  onnx::ModelProto& model = *model_in;
  ir::Graph g;
  g.name = model.graph().name();
  for (const auto& op : model.opset_import()) {
    g.opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = static_cast<int>(op.version());
  }
  g.add_region(model.graph().name(), -1, -1);
  Builder b(&g);
  Scope scope;
  PARALLAX_RETURN_IF_ERROR(b.build_region(*model.mutable_graph(), 0, &scope));
  *out = std::move(g);
  return rt::Status::ok();
}

}  // namespace parallax::import
