// Replaces function calls by their bodies, inside the ModelProto, before the IR is built.
//
// Two kinds of calls are expanded:
//   - a node whose (domain, op_type) names a model-local function (ModelProto.functions);
//   - a standard op that the runtime has no kernel for but whose schema defines a function
//     body (plain or context-dependent, which needs the node's input types).
// The body's values are renamed to stay unique, formal inputs/outputs become the call's
// actual names, and attribute references (ref_attr_name) take the call's attribute values
// (or the schema default). Expansion is applied to every graph, subgraphs included, and may be
// repeated: a body can itself contain calls.
//
//   TypeMap types = collect_types(model);      // after shape inference
//   bool changed = false;
//   rt::Status s = expand_functions(&model, types, &changed);
#pragma once

#include <string>
#include <unordered_map>

#include <onnx/onnx_pb.h>

#include "parallax/runtime/status.h"

namespace parallax::import {

namespace rt = ::parallax::rt;

using TypeMap = std::unordered_map<std::string, onnx::TypeProto>;

// Every value type the model states (graph inputs/outputs, value_info, initializers), all
// graphs included.
TypeMap collect_types(const onnx::ModelProto& model);

// One round of expansion over every graph. *changed tells whether any call was expanded.
rt::Status expand_functions(onnx::ModelProto* model, const TypeMap& types, bool* changed);

// Fails, listing every such node of every graph, when a node has no kernel, no model-local
// function and no schema function body: "unsupported operators: node 'a' (Foo), node 'b' (Bar)".
rt::Status check_supported(const onnx::ModelProto& model);

// True when the op at `opset` of its domain has a function body the importer can expand.
bool has_function_body(const std::string& domain, const std::string& op_type, int opset);

}  // namespace parallax::import
