// Chrome trace JSON ("Trace Event Format") of the last run: one complete ("X") event per step,
// and one per stretch a worker spent helping another worker's step with its intra-op tiles
// (args.help = 1, same name and branch as the step), one row (tid) per worker, named after the
// core it is pinned to. Perfetto and chrome://tracing open it.
#include <cstdio>
#include <string>

#include "executor_state.h"

namespace parallax::rt {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string row_name(const Executor::State& st, int w) {
  const WorkerSpec& spec = st.workers->spec(w);
  std::string name = spec.cpus.empty() ? "worker" : "cpu" + format_cpu_list(spec.cpus);
  name += " (cluster " + std::to_string(spec.cluster) + ", worker " + std::to_string(w);
  if (w == 0)
    name += ", calling thread";
  else if (!st.workers->pinned(w))
    name += ", not pinned";
  return name + ")";
}

}  // namespace

Status write_trace(const Executor::State& st, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Status::invalid("cannot write the trace file '" + path + "'");
  const GraphProgram& main = st.program->main();
  std::fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
  std::fprintf(f,
               "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
               "\"args\":{\"name\":%s}}",
               json_string("parallax " + main.name).c_str());
  for (int w = 0; w < st.workers->size(); ++w) {
    std::fprintf(f,
                 ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                 "\"args\":{\"name\":%s}}",
                 w, json_string(row_name(st, w)).c_str());
    std::fprintf(f,
                 ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                 "\"args\":{\"sort_index\":%d}}",
                 w, w);
  }
  std::vector<int32_t> branch_of(main.steps.size(), -1);
  for (size_t b = 0; b < st.branches.size(); ++b)
    for (int32_t k : st.branches[b].steps) branch_of[k] = static_cast<int32_t>(b);
  size_t dropped = 0;
  for (int w = 0; w < static_cast<int>(st.traces.size()); ++w) {
    const WorkerTrace& t = st.traces[w];
    dropped += t.dropped;
    for (size_t i = 0; i < t.count; ++i) {
      const TraceEvent& e = t.events[i];
      const Step& s = main.steps[e.step];
      std::fprintf(f,
                   ",\n{\"name\":%s,\"cat\":%s,\"ph\":\"X\",\"pid\":1,\"tid\":%d,"
                   "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"step\":%d,\"branch\":%d%s}}",
                   json_string(s.name).c_str(), json_string(s.op_type).c_str(), w,
                   static_cast<double>(e.begin_ns) / 1e3,
                   static_cast<double>(e.end_ns - e.begin_ns) / 1e3, e.step,
                   e.help ? branch_of[e.step] : e.branch, e.help ? ",\"help\":1" : "");
    }
  }
  if (dropped > 0) {
    std::fprintf(f,
                 ",\n{\"name\":\"trace buffer full\",\"ph\":\"i\",\"s\":\"g\",\"pid\":1,"
                 "\"tid\":0,\"ts\":0,\"args\":{\"dropped_events\":%zu}}",
                 dropped);
  }
  std::fprintf(f, "\n]}\n");
  const bool ok = std::ferror(f) == 0;
  if (std::fclose(f) != 0 || !ok) {
    return Status::invalid("cannot write the trace file '" + path + "'");
  }
  return Status::ok();
}

}  // namespace parallax::rt
