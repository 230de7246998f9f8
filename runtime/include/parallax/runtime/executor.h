// Executor: runs a Program's main graph, its independent branches at the same time.
//
//   ExecutorOptions opt;                 // every core the process may use
//   opt.trace_path = "run.json";         // optional: a Chrome trace of each run (Perfetto)
//   std::unique_ptr<Executor> ex;
//   Status s = Executor::create(&program, opt, &ex);
//   ex->set_input(0, image);             // a view; must stay valid until run() returns
//   s = ex->run();
//   const Tensor& logits = ex->output(0);
//
// How a run goes: every branch of Program::branches (one branch of all steps when the table is
// empty) has an atomic count of the branches it still waits for. run() resets the counts, queues
// the branches that wait for nothing on their cluster's queue and wakes the workers (the calling
// thread is worker 0). A worker takes a ready branch of its own cluster, runs its steps in order,
// then decrements each successor's count and queues those that reach zero. The run ends when
// every branch has run, or at the first failing step: its Status (prefixed with the node name and
// op) is returned and the other workers stop before their next step. If/Loop/Scan bodies run
// inside their step, on that step's worker. A step's kernel gets a pthreadpool handle of its
// cluster with the branch's thread count for intra-op parallelism (kernel.h); the threads that
// run its tiles are the cluster's workers that have no branch of their own at that moment.
//
// Memory: create() makes exactly one arena allocation (Program::arena_bytes); in-arena tensors
// live at their planned offsets. Other tensors (dynamic shapes, control-flow bodies) get
// buffers that grow to the largest shape seen and are reused, so once shapes are stable a run
// allocates nothing. Outputs stay valid until the next run(). Results do not depend on the
// number of threads or on the interleaving: each step runs exactly once per run and kernels
// are deterministic whatever their thread count.
//
// Ownership: the Program must outlive the Executor. Threading: one thread at a time calls an
// Executor's methods (run() uses the executor's own workers); separate Executors may run
// concurrently, each with its own workers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parallax/runtime/kernel.h"
#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"
#include "parallax/runtime/topology.h"

namespace parallax::rt {

// Bytes past Program::arena_bytes that an arena needs: kernels (XNNPACK) may read a little
// past the end of a tensor.
constexpr size_t kArenaSlackBytes = 16;

struct ExecutorOptions {
  // Threads in all, the calling thread included; 0 = every core the affinity policy selects.
  // Workers fill the selected clusters fastest first, one per core; beyond the core count they
  // wrap around (two workers on one core).
  int threads = 0;
  // When non-empty: workers per detected cluster (fastest first), replacing threads/affinity.
  std::vector<int> threads_per_cluster;
  AffinityPolicy affinity = AffinityPolicy::kAll;
  // Confine each worker thread (not the caller) to the CPUs of its cluster's budget.
  bool pin_threads = true;
  // Where to find sysfs and which CPUs are allowed (topology.h); tests point it at fixtures.
  TopologyOptions topology;
  // Rounds of spinning before an idle worker sleeps (see workers.h).
  int spin = 4096;
  // Non-empty: after every successful run, write that run's per-step timeline there as Chrome
  // trace JSON (one row per worker/core; opens in Perfetto / chrome://tracing).
  std::string trace_path;
  // Optional caller-provided arena instead of the executor's one allocation: 64-byte aligned,
  // at least Program::arena_bytes + kArenaSlackBytes bytes (arena_size), owned by the caller
  // and outliving the executor; not shared with a running executor.
  void* arena = nullptr;
  size_t arena_size = 0;
  // Memory: a constant whose every reader copied it in prepare (KernelContext::input_packed)
  // has its bytes in Program::weights given back to the system (madvise; they read as zeros
  // afterwards). Only for a Program that owns its weights (no weights_view) and that no other
  // executor, present or future, uses: parallax-run's one executor.
  bool discard_packed_constants = false;
  // Testing only: called on the worker before each main-graph step, e.g. to sleep a random time
  // and so force unusual interleavings. Must be thread-safe.
  void (*step_hook)(void* arg, int step) = nullptr;
  void* step_hook_arg = nullptr;
};

class Executor {
 public:
  // Checks that every step has a kernel, every tensor id is in range, the branch table covers
  // each main step once, is acyclic, and orders every step after the producers of what it
  // reads, and that the arena holds every in-arena tensor; starts the workers; prepares the
  // kernels that have a prepare hook.
  static Status create(const Program* program, const ExecutorOptions& options,
                       std::unique_ptr<Executor>* out);
  // One thread (the caller), no workers: create(program, {threads = 1}, out).
  static Status create(const Program* program, std::unique_ptr<Executor>* out);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  int input_count() const;
  int output_count() const;
  const TensorInfo& input_info(int i) const;
  const TensorInfo& output_info(int i) const;

  // Binds main-graph input `i` to `t` (a view). Fails when the dtype differs from the model's or
  // a static dimension does not match.
  Status set_input(int i, const Tensor& t);
  Status run();
  const Tensor& output(int i) const;

  // Threads this executor runs on (the caller included) and the clusters they serve.
  int thread_count() const;
  const Topology& topology() const;
  // "4 threads: cluster 0 [caller cpu4-5] cluster 1 [cpu0-1 cpu0-1!]": per worker the CPUs it
  // may run on (! = the pin failed).
  std::string describe_threads() const;

  // Implementation detail shared with the kernel context; not part of the API.
  struct State;

 private:
  Executor() = default;
  std::unique_ptr<State> state_;
};

}  // namespace parallax::rt
