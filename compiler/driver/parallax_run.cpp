// parallax-run: import an ONNX model, run it with the reference executor, and optionally
// compare against expected outputs (the ONNX backend test layout: DIR/input_N.pb,
// DIR/output_N.pb).
//
//   parallax-run model.onnx --inputs test_data_set_0 --compare
//   parallax-run model.onnx --input-shape x=1x3x224x224 --runs 20
//
// Exit codes: 0 outputs match (or nothing to compare), 1 mismatch or run-time error,
// 2 invalid or unsupported model.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "codegen/program_builder.h"
#include "compiler/driver/compare.h"
#include "compiler/driver/tool_common.h"
#include "compiler/import/tensor_io.h"
#include "parallax/runtime/executor.h"
#include "passes/pipeline.h"

namespace parallax::driver {
namespace {

constexpr const char* kTool = "parallax-run";
constexpr int kWarmupRuns = 3;

struct Flags {
  std::string model;
  std::string inputs;
  std::string outputs;
  bool compare = false;
  double rtol = 1e-3;
  double atol = 1e-7;
  int runs = 0;
  std::vector<std::string> input_shapes;
};

// Exit code for a failure while running: unsupported features are a model problem (2).
int run_failure(const rt::Status& s) {
  return report(kTool, s, s.code() == rt::StatusCode::kUnsupported ? kExitUnsupported : kExitMismatch);
}

// Deterministic pseudo-random values; unknown dims become 1.
rt::Status random_input(const rt::TensorInfo& info, std::mt19937* rng, import::HostTensor* out) {
  out->name = info.name;
  out->dtype = info.dtype;
  out->dims.clear();
  for (int64_t d : info.shape) out->dims.push_back(d < 0 ? 1 : d);
  out->bytes.resize(static_cast<size_t>(out->numel()) * rt::dtype_size(info.dtype));
  rt::Tensor v;
  PARALLAX_RETURN_IF_ERROR(out->view(&v));
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  return PARALLAX_DISPATCH(info.dtype, rt::kAllTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = v.data_as<T>();
    for (int64_t i = 0; i < v.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        p[i] = small(*rng) % 2 == 0;
      } else if constexpr (rt::is_float_v<T>) {
        p[i] = static_cast<T>(static_cast<rt::compute_t<T>>(real(*rng)));
      } else {
        p[i] = static_cast<T>(small(*rng));
      }
    }
    return rt::Status::ok();
  }).with_context("input '" + info.name + "'");
}

// ONNX's generated test data stores bfloat16 tensors as uint16 (numpy has no bfloat16);
// the bits are the same, so take the dtype the model states.
void fix_bfloat16(rt::DType want, import::HostTensor* t) {
  if (want == rt::DType::kBFloat16 && t->dtype == rt::DType::kUInt16) t->dtype = want;
}

rt::Status load_inputs(const Flags& f, const rt::Executor& ex, std::vector<import::HostTensor>* out) {
  std::mt19937 rng(20240611u);
  for (int i = 0; i < ex.input_count(); ++i) {
    const rt::TensorInfo& info = ex.input_info(i);
    if (info.dtype == rt::DType::kUndefined) {
      return rt::Status::unsupported("input '" + info.name +
                                     "' is not a tensor (sequence, map and optional inputs are not supported)");
    }
    import::HostTensor t;
    if (f.inputs.empty()) {
      PARALLAX_RETURN_IF_ERROR(random_input(info, &rng, &t));
    } else {
      PARALLAX_RETURN_IF_ERROR(import::read_tensor_file(f.inputs + "/input_" + std::to_string(i) + ".pb", &t));
      fix_bfloat16(info.dtype, &t);
    }
    out->push_back(std::move(t));
  }
  return rt::Status::ok();
}

