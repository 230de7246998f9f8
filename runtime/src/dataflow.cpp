// run(): dataflow over the branch table. Hot path (per step and per branch): atomics only; no
// allocation, no lock, and a system call only to wake a worker that went to sleep.
#include <algorithm>
#include <string>

#include "executor_state.h"

namespace parallax::rt {
namespace {

void push(ReadyQueue& q, int32_t branch) {
  const uint32_t t = q.tail.fetch_add(1, std::memory_order_relaxed);
  q.slots[t].store(branch, std::memory_order_release);
  q.signal->notify();
}

// A published branch, or -1 when none is ready now.
int32_t try_pop(ReadyQueue& q) {
  uint32_t h = q.head.load(std::memory_order_acquire);
  while (h < q.capacity) {
    const int32_t b = q.slots[h].load(std::memory_order_acquire);
    if (b < 0) return -1;  // claimed by a pusher but not yet published
    if (q.head.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      return b;
    }
  }
  return -1;
}

void wake_everyone(Executor::State& st) {
  for (auto& q : st.queues) q->signal->notify();
}

bool finished(const Executor::State& st) {
  return st.remaining.load(std::memory_order_acquire) == 0 ||
         st.failed.load(std::memory_order_acquire);
}

void fail(Executor::State& st, Status s) {
  if (!st.failed.exchange(true, std::memory_order_acq_rel)) st.error = std::move(s);
  wake_everyone(st);
}

void run_branch(Executor::State& st, int worker, int32_t b) {
  const BranchProgram& br = st.branches[b];
  WorkerTrace* trace = st.tracing ? &st.traces[worker] : nullptr;
  Status s;
  for (int32_t k : br.steps) {
    if (st.failed.load(std::memory_order_relaxed)) break;
    if (st.options.step_hook) st.options.step_hook(st.options.step_hook_arg, k);
    const int64_t begin = trace ? steady_now_ns() : 0;
    Team::set_tag(k);
    s = st.run_step(0, static_cast<size_t>(k));
    if (trace)
      trace->add({k, b, begin - st.run_start_ns, steady_now_ns() - st.run_start_ns, false});
    if (!s.is_ok()) break;
  }
  if (!s.is_ok()) return fail(st, std::move(s));
  if (st.failed.load(std::memory_order_relaxed)) return;
  for (int32_t t : br.succs) {
    // acq_rel: the last finisher of t's predecessors has seen all their writes, and publishes
    // them with the push.
    if (st.pending[t].fetch_sub(1, std::memory_order_acq_rel) == 1) {
      push(*st.queues[st.branch_cluster[t]], t);
    }
  }
  if (st.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) wake_everyone(st);
}

// Every worker's job for one run: take ready branches of its cluster until the run ends, and
// while none is ready, help with the intra-op work of the cluster's running steps.
void worker_job(void* arg, int worker) {
  Executor::State& st = *static_cast<Executor::State*>(arg);
  const int cluster = st.workers->spec(worker).cluster;
  ReadyQueue& q = *st.queues[cluster];
  Team& team = *st.teams[cluster];
  const Team::Member member(&team, st.member_index[worker]);
  const int spin = st.workers->spin();
  WorkerTrace* trace = st.tracing ? &st.traces[worker] : nullptr;
  while (!finished(st)) {
    int32_t b = try_pop(q);
    if (b < 0) {
      // Read the signal before the second look so a push or a posted job in between is not
      // missed.
      const uint32_t seen = q.signal->value();
      const int64_t begin = trace ? steady_now_ns() : 0;
      int32_t step = -1;
      if (team.help(&step)) {
        if (trace && step >= 0)
          trace->add({step, -1, begin - st.run_start_ns, steady_now_ns() - st.run_start_ns, true});
        continue;
      }
      b = try_pop(q);
      if (b < 0) {
        if (finished(st)) return;
        q.signal->wait(seen, spin);
        continue;
      }
    }
    run_branch(st, worker, b);
  }
}

}  // namespace

void init_dataflow(Executor::State& st) {
  const size_t n = st.branches.size();
  st.pending.reset(new std::atomic<int32_t>[n]);
  std::vector<uint32_t> per_cluster(st.topology.clusters.size(), 0);
  for (int32_t c : st.branch_cluster) ++per_cluster[c];
  st.queues.clear();
  for (size_t c = 0; c < per_cluster.size(); ++c) {
    const uint32_t cap = per_cluster[c];
    auto q = std::make_unique<ReadyQueue>();
    q->capacity = cap;
    q->slots.reset(new std::atomic<int32_t>[cap > 0 ? cap : 1]);
    q->signal = &st.teams[c]->signal();
    st.queues.push_back(std::move(q));
  }
  size_t main_steps = st.program->main().steps.size();
  st.traces.resize(static_cast<size_t>(st.workers->size()));
  if (st.tracing) {
    for (WorkerTrace& t : st.traces) t.events.resize(WorkerTrace::kTraceEventsPerStep * main_steps);
  }
}

Status run_main(Executor::State& st) {
  const int32_t n = static_cast<int32_t>(st.branches.size());
  for (auto& q : st.queues) {
    q->head.store(0, std::memory_order_relaxed);
    q->tail.store(0, std::memory_order_relaxed);
    for (uint32_t i = 0; i < q->capacity; ++i) q->slots[i].store(-1, std::memory_order_relaxed);
  }
  for (int32_t b = 0; b < n; ++b) {
    st.pending[b].store(st.branches[b].pred_count, std::memory_order_relaxed);
  }
  for (WorkerTrace& t : st.traces) t.count = t.dropped = 0;
  st.failed.store(false, std::memory_order_relaxed);
  st.remaining.store(n, std::memory_order_relaxed);
  st.run_start_ns = st.tracing ? steady_now_ns() : 0;
  for (int32_t b = 0; b < n; ++b) {
    if (st.branches[b].pred_count == 0) push(*st.queues[st.branch_cluster[b]], b);
  }
  // WorkerPool::run publishes everything above to the workers and everything they wrote back.
  if (n > 0) st.workers->run(&worker_job, &st);
  if (st.failed.load(std::memory_order_acquire)) return st.error;
  for (int32_t id : st.program->main().outputs) {
    if (!st.slots[id].written) {
      return Status::internal("graph output '" + st.program->tensors[id].name +
                              "' was not produced");
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt
