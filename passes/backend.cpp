#include "passes/backend.h"

#include "parallax/runtime/kernel.h"

namespace parallax::passes {
namespace {

bool cpu_supports(const ir::Graph& g, ir::NodeId n) {
  const ir::Node& node = g.nodes[n];
  return rt::find_kernel(node.domain, node.op_type, node.opset) >= 0;
}

// No OpenCL kernels exist yet (they come with the OpenCL runtime work); answering false keeps
// `--gpu opencl` honest: nothing is placed on a GPU that could not run it.
bool opencl_supports(const ir::Graph&, ir::NodeId) { return false; }

}  // namespace

const std::vector<Backend>& backends() {
  static const std::vector<Backend> table = {
      {"cpu", ir::Device::kCpu, cpu_supports},
      {"opencl", ir::Device::kGpu, opencl_supports},
  };
  return table;
}

const Backend* find_backend(std::string_view name) {
  for (const Backend& b : backends())
    if (name == b.name) return &b;
  return nullptr;
}

}  // namespace parallax::passes
