#include "compiler/import/function_expander.h"

#include <map>
#include <set>

#include <onnx/defs/function.h>
#include <onnx/defs/schema.h>

#include "compiler/import/model_loader.h"
#include "parallax/runtime/kernel.h"

namespace parallax::import {
namespace {

using NameMap = std::unordered_map<std::string, std::string>;

struct Expander {
  onnx::ModelProto* model;
  const TypeMap* types;
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto*> local;
  std::map<std::string, int> opsets;
  int counter = 0;
  bool changed = false;

  int opset_of(const std::string& domain) const {
    auto it = opsets.find(domain == "ai.onnx" ? "" : domain);
    return it == opsets.end() ? 0 : it->second;
  }
  rt::Status expand_graph(onnx::GraphProto* g);
  rt::Status body_for(const onnx::NodeProto& n, onnx::FunctionProto* body,
                      const onnx::OpSchema** schema, bool* found);
};

std::string renamed(const std::string& name, const NameMap& map, const std::string& prefix) {
  if (name.empty()) return name;
  auto it = map.find(name);
  return it != map.end() ? it->second : prefix + name;
}

// Renames every value name in `g` (a subgraph of a function body): formals through `map`,
// everything else gets `prefix`, since a body can only see its own names.
void rename_graph(onnx::GraphProto* g, const NameMap& map, const std::string& prefix) {
  for (auto& v : *g->mutable_input()) v.set_name(renamed(v.name(), map, prefix));
  for (auto& v : *g->mutable_output()) v.set_name(renamed(v.name(), map, prefix));
  for (auto& v : *g->mutable_value_info()) v.set_name(renamed(v.name(), map, prefix));
  for (auto& t : *g->mutable_initializer()) t.set_name(renamed(t.name(), map, prefix));
  int index = 0;
  for (auto& n : *g->mutable_node()) {
    for (auto& i : *n.mutable_input()) i = renamed(i, map, prefix);
    for (auto& o : *n.mutable_output()) o = renamed(o, map, prefix);
    n.set_name(prefix + (n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name()));
    ++index;
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_g()) rename_graph(a.mutable_g(), map, prefix);
      for (auto& sg : *a.mutable_graphs()) rename_graph(&sg, map, prefix);
    }
  }
}

// Resolves ref_attr_name references in `n` (recursively in subgraphs) against the caller.
void bind_attributes(onnx::NodeProto* n, const onnx::NodeProto& call, const onnx::OpSchema* schema) {
  google::protobuf::RepeatedPtrField<onnx::AttributeProto> bound;
  for (auto& a : *n->mutable_attribute()) {
    if (a.ref_attr_name().empty()) {
      if (a.has_g()) {
        for (auto& m : *a.mutable_g()->mutable_node()) bind_attributes(&m, call, schema);
      }
      for (auto& sg : *a.mutable_graphs()) {
        for (auto& m : *sg.mutable_node()) bind_attributes(&m, call, schema);
      }
      *bound.Add() = a;
      continue;
    }
    const onnx::AttributeProto* value = nullptr;
    for (const auto& c : call.attribute()) {
      if (c.name() == a.ref_attr_name()) value = &c;
    }
    if (value == nullptr && schema != nullptr) {
      auto it = schema->attributes().find(a.ref_attr_name());
      if (it != schema->attributes().end() && it->second.default_value.type() != 0) {
        value = &it->second.default_value;
      }
    }
    if (value == nullptr) continue;  // unset: the body op's own default applies
    onnx::AttributeProto* b = bound.Add();
    *b = *value;
    b->set_name(a.name());
  }
  n->mutable_attribute()->Swap(&bound);
}

rt::Status Expander::body_for(const onnx::NodeProto& n, onnx::FunctionProto* body,
                              const onnx::OpSchema** schema, bool* found) {
  *found = false;
  *schema = nullptr;
  auto lf = local.find({n.domain(), n.op_type()});
  if (lf != local.end()) {
    *body = *lf->second;
    *found = true;
    return rt::Status::ok();
  }
  const int opset = opset_of(n.domain());
  if (rt::find_kernel(n.domain(), n.op_type(), opset) >= 0) return rt::Status::ok();
  const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(n.op_type(), opset, n.domain());
  if (s == nullptr) return rt::Status::ok();
  *schema = s;
  if (s->HasFunction() && s->GetFunction() != nullptr) {
    *body = *s->GetFunction();
    *found = true;
    return rt::Status::ok();
  }
  if (!s->HasContextDependentFunction()) return rt::Status::ok();
  std::vector<onnx::TypeProto> input_types;
  for (const auto& i : n.input()) {
    auto it = types->find(i);
    input_types.push_back(it == types->end() ? onnx::TypeProto() : it->second);
  }
  try {
    onnx::FunctionBodyBuildContextImpl ctx(n, input_types);
    *found = s->BuildContextDependentFunction(ctx, *body);
  } catch (const std::exception& e) {
    // Not expandable here (e.g. input types unknown yet); the op stays and is reported later.
    *found = false;
  }
  return rt::Status::ok();
}

