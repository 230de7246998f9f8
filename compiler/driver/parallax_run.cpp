// parallax-run: import an ONNX model, run it with the reference executor, and optionally
// compare against expected outputs (the ONNX backend test layout: DIR/input_N.pb,
// DIR/output_N.pb).
//
//   parallax-run model.onnx --inputs test_data_set_0 --compare
//   parallax-run model.onnx --input-shape x=1x3x224x224 --runs 20
//   parallax-run model.onnx --inputs test_data_set_0 --warmup 5 --serve   (scripts/benchmark.py)
//
// Exit codes: 0 outputs match (or nothing to compare), 1 mismatch or run-time error,
// 2 invalid or unsupported model.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <malloc.h>
#include <sys/resource.h>

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

struct Flags {
  std::string model;
  std::string inputs;
  std::string outputs;
  bool compare = false;
  double rtol = 1e-3;
  double atol = 1e-7;
  int runs = 0;
  int warmup = 3;   // untimed runs before timing, the first (printed, compared) one included
  int threads = 0;  // plan and executor threads; 0 = every core the process may use
  std::string trace;  // Chrome trace JSON of the last run
  bool serve = false;
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

rt::Status write_outputs(const std::vector<import::HostTensor>& outputs, const std::string& dir) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    PARALLAX_RETURN_IF_ERROR(
        import::write_tensor_file(dir + "/output_" + std::to_string(i) + ".pb", outputs[i]));
  }
  return rt::Status::ok();
}

std::vector<import::HostTensor> copy_outputs(const rt::Executor& ex) {
  std::vector<import::HostTensor> outputs;
  for (int i = 0; i < ex.output_count(); ++i) {
    outputs.push_back(import::host_from_view(ex.output(i), ex.output_info(i).name));
  }
  return outputs;
}

// Runs `count` times, appending each run's wall time in milliseconds to `ms`.
rt::Status timed_runs(rt::Executor& ex, int count, std::vector<double>* ms) {
  for (int k = 0; k < count; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    PARALLAX_RETURN_IF_ERROR(ex.run());
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    ms->push_back(std::chrono::duration<double, std::milli>(elapsed).count());
  }
  return rt::Status::ok();
}

// Peak resident set size of this process so far, in KiB: VmHWM (see resident_memory), else
// getrusage's figure.
long peak_rss_kib() {
  const long peak = resident_memory().peak_kib;
  if (peak >= 0) return peak;
  rusage usage{};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : -1;
}

// The last line of a timed invocation. The first three fields are the documented stable
// prefix; the rest (run count, settings, peak RSS, every run's time in run order) were appended
// for scripts/benchmark.py.
void print_latency(const Flags& f, const std::vector<double>& ms) {
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  std::string times;
  for (double t : ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.4f", times.empty() ? "" : ",", t);
    times += buf;
  }
  std::printf(
      "latency_ms median=%.4f min=%.4f max=%.4f runs=%zu warmup=%d threads=%d peak_rss_kb=%ld "
      "times=%s\n",
      median, sorted.front(), sorted.back(), n, f.warmup, f.threads, peak_rss_kib(), times.c_str());
}

// --serve: the benchmark protocol. scripts/benchmark.py keeps this process alive and alternates
// batches of timed runs with an ONNX Runtime process, so model load and warm-up are paid once
// and the peak RSS is this process's own. One answer line per command read from stdin:
//   run K        "times_ms T1 ... TK" (K timed runs)
//   outputs DIR  writes DIR/output_N.pb from the latest run, answers "written"
//   quit or EOF  prints the latency line over every timed run and returns
// Stdout is a pipe here, hence the flush after every answer.
int serve(const Flags& f, rt::Executor& ex) {
  std::printf("ready\n");
  std::fflush(stdout);
  std::vector<double> all;
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") {
    if (line.rfind("run ", 0) == 0) {
      std::vector<double> ms;
      rt::Status s = timed_runs(ex, std::atoi(line.c_str() + 4), &ms);
      if (!s.is_ok()) return run_failure(s);
      std::printf("times_ms");
      for (double t : ms) std::printf(" %.4f", t);
      std::printf("\n");
      all.insert(all.end(), ms.begin(), ms.end());
    } else if (line.rfind("outputs ", 0) == 0) {
      rt::Status s = write_outputs(copy_outputs(ex), line.substr(8));
      if (!s.is_ok()) return report(kTool, s, kExitMismatch);
      std::printf("written\n");
    } else {
      std::fprintf(stderr, "parallax-run: error: --serve: unknown command '%s'\n", line.c_str());
      return kExitUnsupported;
    }
    std::fflush(stdout);
  }
  if (!all.empty()) print_latency(f, all);
  std::fflush(stdout);
  return kExitOk;
}

