// See vector_math.h. The loops are compiled for AVX-512, AVX2+FMA and the x86-64 baseline and
// picked once from the CPU's features (as in sgemm.cpp); plain loops the compiler vectorises.
#include "vector_math.h"

#include <pthreadpool.h>

#include <algorithm>

namespace parallax::rt::kernels::nn {

namespace {

// erf(t) for t clamped to [-4, 4]; coefficients of P and Q in powers of t^2.
__attribute__((always_inline)) inline float erf_approx(float t) {
  t = std::min(std::max(t, -4.0f), 4.0f);  // NaN passes through both
  const float z = t * t;
  float p = 2.0381323878604363e-08f;
  p = p * z - 1.9346373983306075e-06f;
  p = p * z + 0.000132075702215558f;
  p = p * z + 0.0032677870942960704f;
  p = p * z + 0.04916370223921877f;
  p = p * z + 0.1895916485551805f;
  p = p * z + 1.1283791460292927f;
  float q = 0.0008533683918078982f;
  q = q * z + 0.013457333504544424f;
  q = q * z + 0.11069256409597236f;
  q = q * z + 0.5013538342944316f;
  q = q * z + 1.0f;
  return t * p / q;
}

__attribute__((always_inline)) inline void erf_loop(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = erf_approx(x[i]);
}

__attribute__((always_inline)) inline void gelu_loop(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = (v * (erf_approx(v * 0.70710678118654752f) + 1.0f)) * 0.5f;
  }
}

using LoopFn = void (*)(const float*, float*, size_t);

void erf_portable(const float* x, float* y, size_t n) { erf_loop(x, y, n); }
void gelu_portable(const float* x, float* y, size_t n) { gelu_loop(x, y, n); }

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_VMATH_X86 1
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void erf_avx512(const float* x, float* y,
                                                                     size_t n) {
  erf_loop(x, y, n);
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void gelu_avx512(const float* x, float* y,
                                                                      size_t n) {
  gelu_loop(x, y, n);
}
__attribute__((target("avx2,fma"))) void erf_avx2(const float* x, float* y, size_t n) {
  erf_loop(x, y, n);
}
__attribute__((target("avx2,fma"))) void gelu_avx2(const float* x, float* y, size_t n) {
  gelu_loop(x, y, n);
}
#endif

struct Loops {
  LoopFn erf;
  LoopFn gelu;
};

const Loops& loops() {
  static const Loops l = [] {
#ifdef PARALLAX_VMATH_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
      return Loops{&erf_avx512, &gelu_avx512};
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      return Loops{&erf_avx2, &gelu_avx2};
    }
#endif
    return Loops{&erf_portable, &gelu_portable};
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

}  // namespace

void erf_f32(const float* x, float* y, size_t n, ::pthreadpool* pool) {
  run(loops().erf, x, y, n, pool);
}

void gelu_erf_f32(float* y, size_t n, ::pthreadpool* pool) { run(loops().gelu, y, y, n, pool); }

}  // namespace parallax::rt::kernels::nn
