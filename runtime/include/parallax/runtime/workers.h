// Workers: a fixed set of threads, each pinned to its core cluster, that the executor hands one
// job per run; and the spin-then-sleep signal they wait on.
//
//   std::vector<WorkerSpec> specs = {{/*cpus=*/{4, 5}, /*cluster=*/0}, {{4, 5}, 0}, {{0}, 1}};
//   std::unique_ptr<WorkerPool> pool;
//   Status s = WorkerPool::create(specs, WorkerPool::kDefaultSpin, &pool);
//   pool->run([](void* arg, int worker) { ... }, &arg);   // worker 0 is the calling thread
//
// Worker 0 is whichever thread calls run(); it is never pinned (the executor does not move its
// caller's thread). Workers 1..n-1 are threads started by create() and pinned to their spec's
// CPUs; a failed pin (a CPU the process may not use, a sandbox) is recorded and not fatal.
// Why a cluster's CPUs and not one core each: the caller is not pinned, and a worker pinned to
// the core the caller happens to run on cannot move away; on this 2-core x86 machine a third
// of the 2-thread mobilenet_v2 runs then took 7 ms instead of 4 (caller and worker sharing one
// core). Within a cluster the cores are alike, so the OS may place the threads.
// Between jobs a worker spins for a while, then sleeps on a futex, so a steady stream of runs
// costs no system call and an idle executor costs no CPU. run() itself allocates nothing, takes
// no lock and makes a system call only to wake sleeping workers.
//
// Threading: run() must not be called concurrently with itself; the pool is otherwise
// immutable after create().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "parallax/runtime/status.h"

namespace parallax::rt {

// A counter that threads wait on to change: notify() bumps it, wait() returns once it differs
// from the value the waiter last saw. Waiting spins `spin` rounds of a CPU pause, then sleeps
// (futex on Linux). notify() makes a system call only when someone sleeps.
class WaitSignal {
 public:
  uint32_t value() const { return seq_.load(std::memory_order_acquire); }
  void notify();
  void wait(uint32_t seen, int spin);

 private:
  alignas(64) std::atomic<uint32_t> seq_{0};
  std::atomic<int32_t> sleepers_{0};
};

// Tells the CPU we are spinning (x86 pause, ARM yield).
void cpu_relax();

struct WorkerSpec {
  std::vector<int> cpus;  // logical CPUs it may run on (its cluster's); empty = not pinned
  int cluster = 0;        // the core cluster it serves (an index the caller defines)
};

class WorkerPool {
 public:
  using Job = void (*)(void* arg, int worker);
  // Rounds of cpu_relax() before a waiting worker sleeps (about 50-100 us on current cores).
  static constexpr int kDefaultSpin = 4096;

  // Starts specs.size() - 1 threads (specs[0] describes the calling thread). Fails when a thread
  // cannot be started.
  static Status create(const std::vector<WorkerSpec>& specs, int spin,
                       std::unique_ptr<WorkerPool>* out);
  ~WorkerPool();  // stops and joins every thread
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return static_cast<int>(specs_.size()); }
  const WorkerSpec& spec(int w) const { return specs_[w]; }
  // True when worker w runs pinned to spec(w).cpus (worker 0: always false).
  bool pinned(int w) const { return pinned_[w] != 0; }
  int spin() const { return spin_; }

  // Calls job(arg, w) once on every worker w (w = 0 on the calling thread) and returns when all
  // have returned. Everything the workers wrote is visible to the caller afterwards.
  void run(Job job, void* arg);

 private:
  WorkerPool() = default;
  void worker_main(int w);
  void avoid_caller_cpu(int w);

  std::vector<WorkerSpec> specs_;
  std::vector<uint8_t> pinned_;
  std::vector<std::thread> threads_;
  int spin_ = kDefaultSpin;
  Job job_ = nullptr;
  void* arg_ = nullptr;
  bool stop_ = false;  // written before a start_ notify, read after it
  int caller_cpu_ = -1;  // the CPU the caller started the current run on (-1: unknown)
  WaitSignal start_;   // bumped once per run (and once to stop)
  WaitSignal finish_;  // bumped by each worker as it finishes its job
  alignas(64) std::atomic<int32_t> finished_{0};
  std::atomic<int32_t> started_{0};  // threads that have pinned themselves (create waits)
};

}  // namespace parallax::rt
