#include "compiler/driver/check_report.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include "codegen/emit_cpp.h"
#include "codegen/program_builder.h"
#include "compiler/import/function_expander.h"
#include "compiler/import/model_loader.h"
#include "compiler/ir/verifier.h"
#include "parallax/runtime/kernel.h"
#include "passes/backend.h"

namespace parallax::driver {
namespace {

using OpKey = std::tuple<std::string, std::string, int>;  // domain, op type, opset
using OpsetMap = std::map<std::string, int>;

std::string plain_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

// Mirrors the importer's own check (function_expander.cpp): a node is supported when a kernel,
// a model-local function or a schema function body can run it. Here every hit is recorded with
// its key instead of joined into one message.
void list_proto_unsupported(const onnx::GraphProto& g, const OpsetMap& opsets,
                            const std::set<std::pair<std::string, std::string>>& local,
                            std::map<OpKey, std::vector<std::string>>* out) {
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) list_proto_unsupported(a.g(), opsets, local, out);
      for (const auto& sg : a.graphs()) list_proto_unsupported(sg, opsets, local, out);
    }
    const std::string domain = plain_domain(n.domain());
    auto it = opsets.find(domain);
    const int opset = it == opsets.end() ? 0 : it->second;
    if (local.count({n.domain(), n.op_type()}) ||
        rt::find_kernel(domain, n.op_type(), opset) >= 0 ||
        import::has_function_body(domain, n.op_type(), opset)) {
      continue;
    }
    (*out)[{domain, n.op_type(), opset}].push_back(n.name());
  }
}

// After import, function bodies are expanded: a body op without a kernel surfaces only here.
void list_ir_unsupported(const ir::Graph& g, std::map<OpKey, std::vector<std::string>>* out) {
  for (const ir::Region& r : g.regions) {
    for (ir::NodeId id : r.nodes) {
      const ir::Node& n = g.nodes[id];
      if (rt::find_kernel(n.domain, n.op_type, n.opset) >= 0) continue;
      std::vector<std::string>& names = (*out)[{n.domain, n.op_type, n.opset}];
      if (std::find(names.begin(), names.end(), n.name) == names.end()) names.push_back(n.name);
    }
  }
}

TensorSummary summarize_value(const ir::Value& v) {
  return TensorSummary{v.name, rt::dtype_name(v.dtype), v.rank_known, v.dims};
}

int64_t node_count(const ir::Graph& g) {
  int64_t n = 0;
  for (const ir::Region& r : g.regions) n += static_cast<int64_t>(r.nodes.size());
  return n;
}

bool is_control_flow(const ir::Node& n) {
  return std::any_of(n.attrs.begin(), n.attrs.end(),
                     [](const rt::Attribute& a) { return a.kind == rt::Attribute::Kind::kGraph; });
}

void summarize_import(const ir::Graph& g, CheckReport* r) {
  r->imported = true;
  r->graph = g.name;
  for (ir::ValueId v : g.regions[0].inputs) r->inputs.push_back(summarize_value(g.values[v]));
  for (ir::ValueId v : g.regions[0].outputs) r->outputs.push_back(summarize_value(g.values[v]));
  r->nodes_imported = node_count(g);
  for (const ir::Value& v : g.values) {
    if (!v.is_constant) continue;
    ++r->weight_tensors_imported;
    r->weights_imported_bytes += static_cast<int64_t>(v.data.size());
  }
}

void summarize_plan(const ir::Graph& g, const ir::Plan& plan, const passes::CompileOptions& opts,
                    CheckReport* r) {
  r->compiled = true;
  r->nodes_compiled = node_count(g);
  const passes::Backend* gpu = opts.gpu == "none" ? nullptr : passes::find_backend(opts.gpu);
  std::map<std::pair<std::string, std::string>, int> fallbacks;
  for (ir::NodeId n : g.regions[0].nodes) {
    if (plan.device[n] == ir::Device::kGpu) {
      ++r->gpu_nodes;
      continue;
    }
    ++r->cpu_nodes;
    if (opts.gpu == "none") continue;
    const ir::Node& node = g.nodes[n];
    const bool runnable = gpu != nullptr && !is_control_flow(node) && gpu->supports(g, n);
    ++fallbacks[{node.op_type, runnable ? "offload rule" : "no kernel"}];
  }
  for (const auto& [key, count] : fallbacks)
    r->gpu_fallbacks.push_back({key.first, key.second, count});
  for (const ir::Processor& p : plan.processors)
    r->processors.push_back({p.name, p.gpu, p.cores, 0, 0});
  for (const ir::Branch& b : plan.branches) {
    if (b.processor < 0 || b.processor >= static_cast<int32_t>(r->processors.size())) continue;
    ++r->processors[b.processor].branches;
    r->processors[b.processor].nodes += static_cast<int>(b.nodes.size());
  }
  r->branches = static_cast<int64_t>(plan.branches.size());
  r->layers = plan.layer_count;
  std::vector<int64_t> width(static_cast<size_t>(std::max(plan.layer_count, 0)), 0);
  for (const ir::Branch& b : plan.branches)
    if (b.layer >= 0 && b.layer < plan.layer_count) ++width[b.layer];
  for (int64_t w : width) {
    r->parallel_layers += w > 1;
    r->max_width = std::max(r->max_width, w);
  }
  const ir::MemoryPlan& m = plan.memory;
  r->arena_bytes = m.arena_bytes;
  r->lower_bound_bytes = m.lower_bound_bytes;
  r->sequential_bytes = m.sequential_bytes;
  r->naive_bytes = m.naive_bytes;
  r->unsized_values = static_cast<int64_t>(m.unsized.size());
}

