// The executor's internal state, shared by its source files (not installed).
//
//   executor.cpp        create(): topology, workers, thread pools, arena, slots; the public API
//   program_check.cpp   validation of the program and its branch table
//   kernel_context.cpp  the KernelContext of a step, running one step or one body graph, prepare
//   dataflow.cpp        run(): the ready queues and the worker loop
//   trace.cpp           the Chrome trace writer
//
// Who touches what during a run: slots, StepData and trace buffers of a step are touched only by
// the worker running that step (and, for a step's bodies, by that same worker); a branch's
// `pending` counter, the ready queues and the run flags are atomics. Everything else is written
// by create() or by run() before the workers start, and only read while they run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parallax/runtime/executor.h"
#include "parallax/runtime/workers.h"
#include "thread_pool.h"

namespace parallax::rt {

// Bytes of slack after every buffer the executor allocates: XNNPACK may read up to 16 bytes past
// the end of a tensor (XNN_EXTRA_BYTES).
constexpr size_t kReadSlackBytes = 16;

// Storage of one tensor id: the view kernels see and the bytes behind it.
struct Slot {
  Tensor view;
  AlignedBytes bytes;        // grow-on-demand storage (unused for arena tensors)
  uint8_t* arena = nullptr;  // the tensor's place in the arena, or nullptr
  bool written = false;      // set when a step (or set_input) produced it in the current run
};

// What the executor keeps per step (of every graph).
struct StepData {
  AlignedBytes scratch;
  void* state = nullptr;          // the kernel's prepared state (KernelContext::state)
  ::pthreadpool* pool = nullptr;  // intra-op threads; nullptr = single-threaded
  int threads = 1;
};

// Branches ready to run on one cluster. Each branch becomes ready once per run, so a queue is an
// array with one slot per branch of its cluster: a pusher claims the next slot (tail) and
// publishes the branch id there; a popper advances head over published slots only.
struct ReadyQueue {
  std::unique_ptr<std::atomic<int32_t>[]> slots;  // -1 = not yet published in this run
  uint32_t capacity = 0;
  alignas(64) std::atomic<uint32_t> head{0};
  alignas(64) std::atomic<uint32_t> tail{0};
  WaitSignal* signal = nullptr;  // the cluster team's: bumped on every push and at the run's end
};

struct TraceEvent {
  int32_t step;
  int32_t branch;    // -1 for help: the writer finds the step's branch
  int64_t begin_ns;  // since the run's start (steady clock)
  int64_t end_ns;
  bool help;  // the worker ran tiles of `step`'s intra-op work, posted by another worker
};

// One worker's events of the current run, sized at create (kTraceEventsPerStep per main step);
// events past that are counted, not kept.
struct alignas(64) WorkerTrace {
  static constexpr size_t kTraceEventsPerStep = 4;
  std::vector<TraceEvent> events;
  size_t count = 0;
  size_t dropped = 0;
  void add(const TraceEvent& e) {
    if (count < events.size()) {
      events[count++] = e;
    } else {
      ++dropped;
    }
  }
};

struct Executor::State {
  const Program* program = nullptr;
  ExecutorOptions options;
  Topology topology;  // the clusters in use, fastest first
  std::vector<Slot> slots;
  std::vector<StepData> steps;  // one per graph-step, indexed by step_base[graph] + step
  std::vector<size_t> step_base;
  AlignedBytes arena;

  // The branch table (Program::branches, or one branch of every main step) and per branch the
  // cluster it runs on.
  std::vector<BranchProgram> branches;
  std::vector<int32_t> branch_cluster;
  std::unique_ptr<std::atomic<int32_t>[]> pending;  // predecessors not yet finished
  std::vector<std::unique_ptr<ReadyQueue>> queues;  // per cluster
  alignas(64) std::atomic<int32_t> remaining{0};    // branches not yet finished
  std::atomic<bool> failed{false};
  Status error;  // written once, by the worker that set `failed`

  // Threads: per used cluster the CPUs of its thread budget, one branch worker per CPU
  // (workers.h); the same workers run the steps' intra-op work.
  std::vector<std::vector<int>> cluster_cpus;
  std::unique_ptr<WorkerPool> workers;
  // Per used cluster, its workers as a team that shares intra-op work (thread_pool.h);
  // StepData::pool points at the teams' handles. member_index: per worker, its place in its team.
  std::vector<std::unique_ptr<Team>> teams;
  std::vector<int> member_index;
  bool tracing = false;
  std::vector<int32_t> constant_readers;  // per tensor (discard_constants.cpp); often empty
  std::vector<WorkerTrace> traces;        // per worker
  int64_t run_start_ns = 0;

  ~State();
  // Runs step k of `graph` on the calling thread; the error names the node.
  Status run_step(int graph, size_t k);
  // Runs every step of a control-flow body in order (the main graph goes through run_main).
  Status run_graph(int graph);
};

// program_check.cpp: checks tensor ids, kernels, the arena and the branch table, and fills
// *branches (a copy of Program::branches, or one branch of every main step).
Status check_program(const Program& p, std::vector<BranchProgram>* branches);

// kernel_context.cpp: calls every prepare hook (after constants are bound).
Status prepare_steps(Executor::State& st);

// discard_constants.cpp (ExecutorOptions::discard_packed_constants): before prepare, counts the
// readers of every constant; on each KernelContext::input_packed, one reader fewer, and at none
// the constant's whole pages in Program::weights are given back.
void count_constant_readers(Executor::State& st);
void release_constant_reader(Executor::State& st, int32_t tensor);

// dataflow.cpp: sizes the per-run structures (once, at create) and runs the main graph.
void init_dataflow(Executor::State& st);
Status run_main(Executor::State& st);

// trace.cpp
Status write_trace(const Executor::State& st, const std::string& path);

std::string step_context(const Step& s);
int64_t steady_now_ns();

}  // namespace parallax::rt
