// Reads an ONNX model file into a checked, topologically ordered ModelProto.
//
// Accepts binary protobuf (.onnx) and the ONNX textual syntax (.onnxtxt). After parsing it:
//   1. names every unnamed node "<OpType>_<n>" so later errors can name it;
//   2. checks the default domain's opset (7-17; ops of other domains must have a kernel or a
//      function body, which the importer checks);
//   3. loads external tensor data into raw_data (paths must stay inside the model's folder);
//   4. orders every graph's nodes topologically, reporting cycles and inputs nothing produces;
//   5. runs the ONNX checker.
// Every failure is a one-line Status naming the node, op and input at fault.
//
//   onnx::ModelProto m;
//   rt::Status s = load_model("model.onnx", &m);
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "parallax/runtime/status.h"

namespace parallax::import {

namespace rt = ::parallax::rt;

constexpr int kMinOpset = 7;
constexpr int kMaxOpset = 17;

rt::Status load_model(const std::string& path, onnx::ModelProto* out);

// Parsing only (binary or text, by extension); no checks.
rt::Status parse_model_file(const std::string& path, onnx::ModelProto* out);

// Steps 1-4 on an already parsed model; `model_dir` is where external data lives.
rt::Status prepare_model(const std::string& model_dir, onnx::ModelProto* model);
// Step 5: onnx::checker::check_model, its exception turned into a one-line Status.
rt::Status run_checker(const onnx::ModelProto& model);

// "node 'n' (Op)"; the prefix of every error about a node.
std::string node_label(const onnx::NodeProto& node);

}  // namespace parallax::import