// The stages; each returns false when the check cannot go on.
bool validate(const std::string& path, onnx::ModelProto* model, CheckReport* r,
              std::map<OpKey, std::vector<std::string>>* unsupported) {
  rt::Status s = import::parse_model_file(path, model);
  if (!s.is_ok()) {
    r->error_stage = "load";
    r->error = s.message();
    return false;
  }
  const size_t slash = path.find_last_of('/');
  s = import::prepare_model(slash == std::string::npos ? "." : path.substr(0, slash), model);
  if (!s.is_ok()) {
    r->error_stage = "validate";
    r->error = s.message();
    return false;
  }
  OpsetMap opsets;
  for (const auto& op : model->opset_import()) {
    opsets[plain_domain(op.domain())] = static_cast<int>(op.version());
  }
  std::set<std::pair<std::string, std::string>> local;
  for (const auto& f : model->functions()) local.insert({f.domain(), f.name()});
  list_proto_unsupported(model->graph(), opsets, local, unsupported);
  return true;
}

void check_stages(const std::string& path, const import::ImportOptions& import_options,
                  const passes::CompileOptions& compile_options, CheckReport* r) {
  std::map<OpKey, std::vector<std::string>> unsupported;
  onnx::ModelProto model;
  const bool valid = validate(path, &model, r, &unsupported);
  // Whatever happens next, the list gathered so far is reported.
  auto finish_list = [&] {
    for (auto& [key, nodes] : unsupported) {
      r->unsupported.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), nodes});
    }
  };
  if (!valid) return finish_list();

  import::ImportOptions lenient = import_options;
  lenient.require_kernels = false;
  ir::Graph g;
  // The parsed model is reused (large models take seconds to read); preparing it again in the
  // importer changes nothing.
  const size_t slash = path.find_last_of('/');
  rt::Status s = import::import_model_proto(
      std::move(model), slash == std::string::npos ? "." : path.substr(0, slash), lenient, &g);
  if (s.is_ok()) {
    s = ir::verify(g);
    if (!s.is_ok()) s = rt::Status::internal("the imported IR is malformed: " + s.message());
  }
  if (!s.is_ok()) {
    r->error_stage = "import";
    r->error = s.message();
    return finish_list();
  }
  list_ir_unsupported(g, &unsupported);
  finish_list();
  summarize_import(g, r);

  ir::Plan plan;
  passes::PassContext ctx{g, plan, compile_options};
  s = passes::run_pipeline(ctx, passes::PipelineOptions{});
  if (!s.is_ok()) {
    r->error_stage = "pipeline";
    r->error = s.message();
    return;
  }
  summarize_plan(g, plan, compile_options, r);
  if (!r->unsupported.empty()) return;  // lowering would only list them again

  rt::Program program;
  s = codegen::build_program(g, plan, &program);
  if (!s.is_ok()) {
    r->error_stage = "lower";
    r->error = s.message();
    return;
  }
  r->lowered = true;
  r->weights_bytes = static_cast<int64_t>(program.weights.size());

  // What `-o` would write, kept in memory: catches what only the emitter refuses.
  codegen::EmitOptions emit;
  emit.name = codegen::default_model_name(path);
  std::vector<codegen::GeneratedFile> files;
  s = codegen::emit_cpp(program, emit, &files);
  if (!s.is_ok()) {
    r->error_stage = "emit";
    r->error = s.message();
  }
}
}  // namespace

int CheckReport::unsupported_node_count() const {
  int n = 0;
  for (const UnsupportedOp& op : unsupported) n += static_cast<int>(op.nodes.size());
  return n;
}

CheckReport check_model(const std::string& path, const import::ImportOptions& import_options,
                        const passes::CompileOptions& compile_options) {
  CheckReport r;
  r.model = path;
  r.gpu = compile_options.gpu;
  const auto start = std::chrono::steady_clock::now();
  try {
    check_stages(path, import_options, compile_options, &r);
  } catch (const std::exception& e) {
    // A broken invariant somewhere in the compiler: still a report, never a crash.
    r.error_stage = r.compiled ? "lower" : r.imported ? "pipeline" : "import";
    r.error = std::string("internal error: ") + e.what();
  }
  r.compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace parallax::driver
