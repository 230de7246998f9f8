// Team and the pthreadpool C API on top of it (see thread_pool.h).
#include "thread_pool.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace parallax::rt {
namespace {

thread_local Team* tls_team = nullptr;
thread_local int tls_index = -1;
thread_local int32_t tls_tag = -1;

// PTHREADPOOL_FLAG_DISABLE_DENORMALS: flush denormal inputs and results to zero while a thread
// runs tiles of the job, then restore its mode. Every participant does it, so a tile's result
// does not depend on the thread that ran it.
class DenormalsOff {
 public:
  explicit DenormalsOff(bool on) : on_(on) {
    if (!on_) return;
#if defined(__x86_64__) || defined(__i386__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);  // FTZ | DAZ
#elif defined(__aarch64__)
    uint64_t fpcr;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = fpcr;
    asm volatile("msr fpcr, %0" ::"r"(fpcr | (uint64_t{1} << 24)));  // FZ
#endif
  }
  ~DenormalsOff() {
    if (!on_) return;
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
    asm volatile("msr fpcr, %0" ::"r"(saved_));
#endif
  }
  DenormalsOff(const DenormalsOff&) = delete;
  DenormalsOff& operator=(const DenormalsOff&) = delete;

 private:
  bool on_;
  uint64_t saved_ = 0;
};

// Claims the next chunk of [0, total): about a (2 * threads)-th of what is left, so chunks shrink
// as the job ends and a late helper still finds some, but never below an (8 * threads)-th of the
// job, which bounds the claims per job. Returns false when nothing is left.
bool claim(std::atomic<size_t>& next, size_t total, int threads, size_t* begin, size_t* end) {
  size_t cur = next.load(std::memory_order_relaxed);
  const size_t t = static_cast<size_t>(threads);
  const size_t floor = std::max<size_t>(1, total / (8 * t));
  for (;;) {
    if (cur >= total) return false;
    const size_t chunk = std::min(total - cur, std::max(floor, (total - cur) / (2 * t)));
    if (next.compare_exchange_weak(cur, cur + chunk, std::memory_order_relaxed)) {
      *begin = cur;
      *end = cur + chunk;
      return true;
    }
  }
}

}  // namespace

void run_serial(const PoolJob& job) {
  DenormalsOff guard((job.flags & PTHREADPOOL_FLAG_DISABLE_DENORMALS) != 0);
  run_tiles(job, 0, job.total);
}

// A posted job and who works on it. `state` is odd while the job is open for helpers. A helper
// registers in `users` and then checks that the state did not change, so it reads the job only
// while the poster cannot reuse the slot; the poster closes the job (state even) once every tile
// is done and waits for registered helpers to leave before returning.
struct alignas(64) Team::Slot {
  std::atomic<uint32_t> state{0};
  std::atomic<int32_t> users{0};  // helpers registered
  int threads = 1;                // the job's thread limit (poster included)
  int32_t tag = -1;               // the poster's tag (set_tag)
  const PoolJob* job = nullptr;
  alignas(64) std::atomic<size_t> next{0};  // first unclaimed tile
  alignas(64) std::atomic<size_t> done{0};  // tiles finished by helpers
};

