// Parallax's own implementation of pthreadpool's C API (pthreadpool.h), which XNNPACK and our
// kernels call for intra-op parallelism.
//
// Why not Debian's libpthreadpool: its pool owns threads of its own, which spin for about a
// million pauses after every job. Next to our branch workers that is more threads than cores
// whenever two branches run at once, and the spinning threads steal the cores the branches
// need (see docs/runtime.md). Here the threads that help with a job are the executor's own
// branch workers: a worker with no ready branch helps whichever step of its cluster has work
// to share. So an executor never runs more threads than its thread budget, a lone branch still
// gets every core of its cluster, and two concurrent branches each run their steps alone.
//
//   Team team(/*members=*/2);                 // an executor: one team per core cluster
//   pthreadpool_t pool = team.pool(2);        // a handle XNNPACK takes; at most 2 threads
//   { Team::Member m(&team, 1);  ...  team.help();  ... }   // a worker thread helping
//   pthreadpool_parallelize_1d(pool, fn, ctx, n, 0);        // from any thread
//
// pthreadpool_create(n) (tests, other users of the API in the process) makes a team with n - 1
// threads of its own that wait on the team's signal.
//
// How the symbols win: the runtime defines every function of pthreadpool.h. The executable (or
// the shared object that links the runtime) comes before libpthreadpool in the dynamic linker's
// search order, so XNNPACK, which Debian links against libpthreadpool, resolves these names to
// ours; the runtime itself does not link libpthreadpool.
//
// Jobs: a member posts into its own slot without a lock; any other thread posts into the
// team's shared slot under a mutex. Tiles are claimed in shrinking chunks (guided
// self-scheduling) with one atomic per chunk; each tile is computed exactly as it would be by
// one thread, so results never depend on who ran it. No allocation, lock or system call on the
// hot path, except the futex wake of a sleeping helper (WaitSignal::notify).
#pragma once

#include <pthreadpool.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "parallax/runtime/workers.h"

namespace parallax::rt {

// One call of pthreadpool_parallelize_*: `rank` dimensions, the last `tiled` of them tiled.
struct PoolJob {
  void (*fn)() = nullptr;  // the task, called through its exact type (run_tiles)
  void* context = nullptr;
  bool with_id = false;  // the *_with_uarch variants: the task takes a uint32_t id first
  uint32_t id = 0;
  uint32_t flags = 0;
  int rank = 1;
  int tiled = 0;
  size_t range[6] = {};
  size_t tile[6] = {};
  size_t count[6] = {};  // tiles per dimension
  size_t total = 0;      // tiles in all
};

class Team {
 public:
  // `members` threads may post without a lock and help (see Member); `own_threads` helper
  // threads are started here (pthreadpool_create), members 1..own_threads.
  explicit Team(int members, int own_threads = 0, int spin = WorkerPool::kDefaultSpin);
  ~Team();  // stops the team's own threads; no job may be running
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  // Marks the calling thread as member `index` while in scope.
  class Member {
   public:
    Member(Team* team, int index);
    ~Member();
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

   private:
    Team* saved_team_;
    int saved_index_;
  };

  // A pthreadpool handle whose jobs use at most `threads` threads of this team (the poster
  // included). Owned by the team.
  pthreadpool_t pool(int threads);

  // Bumped whenever there is new work for idle members: a posted job here, and whatever else
  // its owner signals (the executor: a branch made ready).
  WaitSignal& signal() { return signal_; }

  // Runs chunks of posted jobs that still have unclaimed tiles and room for a helper; returns
  // false when there was none. *tag (if given) gets the tag of the last job it helped with.
  bool help(int32_t* tag = nullptr);

  // Tags the jobs the calling thread posts from now on (the executor: the main step it runs),
  // so a helper can say whose work it did (the trace).
  static void set_tag(int32_t tag);

  // Runs `job` on the calling thread and on members that help, and returns when every tile ran.
  void run(PoolJob& job, int threads);

 private:
  struct alignas(64) Slot;
  void serve(int index);  // an own thread's loop
  bool help_slot(Slot& s, int32_t* tag);

  std::unique_ptr<Slot[]> slots_;  // one per member, then the shared slot
  int members_;
  int spin_;
  std::mutex shared_mutex_;  // guards the shared slot
  std::vector<std::unique_ptr<::pthreadpool>> pools_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  WaitSignal signal_;
};

// Runs job tiles [begin, end) (linear indices over job.count, last dimension fastest) on the
// calling thread.
void run_tiles(const PoolJob& job, size_t begin, size_t end);
// Runs every tile of `job` on the calling thread, in order.
void run_serial(const PoolJob& job);

}  // namespace parallax::rt

// The opaque type of pthreadpool.h: a view of a team with a thread limit.
struct pthreadpool {
  parallax::rt::Team* team;
  int threads;
  std::unique_ptr<parallax::rt::Team> owned;  // set by pthreadpool_create
};
