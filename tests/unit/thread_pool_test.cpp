// The runtime's implementation of pthreadpool's API (runtime/src/thread_pool.h): every variant
// runs each tile exactly once with the right start and size, on a null pool, a one-thread pool
// and a pool with helpers; the uarch variants pass the default id; denormals are flushed only
// inside a job that asks for it; several threads may post to one pool at once.
#include <pthreadpool.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace {

// Counts, per element of a dense index space of up to 6 dimensions, how often a task covered
// it. Tiled dimensions pass (start, size); untiled ones an index.
struct Grid {
  std::vector<size_t> range;
  std::vector<std::atomic<int>> hits;
  std::atomic<int> bad_id{0};
  explicit Grid(std::vector<size_t> r) : range(std::move(r)), hits(volume()) {}
  size_t volume() const {
    size_t v = 1;
    for (size_t x : range) v *= x;
    return v;
  }
  // starts[d], sizes[d] (size 1 for untiled dimensions).
  void cover(const size_t* starts, const size_t* sizes) {
    const int rank = static_cast<int>(range.size());
    size_t at[6] = {};
    for (;;) {
      size_t flat = 0;
      for (int d = 0; d < rank; ++d) flat = flat * range[d] + starts[d] + at[d];
      hits[flat].fetch_add(1, std::memory_order_relaxed);
      int d = rank - 1;
      while (d >= 0 && ++at[d] == sizes[d]) at[d--] = 0;
      if (d < 0) return;
    }
  }
  bool each_once() const {
    for (const auto& h : hits)
      if (h.load() != 1) return false;
    return true;
  }
};

// Task adapters: `tiled` trailing dimensions carry sizes after all the indices.
template <int kRank, int kTiled, typename... A>
void task(void* ctx, A... a) {
  const size_t v[] = {static_cast<size_t>(a)...};
  size_t starts[6] = {}, sizes[6] = {};
  for (int d = 0; d < kRank; ++d) {
    starts[d] = v[d];
    sizes[d] = 1;
  }
  for (int k = 0; k < kTiled; ++k) sizes[kRank - kTiled + k] = v[kRank + k];
  static_cast<Grid*>(ctx)->cover(starts, sizes);
}

template <int kRank, int kTiled, typename... A>
void task_id(void* ctx, uint32_t id, A... a) {
  if (id != 7) static_cast<Grid*>(ctx)->bad_id.fetch_add(1);
  task<kRank, kTiled>(ctx, a...);
}

using S = size_t;

// Runs every parallelize variant on `pool` over odd ranges and tiles.
void check_all_variants(pthreadpool_t pool) {
  const uint32_t f = 0;
#define PX_CHECK_GRID(ranges, call)          \
  {                                          \
    Grid g(ranges);                          \
    call;                                    \
    CHECK(g.each_once());                    \
    CHECK(g.bad_id.load() == 0);             \
  }
  PX_CHECK_GRID(std::vector<S>({37}), pthreadpool_parallelize_1d(pool, task<1, 0, S>, &g, 37, f));
  PX_CHECK_GRID(std::vector<S>({37}), pthreadpool_parallelize_1d_with_uarch(
                                          pool, task_id<1, 0, S>, &g, 7, 9, 37, f));
  PX_CHECK_GRID(std::vector<S>({37}), pthreadpool_parallelize_1d_tile_1d(
                                          pool, task<1, 1, S, S>, &g, 37, 5, f));
  PX_CHECK_GRID(std::vector<S>({5, 7}),
                pthreadpool_parallelize_2d(pool, task<2, 0, S, S>, &g, 5, 7, f));
  PX_CHECK_GRID(std::vector<S>({5, 7}), pthreadpool_parallelize_2d_tile_1d(
                                            pool, task<2, 1, S, S, S>, &g, 5, 7, 3, f));
  PX_CHECK_GRID(std::vector<S>({5, 7}), pthreadpool_parallelize_2d_tile_2d(
                                            pool, task<2, 2, S, S, S, S>, &g, 5, 7, 2, 3, f));
  PX_CHECK_GRID(std::vector<S>({5, 7}),
                pthreadpool_parallelize_2d_tile_2d_with_uarch(
                    pool, task_id<2, 2, S, S, S, S>, &g, 7, 9, 5, 7, 2, 3, f));
  PX_CHECK_GRID(std::vector<S>({3, 4, 5}),
                pthreadpool_parallelize_3d(pool, task<3, 0, S, S, S>, &g, 3, 4, 5, f));
  PX_CHECK_GRID(std::vector<S>({3, 4, 5}), pthreadpool_parallelize_3d_tile_1d(
                                               pool, task<3, 1, S, S, S, S>, &g, 3, 4, 5, 2, f));
  PX_CHECK_GRID(std::vector<S>({3, 4, 5}),
                pthreadpool_parallelize_3d_tile_2d(pool, task<3, 2, S, S, S, S, S>, &g, 3, 4, 5,
                                                   3, 2, f));
  PX_CHECK_GRID(std::vector<S>({3, 4, 5}),
                pthreadpool_parallelize_3d_tile_2d_with_uarch(
                    pool, task_id<3, 2, S, S, S, S, S>, &g, 7, 9, 3, 4, 5, 3, 2, f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 4, 5}), pthreadpool_parallelize_4d(
                                                  pool, task<4, 0, S, S, S, S>, &g, 2, 3, 4, 5, f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 4, 5}),
                pthreadpool_parallelize_4d_tile_1d(pool, task<4, 1, S, S, S, S, S>, &g, 2, 3, 4,
                                                   5, 2, f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 4, 5}),
                pthreadpool_parallelize_4d_tile_2d(pool, task<4, 2, S, S, S, S, S, S>, &g, 2, 3,
                                                   4, 5, 3, 2, f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 4, 5}),
                pthreadpool_parallelize_4d_tile_2d_with_uarch(
                    pool, task_id<4, 2, S, S, S, S, S, S>, &g, 7, 9, 2, 3, 4, 5, 3, 2, f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 2, 3, 4}),
                pthreadpool_parallelize_5d(pool, task<5, 0, S, S, S, S, S>, &g, 2, 3, 2, 3, 4,
                                           f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 2, 3, 4}),
                pthreadpool_parallelize_5d_tile_1d(pool, task<5, 1, S, S, S, S, S, S>, &g, 2, 3,
                                                   2, 3, 4, 3, f));
  PX_CHECK_GRID(std::vector<S>({2, 3, 2, 3, 4}),
                pthreadpool_parallelize_5d_tile_2d(pool, task<5, 2, S, S, S, S, S, S, S>, &g, 2,
                                                   3, 2, 3, 4, 2, 3, f));
  PX_CHECK_GRID(std::vector<S>({2, 2, 3, 2, 3, 4}),
                pthreadpool_parallelize_6d(pool, task<6, 0, S, S, S, S, S, S>, &g, 2, 2, 3, 2, 3,
                                           4, f));
  PX_CHECK_GRID(std::vector<S>({2, 2, 3, 2, 3, 4}),
                pthreadpool_parallelize_6d_tile_1d(pool, task<6, 1, S, S, S, S, S, S, S>, &g, 2,
                                                   2, 3, 2, 3, 4, 3, f));
  PX_CHECK_GRID(std::vector<S>({2, 2, 3, 2, 3, 4}),
                pthreadpool_parallelize_6d_tile_2d(pool, task<6, 2, S, S, S, S, S, S, S, S>, &g,
                                                   2, 2, 3, 2, 3, 4, 2, 3, f));
  // A zero range runs nothing.
  PX_CHECK_GRID(std::vector<S>({0}), pthreadpool_parallelize_1d(pool, task<1, 0, S>, &g, 0, f));
