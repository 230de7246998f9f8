#include "compiler/import/importer.h"

#include <onnx/shape_inference/implementation.h>

#include "compiler/import/function_expander.h"
#include "compiler/import/graph_builder.h"
#include "compiler/import/model_loader.h"
#include "parallax/runtime/kernel.h"

namespace parallax::import {
namespace {

// Bodies can contain further calls; a model whose functions call each other endlessly stops here.
constexpr int kMaxExpansionRounds = 16;

rt::Status pin_input_shapes(const ImportOptions& options, onnx::ModelProto* m) {
  for (const auto& [name, dims] : options.input_shapes) {
    onnx::ValueInfoProto* input = nullptr;
    for (auto& v : *m->mutable_graph()->mutable_input()) {
      if (v.name() == name) input = &v;
    }
    if (input == nullptr || !input->type().has_tensor_type()) {
      return rt::Status::invalid("--input-shape: the model has no tensor input '" + name + "'");
    }
    auto* shape = input->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims) {
      auto* dim = shape->add_dim();
      if (d >= 0) dim->set_dim_value(d);
    }
  }
  return rt::Status::ok();
}

// Non-strict: an op whose shapes cannot be inferred keeps unknown dims; kernels compute them.
void infer_shapes(onnx::ModelProto* m) {
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/true);
    onnx::shape_inference::InferShapes(*m, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception&) {
    // What was inferred before the failure is kept; the rest stays unknown.
  }
}

void find_unsupported(const ir::Graph& g, std::string* list) {
  for (const ir::Region& r : g.regions) {
    for (ir::NodeId id : r.nodes) {
      const ir::Node& n = g.nodes[id];
      if (rt::find_kernel(n.domain, n.op_type, n.opset) >= 0) continue;
      *list += (list->empty() ? "" : ", ") + ("node '" + n.name + "' (" +
               (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")");
    }
  }
}

}  // namespace

rt::Status parse_dims(const std::string& text, std::vector<int64_t>* dims) {
  dims->clear();
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of("x,", start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    if (part == "?" || part == "-1") {
      dims->push_back(-1);
    } else {
      char* tail = nullptr;
      const long long v = std::strtoll(part.c_str(), &tail, 10);
      if (part.empty() || *tail != '\0' || v < 0) {
        return rt::Status::invalid("bad dimension '" + part + "' in shape '" + text + "'");
      }
      dims->push_back(v);
    }
    start = end + 1;
  }
  return rt::Status::ok();
}

rt::Status import_model_proto(onnx::ModelProto model, const std::string& model_dir,
                              const ImportOptions& options, ir::Graph* out) {
  PARALLAX_RETURN_IF_ERROR(prepare_model(model_dir, &model));
  // Before the checker, so that unknown custom ops are listed together, not one by one.
  if (options.require_kernels) PARALLAX_RETURN_IF_ERROR(check_supported(model));
  PARALLAX_RETURN_IF_ERROR(run_checker(model));
  PARALLAX_RETURN_IF_ERROR(pin_input_shapes(options, &model));
  for (int round = 0;; ++round) {
    infer_shapes(&model);
    if (round == kMaxExpansionRounds) break;
    bool changed = false;
    PARALLAX_RETURN_IF_ERROR(expand_functions(&model, collect_types(model), &changed));
    if (!changed) break;
  }
  ir::Graph g;
  PARALLAX_RETURN_IF_ERROR(build_ir(&model, &g));
  if (options.require_kernels) {
    std::string list;
    find_unsupported(g, &list);
    if (!list.empty()) return rt::Status::unsupported("unsupported operators: " + list);
  }
  *out = std::move(g);
  return rt::Status::ok();
}

rt::Status import_model(const std::string& path, const ImportOptions& options, ir::Graph* out) {
  onnx::ModelProto model;
  PARALLAX_RETURN_IF_ERROR(parse_model_file(path, &model));
  const size_t slash = path.find_last_of('/');
  return import_model_proto(std::move(model), slash == std::string::npos ? "." : path.substr(0, slash),
                            options, out);
}

}  // namespace parallax::import
