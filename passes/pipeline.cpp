#include "passes/pipeline.h"

#include <chrono>

#include "compiler/ir/printer.h"
#include "compiler/ir/verifier.h"
#include "passes/eliminate_dead_code.h"

namespace parallax::passes {

const std::vector<PassInfo>& pipeline() {
  static const std::vector<PassInfo> passes = {
      // First: everything after it (and the memory plan) should never see work whose result
      // nobody reads. Importers and function expansion leave such nodes behind.
      {"eliminate-dead-code", "remove nodes whose outputs are never used",
       [](PassContext& c) { return eliminate_dead_code(c.graph); }},
      // Next (issue: compiler passes): canonicalize, place, branches, schedule, plan-memory.
  };
  return passes;
}

namespace {

rt::Status check_name(const std::string& name) {
  if (name.empty()) return rt::Status::ok();
  std::string names;
  for (const PassInfo& p : pipeline()) {
    if (name == p.name) return rt::Status::ok();
    names += names.empty() ? p.name : std::string(", ") + p.name;
  }
  return rt::Status::invalid("unknown pass '" + name + "'; passes: " + names);
}

}  // namespace

rt::Status run_pipeline(ir::Graph& g, const PipelineOptions& options) {
  ir::Plan plan;
  const CompileOptions compile;
  PassContext ctx{g, plan, compile};
  return run_pipeline(ctx, options);
}

rt::Status run_pipeline(PassContext& ctx, const PipelineOptions& options) {
  ir::Graph& g = ctx.graph;
  PARALLAX_RETURN_IF_ERROR(check_name(options.stop_after));
  for (const std::string& n : options.print_after) PARALLAX_RETURN_IF_ERROR(check_name(n));
  for (const PassInfo& p : pipeline()) {
    const auto start = std::chrono::steady_clock::now();
    PARALLAX_RETURN_IF_ERROR(p.run(ctx).with_context(std::string("pass ") + p.name));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    rt::Status v = ir::verify(g);
    if (!v.is_ok()) {
      return rt::Status::internal(std::string("pass ") + p.name + " left a malformed graph: " +
                                  v.message());
    }
    if (options.time_passes) std::fprintf(options.out, "pass %s: %.3f ms\n", p.name, ms);
    if (options.print_after.count(p.name)) {
      std::fprintf(options.out, "// IR after %s\n%s", p.name, ir::print(g).c_str());
      if (ctx.plan.placed()) {
        std::fprintf(options.out, "// plan after %s\n%s", p.name,
                     ir::print_plan(g, ctx.plan).c_str());
      }
    }
    if (options.stop_after == p.name) break;
  }
  return rt::Status::ok();
}

}  // namespace parallax::passes
