// Builds the IR from a checked, shape-inferred, function-expanded ModelProto.
//
// Values take their dtype and dims from the graph's inputs, outputs and value_info; graph
// inputs that have an initializer are constants, not inputs. Constant nodes holding a dense
// tensor or scalar/list attribute become constant values. Subgraph attributes become regions;
// a name a subgraph does not define resolves to the enclosing region's value of that name.
//
//   ir::Graph g;
//   rt::Status s = build_ir(&model, &g);
#pragma once

#include <onnx/onnx_pb.h>

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::import {

namespace rt = ::parallax::rt;

// Takes the tensor bytes out of `model` as it copies them into the IR (so the weights are held
// once, not twice): afterwards `model` keeps its structure but not its tensor data.
rt::Status build_ir(onnx::ModelProto* model, ir::Graph* out);

}  // namespace parallax::import
