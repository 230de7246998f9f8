// Backends: the processors a node can run on, each answering one capability question.
//
// Placement asks a backend only `supports(graph, node)` and the cost model (device_profile.h,
// cost_model.h) how long the node takes there. The CPU backend supports every node that has a
// runtime kernel (rt::find_kernel). The OpenCL backend has no kernels yet, so it supports nothing;
// until its kernels land, tests drive GPU placement through CompileOptions::gpu_supports.
//
//   const Backend* gpu = find_backend("opencl");
//   if (gpu && gpu->supports(g, n)) ...
#pragma once

#include <string_view>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"

namespace parallax::passes {

struct Backend {
  const char* name;  // as spelled by --gpu (and "cpu")
  ir::Device device;
  // True when this backend has a kernel for node `n` (a main-region node) as it is typed in `g`.
  bool (*supports)(const ir::Graph& g, ir::NodeId n);
};

// Every backend, the CPU first.
const std::vector<Backend>& backends();

// The backend called `name`, or nullptr.
const Backend* find_backend(std::string_view name);

}  // namespace parallax::passes