namespace {

// Calls the task with its n arguments a[0, n) after the context (and the id).
inline void call(const PoolJob& job, const size_t* a, int n) {
  void* c = job.context;
  using S = size_t;
  if (job.with_id) {
    const uint32_t id = job.id;
    switch (n) {
      case 1: return reinterpret_cast<void (*)(void*, uint32_t, S)>(job.fn)(c, id, a[0]);
      case 4:
        return reinterpret_cast<void (*)(void*, uint32_t, S, S, S, S)>(job.fn)(c, id, a[0], a[1],
                                                                              a[2], a[3]);
      case 5:
        return reinterpret_cast<void (*)(void*, uint32_t, S, S, S, S, S)>(job.fn)(
            c, id, a[0], a[1], a[2], a[3], a[4]);
      case 6:
        return reinterpret_cast<void (*)(void*, uint32_t, S, S, S, S, S, S)>(job.fn)(
            c, id, a[0], a[1], a[2], a[3], a[4], a[5]);
      default: return;  // no such variant in pthreadpool.h
    }
  }
  switch (n) {
    case 1: return reinterpret_cast<void (*)(void*, S)>(job.fn)(c, a[0]);
    case 2: return reinterpret_cast<void (*)(void*, S, S)>(job.fn)(c, a[0], a[1]);
    case 3: return reinterpret_cast<void (*)(void*, S, S, S)>(job.fn)(c, a[0], a[1], a[2]);
    case 4:
      return reinterpret_cast<void (*)(void*, S, S, S, S)>(job.fn)(c, a[0], a[1], a[2], a[3]);
    case 5:
      return reinterpret_cast<void (*)(void*, S, S, S, S, S)>(job.fn)(c, a[0], a[1], a[2], a[3],
                                                                      a[4]);
    case 6:
      return reinterpret_cast<void (*)(void*, S, S, S, S, S, S)>(job.fn)(c, a[0], a[1], a[2],
                                                                         a[3], a[4], a[5]);
    case 7:
      return reinterpret_cast<void (*)(void*, S, S, S, S, S, S, S)>(job.fn)(
          c, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8:
      return reinterpret_cast<void (*)(void*, S, S, S, S, S, S, S, S)>(job.fn)(
          c, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    default: return;  // no such variant in pthreadpool.h
  }
}

}  // namespace

void run_tiles(const PoolJob& job, size_t begin, size_t end) {
  if (begin >= end) return;
  // Tile index per dimension, last dimension fastest: divided out of `begin` once, then counted
  // up. A tiled dimension passes its tile's start and, after all starts, its size.
  const int rank = job.rank;
  const int first_tiled = rank - job.tiled;
  size_t index[6];
  size_t rest = begin;
  for (int d = rank - 1; d >= 0; --d) {
    index[d] = rest % job.count[d];
    rest /= job.count[d];
  }
  size_t a[8];
  for (size_t t = begin; t < end; ++t) {
    int n = rank;
    for (int d = 0; d < rank; ++d) a[d] = index[d] * job.tile[d];
    for (int d = first_tiled; d < rank; ++d) a[n++] = std::min(job.tile[d], job.range[d] - a[d]);
    call(job, a, n);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < job.count[d]) break;
      index[d] = 0;
    }
  }
}

Team::Team(int members, int own_threads, int spin)
    : slots_(new Slot[static_cast<size_t>(std::max(members, 1)) + 1]),
      members_(std::max(members, 1)),
      spin_(spin < 0 ? 0 : spin) {
  for (int k = 1; k <= own_threads && k < members_; ++k) threads_.emplace_back(&Team::serve, this, k);
}

Team::~Team() {
  stop_.store(true, std::memory_order_release);
  signal_.notify();
  for (std::thread& t : threads_) t.join();
}

Team::Member::Member(Team* team, int index) : saved_team_(tls_team), saved_index_(tls_index) {
  tls_team = team;
  tls_index = index;
}

Team::Member::~Member() {
  tls_team = saved_team_;
  tls_index = saved_index_;
}

pthreadpool_t Team::pool(int threads) {
  threads = std::max(1, std::min(threads, members_));
  for (const auto& p : pools_)
    if (p->threads == threads) return p.get();
  pools_.push_back(std::unique_ptr<::pthreadpool>(new ::pthreadpool{this, threads, {}}));
  return pools_.back().get();
}

void Team::serve(int index) {
  Member member(this, index);
  while (!stop_.load(std::memory_order_acquire)) {
    const uint32_t seen = signal_.value();
    if (help()) continue;
    if (stop_.load(std::memory_order_acquire)) return;
    signal_.wait(seen, spin_);
  }
}

void Team::set_tag(int32_t tag) { tls_tag = tag; }

bool Team::help(int32_t* tag) {
  bool any = false;
  for (int k = 0; k <= members_; ++k) any = help_slot(slots_[k], tag) || any;
  return any;
}

