// See depthwise.h. Built with -ffp-contract=fast (nn/CMakeLists.txt) so that the tap
// multiply-adds become FMA instructions where the target has them.
#include "depthwise.h"

#include <pthreadpool.h>

#include <algorithm>

#include "row_tasks.h"
#include "simd_level.h"
#include "vector_exp.h"

namespace parallax::rt::kernels::nn {

namespace {

// Largest kernel side (depthwise_fits).
constexpr int64_t kMaxKernel = 7;

struct Job {
  const float* x;
  float* y;
  const float* w;     // [kh * kw][c]
  const float* bias;  // [c]
  int64_t c, kh, kw;
  int64_t xs;  // floats between input pixels
  DepthwiseShape s;
  float lo, hi;
  bool silu;
};

// Output pixels (n, oy, ox0 + t), t < T, channels [c, c + L), taps ky in [ky0, ky1) and
// kx in [kx0, kx1) (all inside the input for every pixel of the tile).
template <int L, int T>
__attribute__((always_inline)) inline void tile(const Job& j, const float* const* xr, float* yr,
                                                int64_t ox0, int64_t ky0, int64_t ky1, int64_t kx0,
                                                int64_t kx1, int64_t c) {
  using F = typename Vec<L>::F;
  using U = typename Vec<L>::U;
  const DepthwiseShape& s = j.s;
  const int64_t ch = j.c, xs = j.xs;
  const int64_t step = s.stride_w * xs;  // between the tile's pixels in the input
  F acc[T];
  const F b = *reinterpret_cast<const U*>(j.bias + c);
  for (int t = 0; t < T; ++t) acc[t] = b;
  const int64_t ix0 = ox0 * s.stride_w - s.pad_left;
  for (int64_t ky = ky0; ky < ky1; ++ky) {
    const float* w = j.w + (ky * j.kw + kx0) * ch + c;
    const float* x = xr[ky] + (ix0 + kx0) * xs + c;
    for (int64_t kx = kx0; kx < kx1; ++kx, w += ch, x += xs) {
      const F wv = *reinterpret_cast<const U*>(w);
      for (int t = 0; t < T; ++t) acc[t] += *reinterpret_cast<const U*>(x + t * step) * wv;
    }
  }
  float* y = yr + ox0 * ch + c;
  const F lo = F{} + j.lo;
  const F hi = F{} + j.hi;
  for (int t = 0; t < T; ++t) {
    F v = acc[t];
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    if (j.silu) silu_lanes<F, typename Vec<L>::I>(v);
    *reinterpret_cast<U*>(y + t * ch) = v;
  }
}

// T pixels from ox0, every channel: W-lane blocks, then 8, 4 and 1 lanes for the rest. The
// channels are the inner loop (measured faster than a block walking the whole row): the tile's
// input pixels are then read contiguously.
template <int W, int T>
__attribute__((always_inline)) inline void pixels(const Job& j, const float* const* xr, float* yr,
                                                  int64_t ox0, int64_t ky0, int64_t ky1,
                                                  int64_t kx0, int64_t kx1) {
  int64_t c = 0;
  for (; c + W <= j.c; c += W) tile<W, T>(j, xr, yr, ox0, ky0, ky1, kx0, kx1, c);
  if constexpr (W > 8) {
    if (c + 8 <= j.c) {
      tile<8, T>(j, xr, yr, ox0, ky0, ky1, kx0, kx1, c);
      c += 8;
    }
  }
  if constexpr (W > 4) {
    if (c + 4 <= j.c) {
      tile<4, T>(j, xr, yr, ox0, ky0, ky1, kx0, kx1, c);
      c += 4;
    }
  }
  for (; c < j.c; ++c) tile<1, T>(j, xr, yr, ox0, ky0, ky1, kx0, kx1, c);
}

// Output row oy into yr (out_w x C), reading input row oy * stride_h - pad_top + ky at xr[ky]
// for the ky inside the input: tiles of T pixels where the whole window row is inside the
// input, single pixels elsewhere (with the taps inside the input).
template <int W, int T>
__attribute__((always_inline)) inline void row(const Job& j, int64_t oy, const float* const* xr,
                                               float* yr) {
  const DepthwiseShape& s = j.s;
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  const int64_t ky0 = std::max<int64_t>(0, -iy0);
  const int64_t ky1 = std::max(ky0, std::min(j.kh, s.in_h - iy0));
  // Pixels ox in [first, last) read input columns [ox * stride_w - pad_left, + kw) only.
  const int64_t first = (s.pad_left + s.stride_w - 1) / s.stride_w;
  const int64_t span = s.in_w - j.kw + s.pad_left;
  const int64_t last = std::min(s.out_w, span < 0 ? 0 : span / s.stride_w + 1);
  int64_t ox = 0;
  while (ox < s.out_w) {
    if (ox >= first && ox + T <= last) {
      pixels<W, T>(j, xr, yr, ox, ky0, ky1, 0, j.kw);
      ox += T;
    } else {
      const int64_t ix0 = ox * s.stride_w - s.pad_left;
      const int64_t kx0 = std::max<int64_t>(0, -ix0);
      const int64_t kx1 = std::max(kx0, std::min(j.kw, s.in_w - ix0));
      pixels<W, 1>(j, xr, yr, ox, ky0, ky1, kx0, kx1);
      ox += 1;
    }
  }
}

// Output rows r = n * out_h + oy in [r0, r1) of the image j.x into j.y.
template <int W, int T>
__attribute__((always_inline)) inline void image_rows(const Job& j, int64_t r0, int64_t r1) {
  const DepthwiseShape& s = j.s;
  const float* xr[kMaxKernel];
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / s.out_h, oy = r % s.out_h;
    const int64_t iy0 = oy * s.stride_h - s.pad_top;
    for (int64_t ky = 0; ky < j.kh; ++ky) {
      const int64_t iy = iy0 + ky;
      xr[ky] = iy >= 0 && iy < s.in_h ? j.x + (n * s.in_h + iy) * s.in_w * j.xs : nullptr;
    }
    row<W, T>(j, oy, xr, j.y + r * s.out_w * j.c);
  }
}

using RowsFn = void (*)(const Job&, int64_t, int64_t);
using RowFn = void (*)(const Job&, int64_t, const float* const*, float*);

#define PARALLAX_DEPTHWISE_ISA(name, target, W, T)                                               \
  target void name##_rows(const Job& j, int64_t r0, int64_t r1) { image_rows<W, T>(j, r0, r1); } \
  target void name##_row(const Job& j, int64_t oy, const float* const* xr, float* yr) {          \
    row<W, T>(j, oy, xr, yr);                                                                    \
  }