#undef PX_CHECK_GRID
}

struct PoolDeleter {
  void operator()(pthreadpool* p) const { pthreadpool_destroy(p); }
};
using PoolPtr = std::unique_ptr<pthreadpool, PoolDeleter>;

}  // namespace

TEST_CASE("thread pool: every variant runs each tile once", "[thread_pool]") {
  SECTION("null pool") { check_all_variants(nullptr); }
  for (size_t threads : {1, 2, 3, 5}) {
    DYNAMIC_SECTION(threads << " threads") {
      PoolPtr pool(pthreadpool_create(threads));
      REQUIRE(pool != nullptr);
      CHECK(pthreadpool_get_threads_count(pool.get()) == threads);
      for (int round = 0; round < 20; ++round) check_all_variants(pool.get());
    }
  }
  CHECK(pthreadpool_get_threads_count(nullptr) == 1);
}

TEST_CASE("thread pool: several threads post to one pool at once", "[thread_pool]") {
  PoolPtr pool(pthreadpool_create(3));
  std::vector<std::thread> posters;
  std::atomic<int> failures{0};
  for (int k = 0; k < 3; ++k) {
    posters.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        Grid g({64, 9});
        pthreadpool_parallelize_2d_tile_1d(pool.get(), task<2, 1, S, S, S>, &g, 64, 9, 4, 0);
        if (!g.each_once()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : posters) t.join();
  CHECK(failures.load() == 0);
}

#if defined(__x86_64__) || defined(__i386__)
namespace {
std::atomic<int> flushed{0}, kept{0};
void record_mxcsr(void*, size_t) {
  ((_mm_getcsr() & 0x8040u) == 0x8040u ? flushed : kept).fetch_add(1);
}
}  // namespace

TEST_CASE("thread pool: denormals are flushed only inside a job that asks", "[thread_pool]") {
  const unsigned before = _mm_getcsr();
  for (size_t threads : {1, 3}) {
    PoolPtr pool(pthreadpool_create(threads));
    flushed = 0;
    kept = 0;
    pthreadpool_parallelize_1d(pool.get(), record_mxcsr, nullptr, 100,
                               PTHREADPOOL_FLAG_DISABLE_DENORMALS);
    CHECK(flushed.load() == 100);
    flushed = 0;
    kept = 0;
    pthreadpool_parallelize_1d(pool.get(), record_mxcsr, nullptr, 100, 0);
    CHECK(kept.load() == 100);
  }
  pthreadpool_parallelize_1d(nullptr, record_mxcsr, nullptr, 3, PTHREADPOOL_FLAG_DISABLE_DENORMALS);
  CHECK(_mm_getcsr() == before);
}
#endif
