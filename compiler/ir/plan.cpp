#include "compiler/ir/plan.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace parallax::ir {

const char* device_name(Device d) { return d == Device::kGpu ? "gpu" : "cpu"; }

const char* node_kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::kSequential: return "sequential";
    case NodeKind::kSplitter: return "splitter";
    case NodeKind::kMerger: return "merger";
    case NodeKind::kSplitMerge: return "split-merge";
  }
  return "?";
}

namespace {

std::string ids(const std::vector<int32_t>& v, const char* prefix = "") {
  std::string r = "[";
  for (size_t i = 0; i < v.size(); ++i) r += (i ? "," : "") + (prefix + std::to_string(v[i]));
  return r + "]";
}

void line(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void line(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  out += buf;
  out += '\n';
}

}  // namespace

std::string print_plan(const Graph& g, const Plan& plan) {
  std::string out;
  line(out, "plan \"%s\"", g.name.c_str());
  if (plan.placed()) {
    size_t gpu = 0, cpu = 0;
    for (NodeId n : g.regions[0].nodes) (plan.device[n] == Device::kGpu ? gpu : cpu)++;
    line(out, "placement cpu=%zu gpu=%zu", cpu, gpu);
  }
  // One line per main-region node, in execution order.
  for (NodeId n : g.regions[0].nodes) {
    std::string s = "node %" + std::to_string(n) + " \"" + g.nodes[n].name + "\" " + g.nodes[n].op_type;
    if (plan.placed()) s += std::string(" device=") + device_name(plan.device[n]);
    if (plan.has_branches()) {
      s += std::string(" kind=") + node_kind_name(plan.kind[n]);
      s += " branch=" + std::to_string(plan.node_branch[n]);
    }
    if (plan.placed() || plan.has_branches()) out += s + "\n";
  }
  if (plan.scheduled()) {
    for (size_t p = 0; p < plan.processors.size(); ++p) {
      const Processor& pr = plan.processors[p];
      line(out, "processor %zu %s%s cores=%d speed=%.2f", p, pr.name.c_str(), pr.gpu ? " gpu" : "",
           pr.cores, pr.speed);
    }
  }
  if (plan.has_branches()) {
    // The paper's Table 7 measures: layers holding more than one branch, and the widest layer.
    std::vector<int> width(static_cast<size_t>(std::max(plan.layer_count, 0)), 0);
    for (const Branch& br : plan.branches)
      if (br.layer >= 0 && br.layer < plan.layer_count) ++width[br.layer];
    int parallel = 0, widest = 0;
    for (int w : width) {
      parallel += w > 1;
      widest = std::max(widest, w);
    }
    line(out, "branches=%zu layers=%d parallel_layers=%d max_width=%d", plan.branches.size(),
         plan.layer_count, parallel, widest);
    for (size_t b = 0; b < plan.branches.size(); ++b) {
      const Branch& br = plan.branches[b];
      std::string s = "branch " + std::to_string(b) + " layer=" + std::to_string(br.layer) +
                      " device=" + device_name(br.device);
      if (plan.scheduled()) {
        char buf[160];
        std::snprintf(buf, sizeof buf, " processor=%s threads=%d cost_us=%.1f start_us=%.1f finish_us=%.1f",
                      br.processor >= 0 ? plan.processors[br.processor].name.c_str() : "none",
                      br.threads, br.cost_us, br.start_us, br.finish_us);
        s += buf;
      }
      s += " preds=" + ids(br.preds) + " succs=" + ids(br.succs) + " nodes=" + ids(br.nodes, "%");
      out += s + "\n";
    }
  }
  if (plan.memory_planned()) {
    const MemoryPlan& m = plan.memory;
    for (size_t v = 0; v < m.offset.size(); ++v) {
      if (m.offset[v] == MemoryPlan::kNotInArena) continue;
      std::string s = "value %" + std::to_string(v) + " \"" + g.values[v].name +
                      "\" offset=" + std::to_string(m.offset[v]) + " bytes=" + std::to_string(m.bytes[v]);
      if (v < m.in_place_of.size() && m.in_place_of[v] >= 0)
        s += " in_place_of=%" + std::to_string(m.in_place_of[v]);
      out += s + "\n";
    }
    // Id lists can be long: appended whole, never through line()'s fixed buffer.
    if (!m.unsized.empty()) {
      out += "note: " + std::to_string(m.unsized.size()) +
             " values have no static size and are allocated outside the arena: " +
             ids(m.unsized, "%") + "\n";
    }
    out += "lower_bound_set=" + ids(m.lower_bound_set, "%") + "\n";
    line(out, "memory arena=%" PRIu64 " lower_bound=%" PRIu64 " sequential=%" PRIu64 " naive=%" PRIu64,
         m.arena_bytes, m.lower_bound_bytes, m.sequential_bytes, m.naive_bytes);
  }
  return out;
}

}  // namespace parallax::ir