bool Team::help_slot(Slot& s, int32_t* tag) {
  const uint32_t state = s.state.load(std::memory_order_acquire);
  if ((state & 1) == 0) return false;
  s.users.fetch_add(1, std::memory_order_seq_cst);
  // Registered first, checked second: the poster closes the state before it waits for users,
  // so a job seen open here stays valid until users is given back.
  bool any = false;
  if (s.state.load(std::memory_order_seq_cst) == state &&
      s.users.load(std::memory_order_relaxed) < s.threads) {
    const PoolJob& job = *s.job;
    size_t begin, end;
    DenormalsOff guard((job.flags & PTHREADPOOL_FLAG_DISABLE_DENORMALS) != 0);
    size_t ran = 0;
    while (claim(s.next, job.total, s.threads, &begin, &end)) {
      run_tiles(job, begin, end);
      ran += end - begin;
    }
    // One update of the shared count per helper and job: the poster only waits for the total.
    if (ran > 0) {
      s.done.fetch_add(ran, std::memory_order_acq_rel);
      any = true;
      if (tag != nullptr) *tag = s.tag;
    }
  }
  s.users.fetch_sub(1, std::memory_order_release);
  return any;
}

void Team::run(PoolJob& job, int threads) {
  threads = std::min(threads, members_);
  if (threads <= 1 || job.total <= 1) return run_serial(job);
  Slot* s = nullptr;
  std::unique_lock<std::mutex> lock;
  if (tls_team == this && tls_index >= 0 && tls_index < members_) {
    s = &slots_[tls_index];
  } else {
    lock = std::unique_lock<std::mutex>(shared_mutex_);
    s = &slots_[members_];
  }
  // Publish: the job's fields, then the odd state (release) that makes helpers read them.
  s->job = &job;
  s->threads = threads;
  s->tag = tls_tag;
  s->next.store(0, std::memory_order_relaxed);
  s->done.store(0, std::memory_order_relaxed);
  const uint32_t open = s->state.load(std::memory_order_relaxed) + 1;
  s->state.store(open, std::memory_order_seq_cst);
  signal_.notify();

  size_t mine = 0, begin, end;
  {
    DenormalsOff guard((job.flags & PTHREADPOOL_FLAG_DISABLE_DENORMALS) != 0);
    while (claim(s->next, job.total, threads, &begin, &end)) {
      run_tiles(job, begin, end);
      mine += end - begin;
    }
  }
  // Helpers finish the chunks they claimed; a helper that lost its core can take a while.
  for (int spins = 0; s->done.load(std::memory_order_acquire) + mine < job.total; ++spins) {
    if (spins < 1 << 14) {
      cpu_relax();
    } else {
      sched_yield();
    }
  }
  s->state.store(open + 1, std::memory_order_seq_cst);
  while (s->users.load(std::memory_order_seq_cst) != 0) cpu_relax();
}

}  // namespace parallax::rt

// ---- pthreadpool.h ----

using parallax::rt::PoolJob;
using parallax::rt::Team;

namespace {

size_t default_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<size_t>(CPU_COUNT(&set));
#endif
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<size_t>(n) : 1;
}

// Builds the job of one parallelize call; ranges and tiles run from the first dimension.
// A zero range means no tiles at all.
template <typename F>
void parallelize(pthreadpool_t pool, F fn, void* context, uint32_t flags,
                 std::initializer_list<size_t> ranges, std::initializer_list<size_t> tiles,
                 bool with_id = false, uint32_t id = 0) {
  PoolJob job;
  job.fn = reinterpret_cast<void (*)()>(fn);
  job.context = context;
  job.with_id = with_id;
  job.id = id;
  job.flags = flags;
  job.rank = static_cast<int>(ranges.size());
  job.tiled = static_cast<int>(tiles.size());
  job.total = 1;
  int d = 0;
  for (size_t r : ranges) {
    job.range[d] = r;
    job.tile[d] = 1;
    ++d;
  }
  d = job.rank - job.tiled;
  for (size_t t : tiles) job.tile[d++] = t == 0 ? 1 : t;
  for (d = 0; d < job.rank; ++d) {
    job.count[d] = (job.range[d] + job.tile[d] - 1) / job.tile[d];
    job.total *= job.count[d];
  }
  if (job.total == 0) return;
  // A null pool runs on the calling thread, like pthreadpool's.
  if (pool == nullptr) return parallax::rt::run_serial(job);
  pool->team->run(job, pool->threads);
}

}  // namespace

