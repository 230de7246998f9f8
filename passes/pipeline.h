// The pass pipeline: the one ordered table of graph passes, and the runner that applies it.
//
// Each entry is (CLI name, one-line summary, function). The runner, not the passes, verifies
// the graph after every pass (a failure there is an internal error naming the pass), times
// passes, and honours stop-after / print-after:
//
//   passes::PipelineOptions opts;
//   opts.stop_after = "eliminate-dead-code";
//   rt::Status s = passes::run_pipeline(graph, opts);
#pragma once

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

using PassFn = rt::Status (*)(ir::Graph&);

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
rt::Status run_pipeline(ir::Graph& g, const PipelineOptions& options);

}  // namespace parallax::passes
