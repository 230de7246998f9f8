// Placement files: the placement as JSON, so a user can inspect it and override the cost model.
//
// The file is one JSON object mapping every main-region node name to "cpu" or "gpu", in the
// main region's execution order:
//
//   {"conv1": "gpu", "relu1": "gpu", "nms": "cpu"}
//
// `--placement-out` writes it after place; `--placement-in` reads an edited one back. Node names
// must be unique in the main region (the importer names unnamed nodes, a model may still repeat
// a name): a repeated name is an error, as are unknown names, missing nodes, other values, and
// "gpu" for a node the GPU backend cannot run. Errors name the file and every node at fault.
//
//   PARALLAX_RETURN_IF_ERROR(write_placement("p.json", g, plan.device));
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

rt::Status write_placement(const std::string& path, const ir::Graph& g,
                           const std::vector<ir::Device>& device);

// Reads `path` into device[n] for the main-region nodes. `gpu_refusal(n)` is "" when node n may
// go to the GPU, else the reason it may not ("--gpu none", "control flow runs on the CPU", ...).
rt::Status read_placement(const std::string& path, const ir::Graph& g,
                          const std::function<std::string(ir::NodeId)>& gpu_refusal,
                          std::vector<ir::Device>* device);

}  // namespace parallax::passes
