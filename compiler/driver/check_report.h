// `parallax-compile --check`: what CI needs to know about one model before it ships, in one run.
//
// check_model() walks the same stages as a real compile and records what each one found,
// continuing past unsupported operators so that all of them are reported at once:
//   load      parse the file (.onnx or .onnxtxt)
//   validate  name nodes, check the opset, order the graph; then list every node that has
//             no kernel, no model-local function and no ONNX function body (all graphs)
//   import    import with require_kernels=false (the checker, shape inference, function
//             expansion), then ir::verify; nodes left without a kernel join the list
//   pipeline  every pass, with the user's --gpu/--device-profile/--threads/... options
//   lower     codegen::build_program (skipped when operators are unsupported)
//   emit      codegen::emit_cpp in memory: what `-o` would write, minus the files
// A stage's failure ends the check with that stage and message in `error_stage`/`error`; everything
// learnt before stays in the report. The model is compilable when no stage failed and no operator
// is unsupported.
//
//   CheckReport r = check_model("m.onnx", import_options, compile_options);
//   std::fputs(format_check_text(r).c_str(), stdout);
//   std::ofstream("r.json") << format_check_json(r);  // schema: docs/cli.md "--check"
// The formatting and the command live in check_report_format.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/import/importer.h"
#include "parallax/runtime/status.h"
#include "passes/pipeline.h"

namespace parallax::driver {

namespace rt = ::parallax::rt;

// One (domain, op, opset) without a kernel, with every node using it.
struct UnsupportedOp {
  std::string domain;  // "" = the default ONNX domain
  std::string op_type;
  int opset = 0;                   // the version the model imports for `domain` (0 = none imported)
  std::vector<std::string> nodes;  // node names, in model order (subgraph nodes included)
};

struct TensorSummary {
  std::string name;
  std::string dtype;  // rt::dtype_name
  bool rank_known = false;
  std::vector<int64_t> dims;  // -1 = only known at run time
};

struct ProcessorSummary {
  std::string name;
  bool gpu = false;
  int cores = 1;
  int branches = 0;
  int nodes = 0;
};

// Main-graph nodes of one op type left on the CPU although a GPU backend was asked for.
struct GpuFallback {
  std::string op_type;
  std::string reason;  // "no kernel" (backend or control flow) or "offload rule"
  int nodes = 0;
};

struct CheckReport {
  std::string model;         // the path as given
  std::string graph;         // the graph's name ("" before import)
  std::string gpu = "none";  // --gpu, echoed
  std::string error_stage;   // "" when no stage failed, else the stage (see above)
  std::string error;
  std::vector<UnsupportedOp> unsupported;  // sorted by domain, op type, opset

  bool imported = false;  // the fields below are filled from here on
  std::vector<TensorSummary> inputs, outputs;
  int64_t nodes_imported = 0;  // every region, before the passes
  int64_t weights_imported_bytes = 0;
  int64_t weight_tensors_imported = 0;

  bool compiled = false;  // the pipeline ran to the end
  int64_t nodes_compiled = 0;
  int64_t cpu_nodes = 0, gpu_nodes = 0;  // main graph
  std::vector<ProcessorSummary> processors;
  std::vector<GpuFallback> gpu_fallbacks;
  int64_t branches = 0, layers = 0, parallel_layers = 0, max_width = 0;
  uint64_t arena_bytes = 0, lower_bound_bytes = 0, sequential_bytes = 0, naive_bytes = 0;
  int64_t unsized_values = 0;

  bool lowered = false;       // build_program succeeded
  int64_t weights_bytes = 0;  // Program::weights: what generated code embeds (64-byte aligned)

  double compile_ms = 0;  // wall time of every stage together

  bool compilable() const { return error_stage.empty() && unsupported.empty(); }
  int unsupported_node_count() const;
};

CheckReport check_model(const std::string& path, const import::ImportOptions& import_options,
                        const passes::CompileOptions& compile_options);

// The human summary (stdout). Deterministic except for the `compile_ms` line.
std::string format_check_text(const CheckReport& r);
// The JSON report, keys in a fixed order, two-space indent, trailing newline.
std::string format_check_json(const CheckReport& r);

// The whole `--check` command: runs the check, prints the summary, writes `report_path` when
// not empty, puts the error line on stderr. Returns kExitOk when compilable, else
// kExitUnsupported.
int run_check_command(const std::string& model, const std::vector<std::string>& input_shapes,
                      const passes::CompileOptions& compile_options,
                      const std::string& report_path);

}  // namespace parallax::driver
