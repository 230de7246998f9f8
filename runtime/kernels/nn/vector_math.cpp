// See vector_math.h. The loops are compiled for AVX-512, AVX2+FMA and the x86-64 baseline and
// picked once from the CPU's features (as in sgemm.cpp); plain loops the compiler vectorises.
#include "vector_math.h"

#include <pthreadpool.h>

#include <algorithm>
#include <limits>

#include "simd_level.h"
#include "vector_exp.h"

namespace parallax::rt::kernels::nn {

namespace {

// erf(t) lane by lane for t clamped to [-4, 4]; coefficients of P and Q in powers of t^2.
// Explicit vectors: GCC left the plain loop scalar for AVX2 (3.7 ns per GELU on a Zen 3 core).
// NaN passes the clamp (its comparisons are false).
template <typename F>
__attribute__((always_inline)) inline void erf_lanes(F& t) {
  t = t < -4.0f ? F{} - 4.0f : t;
  t = 4.0f < t ? F{} + 4.0f : t;
  const F z = t * t;
  F p = z * 2.0381323878604363e-08f - 1.9346373983306075e-06f;
  p = p * z + 0.000132075702215558f;
  p = p * z + 0.0032677870942960704f;
  p = p * z + 0.04916370223921877f;
  p = p * z + 0.1895916485551805f;
  p = p * z + 1.1283791460292927f;
  F q = z * 0.0008533683918078982f + 0.013457333504544424f;
  q = q * z + 0.11069256409597236f;
  q = q * z + 0.5013538342944316f;
  q = q * z + 1.0f;
  t = t * p / q;
}

// v = erf(v), or with kGelu v * (erf(v / sqrt(2)) + 1) / 2. By reference: vectors passed or
// returned by value change the ABI.
template <typename F, bool kGelu>
__attribute__((always_inline)) inline void erf_gelu_lanes(F& v) {
  F t = kGelu ? v * 0.70710678118654752f : v;
  erf_lanes(t);
  v = kGelu ? (v * (t + 1.0f)) * 0.5f : t;
}

// The lane-wise operations the loops apply: erf, GELU and SiLU.
struct ErfLanes {
  template <typename F, typename I>
  __attribute__((always_inline)) static void apply(F& v) {
    erf_gelu_lanes<F, false>(v);
  }
};
struct GeluLanes {
  template <typename F, typename I>
  __attribute__((always_inline)) static void apply(F& v) {
    erf_gelu_lanes<F, true>(v);
  }
};
struct SiluLanes {
  template <typename F, typename I>
  __attribute__((always_inline)) static void apply(F& v) {
    silu_lanes<F, I>(v);
  }
};

// y = Op(x): W lanes at a time, then one by one.
template <int W, typename Op>
__attribute__((always_inline)) inline void map_loop(const float* x, float* y, size_t n) {
  using F = typename Vec<W>::F;
  using U = typename Vec<W>::U;
  size_t i = 0;
  for (; i + W <= n; i += W) {
    F v = *reinterpret_cast<const U*>(x + i);
    Op::template apply<F, typename Vec<W>::I>(v);
    *reinterpret_cast<U*>(y + i) = v;
  }
  for (; i < n; ++i) {
    Vec<1>::F v{x[i]};
    Op::template apply<Vec<1>::F, Vec<1>::I>(v);
    y[i] = v[0];
  }
}

template <int W>
__attribute__((always_inline)) inline void softmax_row(const float* x, float* s, int64_t n) {
  using F = typename Vec<W>::F;
  using U = typename Vec<W>::U;
  using I = typename Vec<W>::I;
  using F1 = Vec<1>::F;
  using I1 = Vec<1>::I;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  // W lanes of partial maxima and sums, combined in a fixed order: the result depends on n
  // and W only.
  F m = F{} + kNegInf;
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const F v = *reinterpret_cast<const U*>(x + j);
    m = v > m ? v : m;
  }
  float mx = kNegInf;
  for (int l = 0; l < W; ++l) mx = std::max(mx, m[l]);
  for (; j < n; ++j) mx = std::max(mx, x[j]);
  // No NaN test: a NaN (which max skips), an infinite maximum or a row of -inf makes some exp
  // NaN, hence the sum and the whole row, as in the reference.
  F acc = F{};
  j = 0;
  for (; j + W <= n; j += W) {
    F e = *reinterpret_cast<const U*>(x + j) - mx;
    exp_nonpositive<F, I>(e);
    *reinterpret_cast<U*>(s + j) = e;
    acc += e;
  }
  float sum = 0.0f;
  for (int l = 0; l < W; ++l) sum += acc[l];
  for (; j < n; ++j) {
    F1 e = F1{x[j] - mx};
    exp_nonpositive<F1, I1>(e);
    s[j] = e[0];
    sum += s[j];
  }
  const float inv = 1.0f / sum;
  for (int64_t q = 0; q < n; ++q) s[q] *= inv;
}

template <int W>
__attribute__((always_inline)) inline void softmax_loop(const float* x, float* y, int64_t rows,
                                                        int64_t n, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) softmax_row<W>(x + r * ld, y + r * ld, n);
}