rt::Status Expander::expand_graph(onnx::GraphProto* g) {
  google::protobuf::RepeatedPtrField<onnx::NodeProto> out;
  for (auto& n : *g->mutable_node()) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_g()) PARALLAX_RETURN_IF_ERROR(expand_graph(a.mutable_g()));
      for (auto& sg : *a.mutable_graphs()) PARALLAX_RETURN_IF_ERROR(expand_graph(&sg));
    }
    onnx::FunctionProto body;
    const onnx::OpSchema* schema = nullptr;
    bool found = false;
    PARALLAX_RETURN_IF_ERROR(body_for(n, &body, &schema, &found));
    if (!found) {
      *out.Add() = n;
      continue;
    }
    if (n.input_size() > body.input_size() || n.output_size() > body.output_size()) {
      return rt::Status::invalid(node_label(n) + ": more inputs or outputs than its function '" +
                                 body.name() + "' declares");
    }
    const std::string prefix = n.name() + "/" + std::to_string(counter++) + "/";
    NameMap map;
    for (int i = 0; i < body.input_size(); ++i) map[body.input(i)] = i < n.input_size() ? n.input(i) : "";
    for (int i = 0; i < body.output_size(); ++i) {
      const bool named = i < n.output_size() && !n.output(i).empty();
      map[body.output(i)] = named ? n.output(i) : prefix + body.output(i);
    }
    for (const auto& op : body.opset_import()) {
      const std::string d = op.domain() == "ai.onnx" ? "" : op.domain();
      if (opsets.count(d)) continue;
      opsets[d] = static_cast<int>(op.version());
      auto* imp = model->add_opset_import();
      imp->set_domain(d);
      imp->set_version(op.version());
    }
    onnx::GraphProto wrapper;  // lets rename_graph treat the body like any graph
    *wrapper.mutable_node() = body.node();
    rename_graph(&wrapper, map, prefix);
    for (auto& m : *wrapper.mutable_node()) {
      bind_attributes(&m, n, schema);
      *out.Add() = m;
    }
    changed = true;
  }
  g->mutable_node()->Swap(&out);
  return rt::Status::ok();
}

void add_types(const onnx::GraphProto& g, TypeMap* out) {
  for (const auto& v : g.input()) (*out)[v.name()] = v.type();
  for (const auto& v : g.value_info()) (*out)[v.name()] = v.type();
  for (const auto& v : g.output()) (*out)[v.name()] = v.type();
  for (const auto& t : g.initializer()) {
    onnx::TypeProto tp;
    tp.mutable_tensor_type()->set_elem_type(t.data_type());
    for (int64_t d : t.dims()) tp.mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
    (*out)[t.name()] = tp;
  }
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) add_types(a.g(), out);
      for (const auto& sg : a.graphs()) add_types(sg, out);
    }
  }
}

void list_unsupported(const onnx::GraphProto& g, const std::map<std::string, int>& opsets,
                      const std::set<std::pair<std::string, std::string>>& local, std::string* out) {
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) list_unsupported(a.g(), opsets, local, out);
      for (const auto& sg : a.graphs()) list_unsupported(sg, opsets, local, out);
    }
    const std::string domain = n.domain() == "ai.onnx" ? "" : n.domain();
    auto it = opsets.find(domain);
    const int opset = it == opsets.end() ? 0 : it->second;
    if (local.count({n.domain(), n.op_type()}) || rt::find_kernel(domain, n.op_type(), opset) >= 0 ||
        has_function_body(domain, n.op_type(), opset)) {
      continue;
    }
    *out += (out->empty() ? "" : ", ") + node_label(n);
  }
}

}  // namespace

rt::Status check_supported(const onnx::ModelProto& model) {
  std::map<std::string, int> opsets;
  for (const auto& op : model.opset_import()) {
    opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = static_cast<int>(op.version());
  }
  std::set<std::pair<std::string, std::string>> local;
  for (const auto& f : model.functions()) local.insert({f.domain(), f.name()});
  std::string list;
  list_unsupported(model.graph(), opsets, local, &list);
  if (!list.empty()) return rt::Status::unsupported("unsupported operators: " + list);
  return rt::Status::ok();
}

TypeMap collect_types(const onnx::ModelProto& model) {
  TypeMap types;
  add_types(model.graph(), &types);
  return types;
}

bool has_function_body(const std::string& domain, const std::string& op_type, int opset) {
  const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(op_type, opset, domain);
  return s != nullptr && ((s->HasFunction() && s->GetFunction() != nullptr) ||
                          s->HasContextDependentFunction());
}

rt::Status expand_functions(onnx::ModelProto* model, const TypeMap& types, bool* changed) {
  Expander e;
  e.model = model;
  e.types = &types;
  for (const auto& f : model->functions()) e.local[{f.domain(), f.name()}] = &f;
  for (const auto& op : model->opset_import()) {
    e.opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = static_cast<int>(op.version());
  }
  PARALLAX_RETURN_IF_ERROR(e.expand_graph(model->mutable_graph()));
  *changed = e.changed;
  return rt::Status::ok();
}

}  // namespace parallax::import