extern "C" {

pthreadpool_t pthreadpool_create(size_t threads_count) {
  if (threads_count == 0) threads_count = default_threads();
  const int n = static_cast<int>(std::min<size_t>(threads_count, 1024));
  auto team = std::make_unique<Team>(n, n - 1);
  Team* t = team.get();
  return new (std::nothrow) pthreadpool{t, n, std::move(team)};
}

void pthreadpool_destroy(pthreadpool_t pool) {
  // Handles a team made with pool() belong to that team; only pthreadpool_create's are freed.
  if (pool != nullptr && pool->owned != nullptr) delete pool;
}

size_t pthreadpool_get_threads_count(pthreadpool_t pool) {
  return pool == nullptr ? 1 : static_cast<size_t>(pool->threads);
}

void pthreadpool_parallelize_1d(pthreadpool_t p, pthreadpool_task_1d_t f, void* c, size_t i,
                                uint32_t flags) {
  parallelize(p, f, c, flags, {i}, {});
}
void pthreadpool_parallelize_1d_with_uarch(pthreadpool_t p, pthreadpool_task_1d_with_id_t f,
                                           void* c, uint32_t default_id, uint32_t, size_t i,
                                           uint32_t flags) {
  parallelize(p, f, c, flags, {i}, {}, true, default_id);
}
void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t p, pthreadpool_task_1d_tile_1d_t f, void* c,
                                        size_t i, size_t ti, uint32_t flags) {
  parallelize(p, f, c, flags, {i}, {ti});
}
void pthreadpool_parallelize_2d(pthreadpool_t p, pthreadpool_task_2d_t f, void* c, size_t i,
                                size_t j, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j}, {});
}
void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t p, pthreadpool_task_2d_tile_1d_t f, void* c,
                                        size_t i, size_t j, size_t tj, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j}, {tj});
}
void pthreadpool_parallelize_2d_tile_2d(pthreadpool_t p, pthreadpool_task_2d_tile_2d_t f, void* c,
                                        size_t i, size_t j, size_t ti, size_t tj,
                                        uint32_t flags) {
  parallelize(p, f, c, flags, {i, j}, {ti, tj});
}
void pthreadpool_parallelize_2d_tile_2d_with_uarch(pthreadpool_t p,
                                                   pthreadpool_task_2d_tile_2d_with_id_t f,
                                                   void* c, uint32_t default_id, uint32_t,
                                                   size_t i, size_t j, size_t ti, size_t tj,
                                                   uint32_t flags) {
  parallelize(p, f, c, flags, {i, j}, {ti, tj}, true, default_id);
}
void pthreadpool_parallelize_3d(pthreadpool_t p, pthreadpool_task_3d_t f, void* c, size_t i,
                                size_t j, size_t k, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k}, {});
}
void pthreadpool_parallelize_3d_tile_1d(pthreadpool_t p, pthreadpool_task_3d_tile_1d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t tk, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k}, {tk});
}
void pthreadpool_parallelize_3d_tile_2d(pthreadpool_t p, pthreadpool_task_3d_tile_2d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t tj, size_t tk,
                                        uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k}, {tj, tk});
}
void pthreadpool_parallelize_3d_tile_2d_with_uarch(pthreadpool_t p,
                                                   pthreadpool_task_3d_tile_2d_with_id_t f,
                                                   void* c, uint32_t default_id, uint32_t,
                                                   size_t i, size_t j, size_t k, size_t tj,
                                                   size_t tk, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k}, {tj, tk}, true, default_id);
}
void pthreadpool_parallelize_4d(pthreadpool_t p, pthreadpool_task_4d_t f, void* c, size_t i,
                                size_t j, size_t k, size_t l, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l}, {});
}
void pthreadpool_parallelize_4d_tile_1d(pthreadpool_t p, pthreadpool_task_4d_tile_1d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t l, size_t tl,
                                        uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l}, {tl});
}
void pthreadpool_parallelize_4d_tile_2d(pthreadpool_t p, pthreadpool_task_4d_tile_2d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t l, size_t tk,
                                        size_t tl, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l}, {tk, tl});
}
void pthreadpool_parallelize_4d_tile_2d_with_uarch(pthreadpool_t p,
                                                   pthreadpool_task_4d_tile_2d_with_id_t f,
                                                   void* c, uint32_t default_id, uint32_t,
                                                   size_t i, size_t j, size_t k, size_t l,
                                                   size_t tk, size_t tl, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l}, {tk, tl}, true, default_id);
}
void pthreadpool_parallelize_5d(pthreadpool_t p, pthreadpool_task_5d_t f, void* c, size_t i,
                                size_t j, size_t k, size_t l, size_t m, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l, m}, {});
}
void pthreadpool_parallelize_5d_tile_1d(pthreadpool_t p, pthreadpool_task_5d_tile_1d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t l, size_t m,
                                        size_t tm, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l, m}, {tm});
}
void pthreadpool_parallelize_5d_tile_2d(pthreadpool_t p, pthreadpool_task_5d_tile_2d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t l, size_t m,
                                        size_t tl, size_t tm, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l, m}, {tl, tm});
}
void pthreadpool_parallelize_6d(pthreadpool_t p, pthreadpool_task_6d_t f, void* c, size_t i,
                                size_t j, size_t k, size_t l, size_t m, size_t n,
                                uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l, m, n}, {});
}
void pthreadpool_parallelize_6d_tile_1d(pthreadpool_t p, pthreadpool_task_6d_tile_1d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t l, size_t m, size_t n,
                                        size_t tn, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l, m, n}, {tn});
}
void pthreadpool_parallelize_6d_tile_2d(pthreadpool_t p, pthreadpool_task_6d_tile_2d_t f, void* c,
                                        size_t i, size_t j, size_t k, size_t l, size_t m, size_t n,
                                        size_t tm, size_t tn, uint32_t flags) {
  parallelize(p, f, c, flags, {i, j, k, l, m, n}, {tm, tn});
}

