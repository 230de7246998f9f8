// Pinned worker threads and the spin-then-sleep signal (see workers.h).
#include "parallax/runtime/workers.h"

#include <pthread.h>
#include <sched.h>

#include <climits>
#include <string>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace parallax::rt {
namespace {

#if defined(__linux__)
// The process-private futex calls: sleep while *addr == expected; wake every sleeper.
void futex_wait(std::atomic<uint32_t>* addr, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}
void futex_wake_all(std::atomic<uint32_t>* addr) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}
#endif

bool pin_current_thread(const std::vector<int>& cpus) {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
    CPU_SET(cpu, &set);
  }
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
#else
  (void)cpus;
  return false;
#endif
}

}  // namespace

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

void WaitSignal::notify() {
  // seq_cst on both sides (here and in wait) is what makes the sleeper check race-free: either
  // the notifier sees the sleeper's increment, or the sleeper's futex sees the new value.
  seq_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
#if defined(__linux__)
    futex_wake_all(&seq_);
#endif
  }
}

void WaitSignal::wait(uint32_t seen, int spin) {
  for (int i = 0; i < spin; ++i) {
    if (seq_.load(std::memory_order_acquire) != seen) return;
    cpu_relax();
  }
  while (seq_.load(std::memory_order_acquire) == seen) {
#if defined(__linux__)
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    if (seq_.load(std::memory_order_seq_cst) == seen) futex_wait(&seq_, seen);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
#else
    std::this_thread::yield();
#endif
  }
}

Status WorkerPool::create(const std::vector<WorkerSpec>& specs, int spin,
                          std::unique_ptr<WorkerPool>* out) {
  if (specs.empty()) return Status::invalid("a worker pool needs at least one worker");
  std::unique_ptr<WorkerPool> pool(new WorkerPool());
  pool->specs_ = specs;
  pool->pinned_.assign(specs.size(), 0);
  pool->spin_ = spin < 0 ? 0 : spin;
  for (size_t w = 1; w < specs.size(); ++w) {
    try {
      pool->threads_.emplace_back(&WorkerPool::worker_main, pool.get(), static_cast<int>(w));
    } catch (const std::exception& e) {
      // The destructor stops and joins the threads started so far.
      return Status::invalid("cannot start worker thread " + std::to_string(w) + ": " + e.what());
    }
  }
  // pinned() must be accurate once create returns.
  while (pool->started_.load(std::memory_order_acquire) < static_cast<int32_t>(specs.size()) - 1) {
    std::this_thread::yield();
  }
  *out = std::move(pool);
  return Status::ok();
}

WorkerPool::~WorkerPool() {
  stop_ = true;
  start_.notify();
  for (std::thread& t : threads_) t.join();
}

// A worker woken on the CPU its caller is running on moves to another of its cluster's CPUs.
// Waking a thread prefers the waker's CPU; when the other CPUs have been idle for a while (a
// virtual CPU halted by its host) the scheduler can take milliseconds to move either thread,
// and the run then shares one core: squeezenet1_1 at 2 threads, first run after a 0.1 s pause,
// measured 4.6-6.2 ms against 3.1 warm. Two syscalls, only on such a collision.
void WorkerPool::avoid_caller_cpu(int w) {
#if defined(__linux__)
  const std::vector<int>& cpus = specs_[w].cpus;
  if (cpus.size() < 2 || caller_cpu_ < 0 || sched_getcpu() != caller_cpu_) return;
  std::vector<int> others;
  for (int cpu : cpus)
    if (cpu != caller_cpu_) others.push_back(cpu);
  // Excluding the caller's CPU moves this thread now; the full mask again right after leaves
  // it there but free to go back, so it never sits pinned where the caller may land later.
  if (!others.empty() && pin_current_thread(others)) pin_current_thread(cpus);
#else
  (void)w;
#endif
}

void WorkerPool::worker_main(int w) {
  if (!specs_[w].cpus.empty()) pinned_[w] = pin_current_thread(specs_[w].cpus) ? 1 : 0;
  started_.fetch_add(1, std::memory_order_release);
  uint32_t seen = 0;  // start_ is 0 until the first run, which waits for create to return
  for (;;) {
    start_.wait(seen, spin_);
    seen = start_.value();
    if (stop_) return;
    avoid_caller_cpu(w);
    job_(arg_, w);
    finished_.fetch_add(1, std::memory_order_acq_rel);
    finish_.notify();
  }
}

void WorkerPool::run(Job job, void* arg) {
  const int32_t others = static_cast<int32_t>(specs_.size()) - 1;
  if (others > 0) {
    job_ = job;
    arg_ = arg;
#if defined(__linux__)
    caller_cpu_ = sched_getcpu();
#endif
    finished_.store(0, std::memory_order_relaxed);
    start_.notify();
  }
  job(arg, 0);
  for (;;) {
    const uint32_t seen = finish_.value();
    if (finished_.load(std::memory_order_acquire) == others) break;
    finish_.wait(seen, spin_);
  }
}

}  // namespace parallax::rt
