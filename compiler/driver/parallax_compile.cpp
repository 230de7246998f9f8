// parallax-compile: import, verify, run the pass pipeline, and print the IR or the plan.
//
//   parallax-compile model.onnx --emit=ir
//   parallax-compile model.onnx --emit=plan --threads 2 --memory-budget 8000000
//   parallax-compile model.onnxtxt --input-shape x=1x3x8x8 --stop-after=branches --emit=plan
//   parallax-compile model.onnx -o out/resnet18 --name resnet18 [--weights file] [--emit-runner]
//   parallax-compile --check model.onnx --report check.json
//
// Exit codes: 0 success, 2 invalid or unsupported model (one line on stderr).
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/driver/check_report.h"
#include "compiler/driver/tool_common.h"
#include "compiler/ir/plan.h"
#include "compiler/ir/printer.h"
#include "codegen/generate.h"
#include "passes/pipeline.h"

int main(int argc, char** argv) {
  using namespace parallax;
  using namespace parallax::driver;
  std::string model;
  std::string emit = "ir";
  std::vector<std::string> input_shapes;
  bool allow_unsupported = false;
  passes::PipelineOptions pipeline;
  passes::CompileOptions compile;
  std::vector<std::string> print_after;
  std::string out_dir;
  codegen::EmitOptions gen;
  std::string weights = "embed";
  bool check = false;
  std::string check_report;
  CLI::App app{"Compile an ONNX model with Parallax"};
  app.add_option("model", model, "ONNX model (.onnx, or .onnxtxt text format)")->required();
  app.add_option("--emit", emit, "what to print: ir (the graph) or plan (placement, branches, "
                 "schedule, memory)")
      ->check(CLI::IsMember({"ir", "plan"}));
  app.add_option("--gpu", compile.gpu, "GPU backend: none or opencl")
      ->check(CLI::IsMember({"none", "opencl"}));
  app.add_option("--device-profile", compile.device_profile,
                 "device profile: a shipped name (host, snapdragon-8-gen-1, ...) or a JSON file");
  app.add_option("--threads", compile.threads, "CPU threads to plan for (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--memory-budget", compile.memory_budget,
                 "bytes; serialize concurrent branches that would exceed it (0 = no budget)");
  app.add_option("--placement-in", compile.placement_in, "read the placement from this JSON file");
  app.add_option("--placement-out", compile.placement_out, "write the placement to this JSON file");
  app.add_option("--input-shape", input_shapes, "pin an input's shape: name=1x3x224x224")
      ->allow_extra_args(false);
  app.add_flag("--allow-unsupported", allow_unsupported,
               "print the IR even when some operators have no kernel");
  app.add_option("--stop-after", pipeline.stop_after, "stop the pipeline after this pass");
  app.add_option("--print-after", print_after, "print the IR after this pass (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--time-passes", pipeline.time_passes, "print each pass's wall time");
  CLI::Option* out_flag = app.add_option(
      "-o,--output-dir", out_dir, "generate C++ into this folder (NAME.h, NAME.cpp, weights)");
  app.add_option("--name", gen.name, "generated class and file name (default: the model's stem)")
      ->needs(out_flag);
  app.add_option("--weights", weights, "with -o: embed (.incbin, default), file (mmapped at "
                 "create) or c-array (slow to compile)")
      ->check(CLI::IsMember({"embed", "file", "c-array"}))
      ->needs(out_flag);
  app.add_flag("--emit-runner", gen.runner, "with -o: also NAME_runner.cpp and CMakeLists.txt")
      ->needs(out_flag);
  CLI::Option* check_flag = app.add_flag(
      "--check", check, "CI check: list every unsupported operator, summarize placement, branches "
      "and memory; exit 0 when the model compiles, else 2");
  app.add_option("--report", check_report, "with --check: also write the summary as JSON here")
      ->needs(check_flag);
  // --check always runs the whole pipeline and prints its own summary.
  for (const char* other : {"--emit", "--stop-after", "--print-after", "--allow-unsupported", "-o"})
    check_flag->excludes(other);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUnsupported;
  }
  if (check) return run_check_command(model, input_shapes, compile, check_report);
  try {
    import::ImportOptions options;
    options.require_kernels = !allow_unsupported;
    rt::Status s = parse_input_shapes(input_shapes, &options);
    if (!s.is_ok()) return report("parallax-compile", s, kExitUnsupported);
    ir::Graph graph;
    s = load_ir(model, options, &graph);
    if (!s.is_ok()) return report("parallax-compile", s, kExitUnsupported);
    pipeline.print_after.insert(print_after.begin(), print_after.end());
    ir::Plan plan;
    passes::PassContext ctx{graph, plan, compile};
    s = passes::run_pipeline(ctx, pipeline);
    if (!s.is_ok()) return report("parallax-compile", s, kExitUnsupported);
    if (!out_dir.empty()) {
      gen.source = model.substr(model.find_last_of('/') + 1);
      if (gen.name.empty()) gen.name = codegen::default_model_name(model);
      gen.weights = weights == "file"      ? codegen::WeightsMode::kFile
                    : weights == "c-array" ? codegen::WeightsMode::kCArray
                                           : codegen::WeightsMode::kEmbed;
      s = codegen::generate_cpp(std::move(graph), plan, gen, out_dir);
      return s.is_ok() ? kExitOk : report("parallax-compile", s, kExitUnsupported);
    }
    std::fputs(emit == "plan" ? ir::print_plan(graph, plan).c_str() : ir::print(graph).c_str(),
               stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallax-compile: error: internal error: %s\n", e.what());
    return kExitUnsupported;
  }
}