// Returns the exit code for the comparison of every output.
int compare_outputs(const Flags& f, const std::vector<import::HostTensor>& actual) {
  int code = kExitOk;
  for (size_t i = 0; i < actual.size(); ++i) {
    const std::string path = f.inputs + "/output_" + std::to_string(i) + ".pb";
    import::HostTensor expected;
    rt::Status s = import::read_tensor_file(path, &expected);
    if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
    fix_bfloat16(actual[i].dtype, &expected);
    const Comparison c = compare(actual[i], expected, f.rtol, f.atol);
    std::printf("output %zu '%s': shape %s max_abs_err=%.3g max_rel_err=%.3g %s%s\n", i,
                actual[i].name.c_str(), dims_string(actual[i].dims).c_str(), c.max_abs_err,
                c.max_rel_err, c.ok ? "ok" : "MISMATCH", c.problem.empty() ? "" : (" (" + c.problem + ")").c_str());
    if (!c.ok) code = kExitMismatch;
  }
  return code;
}

int run_tool(const Flags& f) {
  import::ImportOptions options;
  rt::Status s = parse_input_shapes(f.input_shapes, &options);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  ir::Graph graph;
  s = load_ir(f.model, options, &graph);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  s = passes::run_pipeline(graph, passes::PipelineOptions{});
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  rt::Program program;
  s = codegen::build_program(graph, &program);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  std::unique_ptr<rt::Executor> ex;
  s = rt::Executor::create(&program, &ex);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);

  std::vector<import::HostTensor> inputs;
  s = load_inputs(f, *ex, &inputs);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  for (int i = 0; i < ex->input_count(); ++i) {
    rt::Tensor v;
    s = inputs[static_cast<size_t>(i)].view(&v);
    if (s.is_ok()) s = ex->set_input(i, v);
    if (!s.is_ok()) return run_failure(s);
  }
  s = ex->run();
  if (!s.is_ok()) return run_failure(s);
  std::vector<import::HostTensor> outputs;
  for (int i = 0; i < ex->output_count(); ++i) {
    outputs.push_back(import::host_from_view(ex->output(i), ex->output_info(i).name));
    if (!f.outputs.empty()) {
      s = import::write_tensor_file(f.outputs + "/output_" + std::to_string(i) + ".pb", outputs.back());
      if (!s.is_ok()) return report(kTool, s, kExitMismatch);
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::printf("output %zu '%s': %s\n", i, outputs[i].name.c_str(), summarize(outputs[i]).c_str());
  }
  const int code = f.compare ? compare_outputs(f, outputs) : kExitOk;
  // Timing comes last so the latency line is the last line printed.
  if (f.runs > 0) {
    for (int k = 1; k < kWarmupRuns && s.is_ok(); ++k) s = ex->run();
    std::vector<double> ms;
    for (int k = 0; k < f.runs && s.is_ok(); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      s = ex->run();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (!s.is_ok()) return run_failure(s);
    std::sort(ms.begin(), ms.end());
    const double median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
    std::printf("latency_ms median=%.4f min=%.4f max=%.4f\n", median, ms.front(), ms.back());
  }

  return code;
}

}  // namespace
}  // namespace parallax::driver

int main(int argc, char** argv) {
  using namespace parallax::driver;
  Flags f;
  CLI::App app{"Run an ONNX model with the Parallax runtime and check its outputs"};
  app.add_option("model", f.model, "ONNX model (.onnx, or .onnxtxt text format)")->required();
  app.add_option("--inputs", f.inputs, "folder with input_N.pb (and output_N.pb for --compare)");
  app.add_flag("--compare", f.compare, "compare outputs with DIR/output_N.pb");
  app.add_option("--rtol", f.rtol, "relative tolerance for --compare");
  app.add_option("--atol", f.atol, "absolute tolerance for --compare");
  app.add_option("--runs", f.runs, "time N runs after 3 warm-up runs");
  app.add_option("--outputs", f.outputs, "write output_N.pb files to this folder");
  app.add_option("--input-shape", f.input_shapes, "pin an input's shape: name=1x3x224x224")
      ->allow_extra_args(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUnsupported;
  }
  if (f.compare && f.inputs.empty()) {
    std::fprintf(stderr, "parallax-run: error: --compare needs --inputs DIR\n");
    return kExitUnsupported;
  }
  try {
    return run_tool(f);
  } catch (const std::exception& e) {
    // Library code reports through Status; this only catches allocation failures and the like.
    std::fprintf(stderr, "parallax-run: error: internal error: %s\n", e.what());
    return kExitMismatch;
  }
}
