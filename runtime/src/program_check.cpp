// Validation of a Program before it runs: ids, kernels, the arena and the branch table. A
// broken branch table would be a data race at run time, so every producer -> reader pair is
// checked against the happens-before relation here, once.
#include <algorithm>
#include <string>
#include <vector>

#include "executor_state.h"

namespace parallax::rt {
namespace {

Status check_ids(const Program& p) {
  const int n_tensors = static_cast<int>(p.tensors.size());
  const int n_kernels = static_cast<int>(kernel_table().size());
  const int n_graphs = static_cast<int>(p.graphs.size());
  auto valid = [&](int32_t id, bool allow_absent) {
    return (allow_absent && id == -1) || (id >= 0 && id < n_tensors);
  };
  std::vector<int> body_refs(p.graphs.size(), 0);
  for (const GraphProgram& g : p.graphs) {
    for (int32_t id : g.inputs)
      if (!valid(id, false)) return Status::internal("graph input id out of range");
    for (int32_t id : g.outputs)
      if (!valid(id, false)) return Status::internal("graph output id out of range");
    for (const Step& s : g.steps) {
      if (s.kernel < 0 || s.kernel >= n_kernels) {
        return Status::unsupported("no kernel").with_context(step_context(s));
      }
      if (s.output_wanted.size() != s.outputs.size()) {
        return Status::internal("output_wanted size mismatch").with_context(step_context(s));
      }
      for (int32_t id : s.inputs)
        if (!valid(id, true))
          return Status::internal("input id out of range").with_context(step_context(s));
      for (int32_t id : s.outputs)
        if (!valid(id, false))
          return Status::internal("output id out of range").with_context(step_context(s));
      for (const Attribute& a : s.attributes) {
        if (a.kind != Attribute::Kind::kGraph) continue;
        // A body runs on the worker of its step; two steps sharing one would share its tensors.
        if (a.graph <= 0 || a.graph >= n_graphs || ++body_refs[a.graph] > 1) {
          return Status::internal("attribute '" + a.name + "' refers to graph " +
                                  std::to_string(a.graph) +
                                  ", which is the main graph, out of "
                                  "range or another step's body")
              .with_context(step_context(s));
        }
      }
    }
  }
  return Status::ok();
}

Status check_arena(const Program& p, const std::vector<int32_t>& main_producer) {
  for (size_t id = 0; id < p.tensors.size(); ++id) {
    const TensorInfo& t = p.tensors[id];
    if (t.arena_offset == TensorInfo::kNotInArena) continue;
    // A 0-byte place is legal (an empty tensor): bind_storage gives it a stub instead.
    const bool ok = t.arena_offset >= 0 && t.arena_offset % 64 == 0 &&
                    static_cast<uint64_t>(t.arena_offset) + t.max_bytes <= p.arena_bytes &&
                    t.kind == TensorKind::kIntermediate && main_producer[id] >= 0;
    if (!ok) {
      return Status::internal("tensor '" + t.name + "' has arena offset " +
                              std::to_string(t.arena_offset) + " and " +
                              std::to_string(t.max_bytes) + " bytes, which is not a 64-byte " +
                              "aligned place of a main-graph intermediate inside the " +
                              std::to_string(p.arena_bytes) + "-byte arena");
    }
  }
  return Status::ok();
}

// Every tensor a step reads, its control-flow bodies' outer-scope reads included.
void collect_reads(const Program& p, const Step& s, std::vector<int32_t>* out) {
  for (int32_t id : s.inputs)
    if (id >= 0) out->push_back(id);
  for (const Attribute& a : s.attributes) {
    if (a.kind != Attribute::Kind::kGraph) continue;
    for (const Step& inner : p.graphs[a.graph].steps) collect_reads(p, inner, out);
  }
}

Status check_branches(const Program& p, const std::vector<BranchProgram>& br) {
  const GraphProgram& main = p.main();
  const int n = static_cast<int>(br.size());
  const int n_proc = std::max<int>(1, static_cast<int>(p.processors.size()));
  std::vector<int32_t> branch_of(main.steps.size(), -1), position(main.steps.size(), -1);
  std::vector<int32_t> incoming(br.size(), 0);
  for (int b = 0; b < n; ++b) {
    const std::string where = "branch " + std::to_string(b);
    if (br[b].processor < 0 || br[b].processor >= n_proc || br[b].threads < 0) {
      return Status::internal(where + " has processor " + std::to_string(br[b].processor) +
                              " and threads " + std::to_string(br[b].threads));
    }
    for (size_t k = 0; k < br[b].steps.size(); ++k) {
      const int32_t s = br[b].steps[k];
      if (s < 0 || s >= static_cast<int32_t>(main.steps.size()) || branch_of[s] >= 0) {
        return Status::internal(where + " lists step " + std::to_string(s) +
                                ", which is out of range or in another branch");
      }
      branch_of[s] = b;
      position[s] = static_cast<int32_t>(k);
    }
    for (size_t k = 0; k < br[b].succs.size(); ++k) {
      const int32_t t = br[b].succs[k];
      if (t < 0 || t >= n || t == b || (k > 0 && t <= br[b].succs[k - 1])) {
        return Status::internal(where + " has successors that are not sorted, unique branch ids");
      }
      ++incoming[t];
    }
  }
  for (size_t s = 0; s < main.steps.size(); ++s) {
    if (branch_of[s] < 0) {
      return Status::internal("no branch runs the step").with_context(step_context(main.steps[s]));
    }
  }
  // Kahn's algorithm: a topological order, and a check that pred_count is right.
  std::vector<int32_t> order, left = incoming;
  for (int b = 0; b < n; ++b) {
    if (incoming[b] != br[b].pred_count) {
      return Status::internal("branch " + std::to_string(b) + " has pred_count " +
                              std::to_string(br[b].pred_count) + " but " +
                              std::to_string(incoming[b]) + " branches list it as a successor");
    }
    if (left[b] == 0) order.push_back(b);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    for (int32_t t : br[order[i]].succs)
      if (--left[t] == 0) order.push_back(t);
  }
  if (static_cast<int>(order.size()) != n) return Status::internal("the branch graph has a cycle");

  // reach[b]: the branches b happens before (bitsets, filled in reverse topological order).
  const size_t words = (static_cast<size_t>(n) + 63) / 64;
  std::vector<uint64_t> reach(words * static_cast<size_t>(n), 0);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    uint64_t* r = &reach[static_cast<size_t>(*it) * words];
    for (int32_t t : br[*it].succs) {
      r[t / 64] |= uint64_t{1} << (t % 64);
      const uint64_t* rt = &reach[static_cast<size_t>(t) * words];
      for (size_t w = 0; w < words; ++w) r[w] |= rt[w];
    }
  }
  std::vector<int32_t> producer(p.tensors.size(), -1);
  for (size_t s = 0; s < main.steps.size(); ++s)
    for (int32_t id : main.steps[s].outputs) producer[id] = static_cast<int32_t>(s);
  std::vector<int32_t> reads;
  for (size_t s = 0; s < main.steps.size(); ++s) {
    reads.clear();
    collect_reads(p, main.steps[s], &reads);
    const int32_t cb = branch_of[s];
    for (int32_t id : reads) {
      const int32_t ps = producer[id];
      if (ps < 0) continue;  // an input, a constant or a body's own tensor
      const int32_t pb = branch_of[ps];
      const bool ordered =
          pb == cb ? position[ps] < position[s]
                   : ((reach[static_cast<size_t>(pb) * words + cb / 64] >> (cb % 64)) & 1) != 0;
      if (!ordered) {
        return Status::internal("it reads '" + p.tensors[id].name + "' from " +
                                step_context(main.steps[ps]) + ", which the branch table (" +
                                "branch " + std::to_string(pb) + " -> " + std::to_string(cb) +
                                ") does not order before it")
            .with_context(step_context(main.steps[s]));
      }
    }
  }
  return Status::ok();
}

}  // namespace

Status check_program(const Program& p, std::vector<BranchProgram>* branches) {
  if (p.graphs.empty()) return Status::invalid("empty program");
  PARALLAX_RETURN_IF_ERROR(check_ids(p));
  std::vector<int32_t> main_producer(p.tensors.size(), -1);
  for (size_t s = 0; s < p.main().steps.size(); ++s)
    for (int32_t id : p.main().steps[s].outputs) main_producer[id] = static_cast<int32_t>(s);
  PARALLAX_RETURN_IF_ERROR(check_arena(p, main_producer));
  if (p.branches.empty() && p.main().steps.empty()) {
    // Every output is a constant or an input: nothing to run, so no branch and no worker wakes.
    branches->clear();
    return Status::ok();
  }
  if (p.branches.empty()) {
    BranchProgram all;
    for (size_t s = 0; s < p.main().steps.size(); ++s) all.steps.push_back(static_cast<int32_t>(s));
    all.threads = 0;  // a lone branch uses every core of its cluster
    branches->assign(1, std::move(all));
    return Status::ok();
  }
  PARALLAX_RETURN_IF_ERROR(check_branches(p, p.branches));
  *branches = p.branches;
  return Status::ok();
}

}  // namespace parallax::rt