using LoopFn = void (*)(const float*, float*, size_t);
using RowsFn = void (*)(const float*, float*, int64_t, int64_t, int64_t);

void erf_portable(const float* x, float* y, size_t n) { map_loop<4, ErfLanes>(x, y, n); }
void gelu_portable(const float* x, float* y, size_t n) { map_loop<4, GeluLanes>(x, y, n); }
void silu_portable(const float* x, float* y, size_t n) { map_loop<4, SiluLanes>(x, y, n); }
void softmax_portable(const float* x, float* y, int64_t rows, int64_t n, int64_t ld) {
  softmax_loop<4>(x, y, rows, n, ld);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_VMATH_X86 1
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void erf_avx512(const float* x, float* y,
                                                                     size_t n) {
  map_loop<16, ErfLanes>(x, y, n);
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void gelu_avx512(const float* x, float* y,
                                                                      size_t n) {
  map_loop<16, GeluLanes>(x, y, n);
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void softmax_avx512(const float* x, float* y,
                                                                         int64_t rows, int64_t n,
                                                                         int64_t ld) {
  softmax_loop<16>(x, y, rows, n, ld);
}
__attribute__((target("avx2,fma"))) void softmax_avx2(const float* x, float* y, int64_t rows,
                                                      int64_t n, int64_t ld) {
  softmax_loop<8>(x, y, rows, n, ld);
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void silu_avx512(const float* x, float* y,
                                                                      size_t n) {
  map_loop<16, SiluLanes>(x, y, n);
}
__attribute__((target("avx2,fma"))) void silu_avx2(const float* x, float* y, size_t n) {
  map_loop<8, SiluLanes>(x, y, n);
}
__attribute__((target("avx2,fma"))) void erf_avx2(const float* x, float* y, size_t n) {
  map_loop<8, ErfLanes>(x, y, n);
}
__attribute__((target("avx2,fma"))) void gelu_avx2(const float* x, float* y, size_t n) {
  map_loop<8, GeluLanes>(x, y, n);
}
#endif

struct Loops {
  LoopFn erf;
  LoopFn gelu;
  RowsFn softmax;
  LoopFn silu;
};

const Loops& loops() {
  static const Loops l = [] {
#ifdef PARALLAX_VMATH_X86
    if (simd_level() >= SimdLevel::kAvx512) {
      return Loops{&erf_avx512, &gelu_avx512, &softmax_avx512, &silu_avx512};
    }
    if (simd_level() >= SimdLevel::kAvx2) {
      return Loops{&erf_avx2, &gelu_avx2, &softmax_avx2, &silu_avx2};
    }
#endif
    return Loops{&erf_portable, &gelu_portable, &softmax_portable, &silu_portable};
  }();
  return l;
}

struct Job {
  LoopFn fn;
  const float* x;
  float* y;
};

void run_range(void* context, size_t start, size_t count) {
  const Job& job = *static_cast<const Job*>(context);
  job.fn(job.x + start, job.y + start, count);
}

void run(LoopFn fn, const float* x, float* y, size_t n, ::pthreadpool* pool) {
  constexpr size_t kChunk = 16384;  // elements per task: enough to hide the dispatch
  if (pool == nullptr || n <= kChunk) {
    fn(x, y, n);
    return;
  }
  Job job{fn, x, y};
  pthreadpool_parallelize_1d_tile_1d(pool, &run_range, &job, n, kChunk, 0);
}

struct SoftmaxJob {
  const float* x;
  float* y;
  int64_t n, ld;
};

void softmax_range(void* context, size_t start, size_t count) {
  const SoftmaxJob& job = *static_cast<const SoftmaxJob*>(context);
  const int64_t off = static_cast<int64_t>(start) * job.ld;
  loops().softmax(job.x + off, job.y + off, static_cast<int64_t>(count), job.n, job.ld);
}

}  // namespace

void erf_f32(const float* x, float* y, size_t n, ::pthreadpool* pool) {
  run(loops().erf, x, y, n, pool);
}

void gelu_erf_f32(float* y, size_t n, ::pthreadpool* pool) { run(loops().gelu, y, y, n, pool); }

void silu_f32(float* y, size_t n, ::pthreadpool* pool) { run(loops().silu, y, y, n, pool); }

void softmax_rows_f32(const float* x, float* y, int64_t rows, int64_t n, int64_t ld,
                      ::pthreadpool* pool) {
  if (rows <= 0 || n <= 0) return;
  // Rows per task: about 16K elements, enough to hide the dispatch.
  const int64_t tile = std::max<int64_t>(1, 16384 / n);
  if (pool == nullptr || rows <= tile) {
    loops().softmax(x, y, rows, n, ld);
    return;
  }
  SoftmaxJob job{x, y, n, ld};
  pthreadpool_parallelize_1d_tile_1d(pool, &softmax_range, &job, static_cast<size_t>(rows),
                                     static_cast<size_t>(tile), 0);
}

}  // namespace parallax::rt::kernels::nn
