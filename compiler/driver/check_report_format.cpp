// The two forms of a CheckReport (text summary, JSON report) and the `--check` command.
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "compiler/driver/check_report.h"
#include "compiler/driver/tool_common.h"

namespace parallax::driver {
namespace {

std::string shape_text(const TensorSummary& t) {
  if (!t.rank_known) return "[unranked]";
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    s += (i ? "," : "") + (t.dims[i] < 0 ? std::string("?") : std::to_string(t.dims[i]));
  }
  return s + "]";
}

std::string op_text(const UnsupportedOp& op) {
  return (op.domain.empty() ? "" : op.domain + ".") + op.op_type;
}

nlohmann::ordered_json tensors_json(const std::vector<TensorSummary>& ts) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const TensorSummary& t : ts) {
    nlohmann::ordered_json j;
    j["name"] = t.name;
    j["dtype"] = t.dtype;
    j["shape"] = t.rank_known ? nlohmann::ordered_json(t.dims) : nlohmann::ordered_json();
    a.push_back(std::move(j));
  }
  return a;
}

}  // namespace
std::string format_check_text(const CheckReport& r) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line("check \"" + r.model + "\": " + (r.compilable() ? "compilable" : "not compilable"));
  if (r.imported) {
    line("graph \"" + r.graph + "\"");
    for (const TensorSummary& t : r.inputs)
      line("input " + t.name + " " + t.dtype + " " + shape_text(t));
    for (const TensorSummary& t : r.outputs)
      line("output " + t.name + " " + t.dtype + " " + shape_text(t));
    line("nodes imported=" + std::to_string(r.nodes_imported) +
         (r.compiled ? " compiled=" + std::to_string(r.nodes_compiled) : ""));
    line("weights imported_bytes=" + std::to_string(r.weights_imported_bytes) +
         " tensors=" + std::to_string(r.weight_tensors_imported) +
         (r.lowered ? " program_bytes=" + std::to_string(r.weights_bytes) : ""));
  }
  if (!r.unsupported.empty()) {
    line("unsupported operators: " + std::to_string(r.unsupported.size()) + " ops, " +
         std::to_string(r.unsupported_node_count()) + " nodes");
    for (const UnsupportedOp& op : r.unsupported) {
      std::string names;
      for (const std::string& n : op.nodes) names += (names.empty() ? "'" : ", '") + n + "'";
      line("  " + op_text(op) + " opset=" + std::to_string(op.opset) +
           " count=" + std::to_string(op.nodes.size()) + ": " + names);
    }
  }
  if (r.compiled) {
    line("placement cpu=" + std::to_string(r.cpu_nodes) + " gpu=" + std::to_string(r.gpu_nodes) +
         " gpu_backend=" + r.gpu);
    for (const ProcessorSummary& p : r.processors) {
      line("  processor " + p.name + (p.gpu ? " gpu" : "") + " cores=" + std::to_string(p.cores) +
           " branches=" + std::to_string(p.branches) + " nodes=" + std::to_string(p.nodes));
    }
    for (const GpuFallback& f : r.gpu_fallbacks) {
      line("  gpu_fallback " + f.op_type + " nodes=" + std::to_string(f.nodes) + " (" + f.reason +
           ")");
    }
    line("branches=" + std::to_string(r.branches) + " layers=" + std::to_string(r.layers) +
         " parallel_layers=" + std::to_string(r.parallel_layers) +
         " max_width=" + std::to_string(r.max_width));
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "memory arena=%" PRIu64 " lower_bound=%" PRIu64 " sequential=%" PRIu64
                  " naive=%" PRIu64 " unsized_values=%" PRId64,
                  r.arena_bytes, r.lower_bound_bytes, r.sequential_bytes, r.naive_bytes,
                  r.unsized_values);
    line(buf);
  }
  if (!r.error_stage.empty()) line("error: " + r.error_stage + ": " + r.error);
  char ms[64];
  std::snprintf(ms, sizeof ms, "compile_ms=%.1f", r.compile_ms);
  line(ms);
  return out;
}