// The deprecated API (NNPACK era): every dimension of the *_tiled variants is tiled.
void pthreadpool_compute_1d(pthreadpool_t p, pthreadpool_function_1d_t f, void* c, size_t i) {
  parallelize(p, f, c, 0, {i}, {});
}
void pthreadpool_compute_1d_tiled(pthreadpool_t p, pthreadpool_function_1d_tiled_t f, void* c,
                                  size_t i, size_t ti) {
  parallelize(p, f, c, 0, {i}, {ti});
}
void pthreadpool_compute_2d(pthreadpool_t p, pthreadpool_function_2d_t f, void* c, size_t i,
                            size_t j) {
  parallelize(p, f, c, 0, {i, j}, {});
}
void pthreadpool_compute_2d_tiled(pthreadpool_t p, pthreadpool_function_2d_tiled_t f, void* c,
                                  size_t i, size_t j, size_t ti, size_t tj) {
  parallelize(p, f, c, 0, {i, j}, {ti, tj});
}
void pthreadpool_compute_3d_tiled(pthreadpool_t p, pthreadpool_function_3d_tiled_t f, void* c,
                                  size_t i, size_t j, size_t k, size_t ti, size_t tj, size_t tk) {
  parallelize(p, f, c, 0, {i, j, k}, {ti, tj, tk});
}
void pthreadpool_compute_4d_tiled(pthreadpool_t p, pthreadpool_function_4d_tiled_t f, void* c,
                                  size_t i, size_t j, size_t k, size_t l, size_t ti, size_t tj,
                                  size_t tk, size_t tl) {
  parallelize(p, f, c, 0, {i, j, k, l}, {ti, tj, tk, tl});
}

}  // extern "C"
