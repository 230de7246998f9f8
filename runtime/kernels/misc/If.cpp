// If (opset 1-17): runs then_branch or else_branch (subgraphs without inputs) depending on the
// one-element bool `cond`, and copies the branch's results to the node's outputs. The two
// branches may produce different shapes. Tensor-valued outputs only (no sequences/optionals,
// which the runtime does not represent).
#include "control_flow.h"

namespace parallax::rt::kernels {

Status If(KernelContext& ctx) {
  const Tensor* cond_t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &cond_t));
  bool cond = false;
  PARALLAX_RETURN_IF_ERROR(misc::read_condition(*cond_t, "cond", &cond));
  const char* branch = cond ? "then_branch" : "else_branch";
  const int graph = ctx.attr_graph(branch);
  if (graph < 0) return Status::invalid(std::string("attribute '") + branch + "' is missing");
  const int n = ctx.output_count();
  if (ctx.graph_output_count(graph) != n) {
    return Status::invalid(std::string(branch) + " produces " +
                           std::to_string(ctx.graph_output_count(graph)) + " values for " +
                           std::to_string(n) + " outputs");
  }
  if (ctx.graph_input_count(graph) != 0)
    return Status::invalid(std::string(branch) + " must not take inputs");
  if (n > misc::kMaxBodyValues) return Status::unsupported("too many outputs");
  const Tensor* results[misc::kMaxBodyValues] = {};
  PARALLAX_RETURN_IF_ERROR(ctx.run_graph(graph, nullptr, 0, results));
  for (int i = 0; i < n; ++i) PARALLAX_RETURN_IF_ERROR(misc::copy_to_output(ctx, i, *results[i]));
  return Status::ok();
}

}  // namespace parallax::rt::kernels
