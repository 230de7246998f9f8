// ONNX model -> IR. The compiler's front door.
//
// import_model() loads and checks the file (model_loader.h), pins user-given input shapes,
// runs ONNX shape inference, expands function calls the runtime has no kernel for
// (function_expander.h), and builds the ir::Graph: one value per ONNX value with its dtype and
// static dims, initializers and Constant nodes as constant values, If/Loop/Scan bodies as
// regions whose outer-scope references point at the enclosing values.
//
//   ImportOptions opts;
//   opts.input_shapes["x"] = {1, 3, 224, 224};
//   ir::Graph g;
//   rt::Status s = import_model("model.onnx", opts, &g);
//   if (!s.is_ok()) std::cerr << s.message() << "\n";   // one line, names node/op/input
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::import {

namespace rt = ::parallax::rt;

struct ImportOptions {
  // Replaces the dims of the named graph inputs before shape inference.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Fail, listing every such node, when an op has neither a kernel nor a function body.
  bool require_kernels = true;
};

rt::Status import_model(const std::string& path, const ImportOptions& options, ir::Graph* out);

// The same, for a model already parsed (tests); external data resolves against `model_dir`.
rt::Status import_model_proto(onnx::ModelProto model, const std::string& model_dir,
                              const ImportOptions& options, ir::Graph* out);

// Parses "1x3x224x224" ('?' or -1 for an unknown dim) into dims.
rt::Status parse_dims(const std::string& text, std::vector<int64_t>* dims);

}  // namespace parallax::import