std::string format_check_json(const CheckReport& r) {
  using json = nlohmann::ordered_json;
  json j;
  j["schema"] = "parallax-check/1";
  j["model"] = r.model;
  j["compilable"] = r.compilable();
  j["error"] =
      r.error_stage.empty() ? json() : json{{"stage", r.error_stage}, {"message", r.error}};
  json ops = json::array();
  for (const UnsupportedOp& op : r.unsupported) {
    ops.push_back(json{{"op_type", op.op_type},
                       {"domain", op.domain},
                       {"opset", op.opset},
                       {"count", op.nodes.size()},
                       {"nodes", op.nodes}});
  }
  j["unsupported"] = {{"ops", ops.size()}, {"nodes", r.unsupported_node_count()}, {"list", ops}};
  if (r.imported) {
    j["graph"] = r.graph;
    j["inputs"] = tensors_json(r.inputs);
    j["outputs"] = tensors_json(r.outputs);
    j["nodes"] = {{"imported", r.nodes_imported},
                  {"compiled", r.compiled ? json(r.nodes_compiled) : json()}};
    j["weights"] = {{"tensors", r.weight_tensors_imported},
                    {"imported_bytes", r.weights_imported_bytes},
                    {"program_bytes", r.lowered ? json(r.weights_bytes) : json()}};
  } else {
    for (const char* k : {"graph", "inputs", "outputs", "nodes", "weights"}) j[k] = nullptr;
  }
  if (r.compiled) {
    json procs = json::array();
    for (const ProcessorSummary& p : r.processors) {
      procs.push_back(json{{"name", p.name},
                           {"gpu", p.gpu},
                           {"cores", p.cores},
                           {"branches", p.branches},
                           {"nodes", p.nodes}});
    }
    json fallbacks = json::array();
    for (const GpuFallback& f : r.gpu_fallbacks) {
      fallbacks.push_back(json{{"op_type", f.op_type}, {"reason", f.reason}, {"nodes", f.nodes}});
    }
    j["placement"] = {{"gpu_backend", r.gpu},
                      {"cpu_nodes", r.cpu_nodes},
                      {"gpu_nodes", r.gpu_nodes},
                      {"processors", procs},
                      {"gpu_fallbacks", fallbacks}};
    j["branches"] = {{"count", r.branches},
                     {"layers", r.layers},
                     {"parallel_layers", r.parallel_layers},
                     {"max_width", r.max_width}};
    j["memory"] = {{"arena_bytes", r.arena_bytes},
                   {"lower_bound_bytes", r.lower_bound_bytes},
                   {"sequential_bytes", r.sequential_bytes},
                   {"naive_bytes", r.naive_bytes},
                   {"unsized_values", r.unsized_values}};
  } else {
    for (const char* k : {"placement", "branches", "memory"}) j[k] = nullptr;
  }
  j["compile_ms"] = static_cast<double>(static_cast<int64_t>(r.compile_ms * 10 + 0.5)) / 10;
  return j.dump(2) + "\n";
}

int run_check_command(const std::string& model, const std::vector<std::string>& input_shapes,
                      const passes::CompileOptions& compile_options,
                      const std::string& report_path) {
  import::ImportOptions options;
  rt::Status s = parse_input_shapes(input_shapes, &options);
  if (!s.is_ok()) return report("parallax-compile", s, kExitUnsupported);
  const CheckReport r = check_model(model, options, compile_options);
  std::fputs(format_check_text(r).c_str(), stdout);
  std::fflush(stdout);
  if (!report_path.empty()) {
    std::ofstream f(report_path, std::ios::binary | std::ios::trunc);
    f << format_check_json(r);
    f.close();
    if (!f) {
      return report("parallax-compile",
                    rt::Status::invalid("--report: cannot write '" + report_path + "'"),
                    kExitUnsupported);
    }
  }
  if (r.compilable()) return kExitOk;
  // The usual one-line error too, so that CI logs read like those of a normal compile.
  if (!r.unsupported.empty()) {
    std::string list;
    for (const UnsupportedOp& op : r.unsupported) {
      for (const std::string& n : op.nodes) {
        list += (list.empty() ? "" : ", ") + ("node '" + n + "' (" + op_text(op) + ")");
      }
    }
    return report("parallax-compile", rt::Status::unsupported("unsupported operators: " + list),
                  kExitUnsupported);
  }
  return report("parallax-compile", rt::Status::invalid(r.error), kExitUnsupported);
}

}  // namespace parallax::driver