// Model file -> Program. Each stage gives up what the next one does not need, so that the
// model's weights are resident about once at any time (docs/design.md, "Memory"): the ONNX
// proto's tensor bytes move into the IR, the IR's into Program::weights, and the IR and the
// plan are gone when this returns.
rt::Status load_program(const Flags& f, rt::Program* program) {
  import::ImportOptions options;
  PARALLAX_RETURN_IF_ERROR(parse_input_shapes(f.input_shapes, &options));
  ir::Graph graph;
  PARALLAX_RETURN_IF_ERROR(load_ir(f.model, options, &graph));
  trace_memory("imported");
  ir::Plan plan;
  passes::CompileOptions compile;
  compile.threads = f.threads;
  passes::PassContext ctx{graph, plan, compile};
  PARALLAX_RETURN_IF_ERROR(passes::run_pipeline(ctx, passes::PipelineOptions{}));
  trace_memory("compiled");
  return codegen::build_program(std::move(graph), plan, program);
}

int run_tool(const Flags& f) {
  // Loading hands each tensor's bytes from one owner to the next and frees the old copy at
  // once. glibc returns a freed block to the system at once only when it was mmapped, and its
  // adaptive threshold soon serves blocks of up to 32 MiB from the heap, where a freed block
  // stays resident. So while loading, every block of 256 KiB or more is mmapped.
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  rt::Program program;
  rt::Status s = load_program(f, &program);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  malloc_trim(0);  // what the small blocks of the IR and the proto left free in the heap
  // For the runs, the limits glibc's adaptive thresholds settle at: run-time temporaries come
  // from the heap and are reused, not mapped and faulted in on every run.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  trace_memory("program built");
  rt::ExecutorOptions exec;
  exec.threads = f.threads;
  exec.trace_path = f.trace;
  exec.discard_packed_constants = true;  // this process's only executor of `program`
  std::unique_ptr<rt::Executor> ex;
  s = rt::Executor::create(&program, exec, &ex);
  if (!s.is_ok()) return report(kTool, s, kExitUnsupported);
  trace_memory("executor created");

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
  trace_memory("first run");
  const std::vector<import::HostTensor> outputs = copy_outputs(*ex);
  if (!f.outputs.empty()) {
    s = write_outputs(outputs, f.outputs);
    if (!s.is_ok()) return report(kTool, s, kExitMismatch);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::printf("output %zu '%s': %s\n", i, outputs[i].name.c_str(), summarize(outputs[i]).c_str());
  }
  const int code = f.compare ? compare_outputs(f, outputs) : kExitOk;
  // Timing comes last so the latency line is the last line printed. The run above was the
  // first warm-up.
  if (f.runs > 0 || f.serve) {
    for (int k = 1; k < f.warmup && s.is_ok(); ++k) s = ex->run();
    if (!s.is_ok()) return run_failure(s);
  }
  if (f.serve) return code != kExitOk ? code : serve(f, *ex);
  if (f.runs > 0) {
    std::vector<double> ms;
    s = timed_runs(*ex, f.runs, &ms);
    if (!s.is_ok()) return run_failure(s);
    print_latency(f, ms);
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
  app.add_option("--runs", f.runs, "time N runs after the warm-up runs");
  app.add_option("--warmup", f.warmup, "untimed runs before timing, the first run included")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--threads", f.threads, "CPU threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--trace", f.trace,
                 "write each run's per-step timeline to FILE as Chrome trace JSON (Perfetto)");
  app.add_flag("--serve", f.serve,
               "after the warm-ups, time batches of runs on request from stdin "
               "(the protocol of scripts/benchmark.py)");
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
