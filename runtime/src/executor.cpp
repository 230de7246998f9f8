// Executor::create (topology -> workers -> thread pools -> arena -> slots -> prepare) and the
// public API. The run loop is in dataflow.cpp, a step's context in kernel_context.cpp.
#include "parallax/runtime/executor.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "executor_state.h"

namespace parallax::rt {
namespace {

// Chooses the clusters and the thread budget: st.topology (the clusters that got at least one
// thread, fastest first) and st.cluster_cpus (per cluster, a CPU per thread).
Status choose_threads(const ExecutorOptions& o, Executor::State& st) {
  Topology detected;
  PARALLAX_RETURN_IF_ERROR(detect_topology(o.topology, &detected));
  std::vector<std::vector<int>> cpus_of;  // per used cluster: a CPU per worker
  Topology used;
  used.source = detected.source;
  if (!o.threads_per_cluster.empty()) {
    if (o.threads_per_cluster.size() > detected.clusters.size()) {
      return Status::invalid("threads per cluster lists " +
                             std::to_string(o.threads_per_cluster.size()) +
                             " clusters; this machine has " + detected.to_string());
    }
    for (size_t c = 0; c < o.threads_per_cluster.size(); ++c) {
      const CoreCluster& cl = detected.clusters[c];
      if (o.threads_per_cluster[c] < 0) return Status::invalid("negative threads per cluster");
      if (o.threads_per_cluster[c] == 0) continue;
      used.clusters.push_back(cl);
      cpus_of.emplace_back();
      for (int k = 0; k < o.threads_per_cluster[c]; ++k) {
        cpus_of.back().push_back(cl.cpus[static_cast<size_t>(k) % cl.cpus.size()]);
      }
    }
  } else {
    if (o.threads < 0) return Status::invalid("negative thread count");
    const Topology sel = select_clusters(detected, o.affinity);
    const int total = o.threads > 0 ? o.threads : sel.core_count();
    // Core slots fastest cluster first; past the core count, wrap around.
    std::vector<std::pair<int, int>> cores;  // (cluster in sel, cpu)
    for (size_t c = 0; c < sel.clusters.size(); ++c)
      for (int cpu : sel.clusters[c].cpus) cores.emplace_back(static_cast<int>(c), cpu);
    std::vector<std::vector<int>> per(sel.clusters.size());
    for (int k = 0; k < total; ++k) {
      const auto& [c, cpu] = cores[static_cast<size_t>(k) % cores.size()];
      per[c].push_back(cpu);
    }
    for (size_t c = 0; c < sel.clusters.size(); ++c) {
      if (per[c].empty()) continue;
      used.clusters.push_back(sel.clusters[c]);
      cpus_of.push_back(std::move(per[c]));
    }
  }
  if (used.clusters.empty()) return Status::invalid("no threads to run on");
  st.topology = std::move(used);
  st.cluster_cpus = std::move(cpus_of);
  return Status::ok();
}

// Maps branches to clusters: the i-th CPU processor of the program runs on the i-th used cluster
// (the last when there are fewer); a GPU processor on the first until a GPU backend exists.
void map_branches(Executor::State& st) {
  const int clusters = static_cast<int>(st.topology.clusters.size());
  std::vector<int32_t> cluster_of_processor;
  int cpu_index = 0;
  for (const ProcessorInfo& proc : st.program->processors) {
    cluster_of_processor.push_back(proc.gpu ? 0 : std::min(cpu_index++, clusters - 1));
  }
  if (cluster_of_processor.empty()) cluster_of_processor.push_back(0);
  st.branch_cluster.clear();
  for (const BranchProgram& br : st.branches) {
    st.branch_cluster.push_back(cluster_of_processor[static_cast<size_t>(br.processor)]);
  }
}

// Starts the workers, one per CPU of each cluster's budget (worker 0 = the caller, on cluster
// 0), and makes each cluster's workers a team for intra-op work. A worker with no branch to run
// helps its cluster's steps, so no thread ever waits for a core held by an idle pool thread.
Status start_workers(const ExecutorOptions& o, Executor::State& st) {
  std::vector<WorkerSpec> specs;
  for (size_t c = 0; c < st.cluster_cpus.size(); ++c) {
    const std::vector<int>& cpus = st.cluster_cpus[c];
    st.teams.push_back(std::make_unique<Team>(static_cast<int>(cpus.size()), 0, o.spin));
    // A cluster's workers may run on any CPU of its budget (workers.h says why not one each).
    std::vector<int> mask;
    if (o.pin_threads) {
      mask = cpus;
      std::sort(mask.begin(), mask.end());
      mask.erase(std::unique(mask.begin(), mask.end()), mask.end());
    }
    for (size_t k = 0; k < cpus.size(); ++k) {
      specs.push_back({mask, static_cast<int>(c)});
      st.member_index.push_back(static_cast<int>(k));
    }
  }
  specs[0].cpus.clear();  // the caller's thread is never moved
  return WorkerPool::create(specs, o.spin, &st.workers);
}

// Gives each step its intra-op pool and thread count: every branch gets its cluster's whole
// budget, whatever thread count the plan allotted it. The plan's count is what its schedule
// estimated with; at run time helpers are only workers with nothing else to do, so a branch that
// runs beside others still runs alone, and one whose neighbours finished gets their cores
// (measured: yolov8n, distilbert, swin and the Whisper decoder 9-18% faster at 2 threads, CNN
// chains unchanged).
Status assign_processors(Executor::State& st) {
  const Program& p = *st.program;
  // A control-flow body runs on its step's worker, so it shares the step's pool.
  auto give = [&](auto& self, int graph, size_t k, ::pthreadpool* pool, int threads) -> void {
    StepData& d = st.steps[st.step_base[graph] + k];
    d.pool = pool;
    d.threads = pool != nullptr ? threads : 1;
    for (const Attribute& a : p.graphs[graph].steps[k].attributes) {
      if (a.kind != Attribute::Kind::kGraph) continue;
      for (size_t j = 0; j < p.graphs[a.graph].steps.size(); ++j)
        self(self, a.graph, j, pool, threads);
    }
  };
  for (size_t b = 0; b < st.branches.size(); ++b) {
    const int c = st.branch_cluster[b];
    const int threads = static_cast<int>(st.cluster_cpus[c].size());
    ::pthreadpool* pool = threads > 1 ? st.teams[c]->pool(threads) : nullptr;
    for (int32_t k : st.branches[b].steps) give(give, 0, static_cast<size_t>(k), pool, threads);
  }
  return Status::ok();
}

Status bind_storage(Executor::State& st) {
  const Program& p = *st.program;
  st.slots.resize(p.tensors.size());
  // The one arena allocation; nothing else holds a planned tensor. XNNPACK kernels may read up to
  // 16 bytes past the end of an input (XNN_EXTRA_BYTES), so the arena carries that much slack.
  static_assert(kArenaSlackBytes >= kReadSlackBytes, "a caller's arena needs the read slack");
  uint8_t* arena = static_cast<uint8_t*>(st.options.arena);
  if (arena != nullptr && p.arena_bytes > 0) {
    if (reinterpret_cast<uintptr_t>(arena) % 64 != 0 ||
        st.options.arena_size < p.arena_bytes + kArenaSlackBytes) {
      return Status::invalid("the caller's arena must be 64-byte aligned and hold " +
                             std::to_string(p.arena_bytes + kArenaSlackBytes) + " bytes; got " +
                             std::to_string(st.options.arena_size));
    }
  } else if (p.arena_bytes > 0) {
    st.arena.resize(p.arena_bytes + kReadSlackBytes);
    arena = st.arena.data();
  }
  for (size_t id = 0; id < p.tensors.size(); ++id) {
    const TensorInfo& info = p.tensors[id];
    Slot& slot = st.slots[id];
    // An empty tensor's 0-byte place may lie at the arena's end (or the arena may be empty):
    // it takes the never-null stub of a grow-on-demand slot instead.
    if (info.arena_offset != TensorInfo::kNotInArena && info.max_bytes > 0) {
      slot.arena = arena + info.arena_offset;
    }
    if (info.kind != TensorKind::kConstant) continue;
    // Constants point into the program's weights for the executor's whole life.
    slot.view.dtype = info.dtype;
    if (!Shape::from(info.shape.data(), static_cast<int>(info.shape.size()), &slot.view.shape)) {
      return Status::unsupported("constant '" + info.name + "' has rank " +
                                 std::to_string(info.shape.size()) + ", more than " +
                                 std::to_string(kMaxRank));
    }
    if (info.weight_offset + slot.view.nbytes() > p.weight_bytes()) {
      return Status::internal("constant '" + info.name + "' lies outside the weights blob");
    }
    slot.view.data = const_cast<uint8_t*>(p.weight_data() + info.weight_offset);
    slot.written = true;
  }
  return Status::ok();
}

}  // namespace

Status Executor::create(const Program* program, const ExecutorOptions& options,
                        std::unique_ptr<Executor>* out) {
  if (program == nullptr) return Status::invalid("empty program");
  auto st = std::make_unique<State>();
  st->program = program;
  st->options = options;
  PARALLAX_RETURN_IF_ERROR(check_program(*program, &st->branches));
  PARALLAX_RETURN_IF_ERROR(choose_threads(options, *st));
  map_branches(*st);
  PARALLAX_RETURN_IF_ERROR(start_workers(options, *st));
  size_t total_steps = 0;
  for (const GraphProgram& g : program->graphs) {
    st->step_base.push_back(total_steps);
    total_steps += g.steps.size();
  }
  st->steps.resize(total_steps);
  PARALLAX_RETURN_IF_ERROR(assign_processors(*st));
  PARALLAX_RETURN_IF_ERROR(bind_storage(*st));
  st->tracing = !options.trace_path.empty();
  init_dataflow(*st);
  PARALLAX_RETURN_IF_ERROR(prepare_steps(*st));
  out->reset(new Executor());
  (*out)->state_ = std::move(st);
  return Status::ok();
}

Status Executor::create(const Program* program, std::unique_ptr<Executor>* out) {
  ExecutorOptions options;
  options.threads = 1;
  return create(program, options, out);
}

Executor::~Executor() = default;

int Executor::input_count() const {
  return static_cast<int>(state_->program->main().inputs.size());
}
int Executor::output_count() const {
  return static_cast<int>(state_->program->main().outputs.size());
}
const TensorInfo& Executor::input_info(int i) const {
  return state_->program->tensors[state_->program->main().inputs[i]];
}
const TensorInfo& Executor::output_info(int i) const {
  return state_->program->tensors[state_->program->main().outputs[i]];
}
int Executor::thread_count() const {
  size_t n = 0;
  for (const std::vector<int>& cpus : state_->cluster_cpus) n += cpus.size();
  return static_cast<int>(n);
}
const Topology& Executor::topology() const { return state_->topology; }

std::string Executor::describe_threads() const {
  const WorkerPool& w = *state_->workers;
  const int total = thread_count();
  std::string s = std::to_string(total) + (total == 1 ? " thread:" : " threads:");
  for (size_t c = 0; c < state_->topology.clusters.size(); ++c) {
    s += " cluster " + std::to_string(c) + " [";
    bool first = true;
    for (int i = 0; i < w.size(); ++i) {
      if (w.spec(i).cluster != static_cast<int>(c)) continue;
      s += first ? "" : " ";
      first = false;
      if (i == 0) {
        s += "caller";
      } else {
        const std::vector<int>& cpus = w.spec(i).cpus;
        s += cpus.empty() ? "any" : "cpu" + format_cpu_list(cpus);
        if (!cpus.empty() && !w.pinned(i)) s += "!";
      }
    }
    s += "]";
  }
  return s;
}

Status Executor::set_input(int i, const Tensor& t) {
  if (i < 0 || i >= input_count())
    return Status::invalid("input index " + std::to_string(i) + " out of range");
  const TensorInfo& info = input_info(i);
  if (t.dtype != info.dtype) {
    return Status::invalid(std::string("input '") + info.name + "' expects " +
                           dtype_name(info.dtype) + ", got " + dtype_name(t.dtype));
  }
  if (info.rank_known) {
    bool ok = t.shape.rank == static_cast<int>(info.shape.size());
    for (int d = 0; ok && d < t.shape.rank; ++d)
      ok = info.shape[d] < 0 || info.shape[d] == t.shape.dims[d];
    if (!ok) {
      std::string want = "[";
      for (size_t d = 0; d < info.shape.size(); ++d) {
        want += (d ? ", " : "") +
                (info.shape[d] < 0 ? std::string("?") : std::to_string(info.shape[d]));
      }
      return Status::invalid("input '" + info.name + "' expects shape " + want + "], got " +
                             t.shape.to_string());
    }
  }
  Slot& slot = state_->slots[state_->program->main().inputs[i]];
  slot.view = t;
  slot.written = true;
  return Status::ok();
}

Status Executor::run() {
  State& st = *state_;
  // Forget what the previous run produced so a read-before-write is caught, not served stale.
  for (size_t id = 0; id < st.slots.size(); ++id) {
    if (st.program->tensors[id].kind == TensorKind::kIntermediate) st.slots[id].written = false;
  }
  for (int32_t id : st.program->main().inputs) {
    if (!st.slots[id].written) {
      return Status::invalid("input '" + st.program->tensors[id].name + "' was not set");
    }
  }
  PARALLAX_RETURN_IF_ERROR(run_main(st));
  if (st.tracing) PARALLAX_RETURN_IF_ERROR(write_trace(st, st.options.trace_path));
  return Status::ok();
}

const Tensor& Executor::output(int i) const {
  return state_->slots[state_->program->main().outputs[i]].view;
}

}  // namespace parallax::rt
