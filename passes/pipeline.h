// The pass pipeline: the one ordered table of graph passes, and the runner that applies it.
//
// Each entry is (CLI name, one-line summary, function). The runner, not the passes, verifies
// the graph after every pass (a failure there is an internal error naming the pass), times
// passes, and honours stop-after / print-after:
//
//   ir::Plan plan;
//   passes::CompileOptions options;          // --gpu, --threads, --memory-budget, ...
//   passes::PassContext ctx{graph, plan, options};
//   passes::PipelineOptions run;
//   run.stop_after = "branches";
//   rt::Status s = passes::run_pipeline(ctx, run);
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

// What the user asked of the compilation (command-line flags of both tools).
struct CompileOptions {
  std::string gpu = "none";        // --gpu none|opencl
  std::string device_profile;      // --device-profile NAME|FILE.json; "" = the host
  int threads = 0;                 // --threads N; 0 = every core the profile has
  uint64_t memory_budget = 0;      // --memory-budget BYTES; 0 = unlimited
  std::string placement_in;        // --placement-in FILE: use this placement as given
  std::string placement_out;       // --placement-out FILE: write the placement as JSON
  // Which nodes a GPU backend could run. Unset: the backend selected by `gpu` answers. Tests
  // set it to drive placement before the OpenCL kernels exist.
  std::function<bool(const ir::Graph&, ir::NodeId)> gpu_supports;
};

// Everything a pass may read or change.
struct PassContext {
  ir::Graph& graph;
  ir::Plan& plan;
  const CompileOptions& options;
};

using PassFn = rt::Status (*)(PassContext&);

struct PassInfo {
  const char* name;     // as used by --stop-after / --print-after
  const char* summary;
  PassFn run;
};

// The passes in the order they run.
const std::vector<PassInfo>& pipeline();

struct PipelineOptions {
  std::string stop_after;             // "" = run every pass
  std::set<std::string> print_after;  // print the IR to `out` after these passes
  bool time_passes = false;           // print each pass's wall time to `out`
  std::FILE* out = stdout;
};

// Runs the pipeline. Unknown pass names in the options are an invalid-argument error that
// lists the valid names.
rt::Status run_pipeline(PassContext& ctx, const PipelineOptions& options);

// Runs the whole pipeline with default options on `g` (tests and tools that need no plan).
rt::Status run_pipeline(ir::Graph& g, const PipelineOptions& options = {});

}  // namespace parallax::passes