PARALLAX_DEPTHWISE_ISA(portable, , 4, 4)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_DEPTHWISE_X86 1
// 4 pixels per tile: measured faster than 8 or 12 (the loads, not the registers, bound it).
PARALLAX_DEPTHWISE_ISA(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), 16, 4)
// 16 vector registers: 4 accumulators and room for the loads.
PARALLAX_DEPTHWISE_ISA(avx2, __attribute__((target("avx2,fma"))), 8, 4)
#endif
#undef PARALLAX_DEPTHWISE_ISA

// One SIMD level's entry points, picked once from the CPU's features.
struct Isa {
  RowsFn rows;
  RowFn row;
};

const Isa& isa() {
  static const Isa k = [] {
#ifdef PARALLAX_DEPTHWISE_X86
    if (simd_level() >= SimdLevel::kAvx512) return Isa{&avx512_rows, &avx512_row};
    if (simd_level() >= SimdLevel::kAvx2) return Isa{&avx2_rows, &avx2_row};
#endif
    return Isa{&portable_rows, &portable_row};
  }();
  return k;
}

}  // namespace

bool depthwise_fits(int64_t kh, int64_t kw, int64_t stride_h, int64_t stride_w) {
  return kh >= 1 && kh <= kMaxKernel && kw >= 1 && kw <= kMaxKernel &&
         (stride_h == 1 || stride_h == 2) && (stride_w == 1 || stride_w == 2);
}

void DepthwiseConv::pack(const float* w, const float* bias, int64_t channels, int64_t kh,
                         int64_t kw) {
  c_ = channels;
  kh_ = kh;
  kw_ = kw;
  const int64_t taps = kh * kw;
  w_.assign(static_cast<size_t>((taps + 1) * channels), 0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) w_[t * channels + c] = w[c * taps + t];
    if (bias != nullptr) w_[taps * channels + c] = bias[c];
  }
}

void DepthwiseConv::run(const DepthwiseShape& s, const float* x, float* y, float out_min,
                        float out_max, bool silu, ::pthreadpool* pool) const {
  const int64_t rows = s.n * s.out_h;
  if (rows <= 0 || s.out_w <= 0 || c_ <= 0) return;
  const int64_t xs = s.in_stride > 0 ? s.in_stride : c_;
  const Job job{x,       y,       w_.data(), w_.data() + kh_ * kw_ * c_, c_, kh_, kw_, xs, s,
                out_min, out_max, silu};
  run_rows(isa().rows, job, rows, pool);
}

void DepthwiseConv::run_row(const DepthwiseShape& s, int64_t oy, const float* const* x_rows,
                            float* y_row, float out_min, float out_max, bool silu) const {
  if (s.out_w <= 0 || c_ <= 0) return;
  const int64_t xs = s.in_stride > 0 ? s.in_stride : c_;
  const Job job{nullptr, nullptr, w_.data(), w_.data() + kh_ * kw_ * c_, c_, kh_, kw_, xs, s,
                out_min, out_max, silu};
  isa().row(job, oy, x_rows, y_row);
}

}  // namespace parallax::rt::kernels::nn
