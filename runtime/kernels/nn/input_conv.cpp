// See input_conv.h. Built with -ffp-contract=fast (nn/CMakeLists.txt) so that the tap
// multiply-adds become FMA instructions where the target has them.
#include "input_conv.h"

#include <pthreadpool.h>

#include <algorithm>

#include "row_tasks.h"
#include "simd_level.h"
#include "vector_exp.h"

namespace parallax::rt::kernels::nn {

namespace {

struct Job {
  const float* x;
  float* y;
  const float* w;     // [c][kh][kw][mp]
  const float* bias;  // [mp]
  int64_t m, mp, c, kh, kw;
  InputConvShape s;
  float lo, hi;
  bool silu;
  const int32_t* off;  // [kh * kw]: ky * in_w + kx, the taps' input offsets; null: none made
};

// Output channels per block: at most this many vectors of W lanes. AVX2 takes two (tiles of 6
// pixels x 2 vectors): with four (3 x 4) the 12 accumulators, 4 weight vectors and the
// broadcast input need 17 of its 16 registers, and one Zen 3 core ran the 3 -> 64 3x3 stride-2
// layer 25% slower (docs/kernels.md).
template <int W>
constexpr int kMaxVectors = W == 8 ? 2 : 4;

// Pixels per tile for NV vectors of W lanes: as many as the accumulator budget allows (26 of
// AVX-512's 32 registers, 12 of AVX2's 16), at most 8.
constexpr int pixels_per_tile(int w, int nv) {
  const int budget = w == 16 ? 26 : 12;
  return std::min(8, budget / nv);
}

// Output pixels (n, oy, ox0 + t), t < T, channels [m0, m0 + NV * W), into the output row at
// yrow, taps ky in [ky0, ky1) and kx in [kx0, kx1) (inside the input for every pixel of the
// tile).
template <int W, int NV, int T>
__attribute__((always_inline)) inline void tile(const Job& j, int64_t n, int64_t oy, float* yrow,
                                                int64_t ox0, int64_t ky0, int64_t ky1, int64_t kx0,
                                                int64_t kx1, int64_t m0) {
  using F = typename Vec<W>::F;
  using U = typename Vec<W>::U;
  const InputConvShape& s = j.s;
  F acc[T][NV];
  for (int v = 0; v < NV; ++v) {
    const F b = *reinterpret_cast<const U*>(j.bias + m0 + v * W);
    for (int t = 0; t < T; ++t) acc[t][v] = b;
  }
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  const int64_t ix0 = ox0 * s.stride_w - s.pad_left;
  const int64_t sw = s.stride_w;
  // Whole window rows: one loop over a channel's taps [ky0 * kw, ky1 * kw), the input offsets
  // from the table, rather than a short kx loop per ky (3 taps for a 3x3 kernel).
  const bool whole_rows = kx0 == 0 && kx1 == j.kw && j.off != nullptr;
  for (int64_t c = 0; c < j.c; ++c) {
    const float* xc = j.x + ((n * j.c + c) * s.in_h + iy0) * s.in_w + ix0;
    const float* wc = j.w + c * j.kh * j.kw * j.mp + m0;
    if (whole_rows) {
      const float* w = wc + ky0 * j.kw * j.mp;
      for (int64_t tap = ky0 * j.kw, end = ky1 * j.kw; tap < end; ++tap, w += j.mp) {
        const float* x = xc + j.off[tap];
        F wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = *reinterpret_cast<const U*>(w + v * W);
        for (int t = 0; t < T; ++t) {
          const float xv = x[t * sw];
          for (int v = 0; v < NV; ++v) acc[t][v] += xv * wv[v];
        }
      }
      continue;
    }
    for (int64_t ky = ky0; ky < ky1; ++ky) {
      const float* w = wc + (ky * j.kw + kx0) * j.mp;
      const float* x = xc + ky * s.in_w + kx0;
      for (int64_t kx = kx0; kx < kx1; ++kx, w += j.mp, ++x) {
        F wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = *reinterpret_cast<const U*>(w + v * W);
        for (int t = 0; t < T; ++t) {
          const float xv = x[t * sw];
          for (int v = 0; v < NV; ++v) acc[t][v] += xv * wv[v];
        }
      }
    }
  }
  const F lo = F{} + j.lo;
  const F hi = F{} + j.hi;
  const int64_t valid = j.m - m0;  // channels of this block inside the output
  float* y = yrow + ox0 * j.m + m0;
  for (int t = 0; t < T; ++t, y += j.m) {
    for (int v = 0; v < NV; ++v) {
      F r = acc[t][v];
      r = r < lo ? lo : r;
      r = r > hi ? hi : r;
      if (j.silu) silu_lanes<F, typename Vec<W>::I>(r);
      if (valid >= (v + 1) * W) {
        *reinterpret_cast<U*>(y + v * W) = r;
      } else {
        alignas(64) float part[W];
        *reinterpret_cast<F*>(part) = r;
        std::copy(part, part + (valid - v * W), y + v * W);
      }
    }
  }
}

// Output row r = n * out_h + oy into yrow (out_w x m), channels [m0, m0 + NV * W): tiles of T
// pixels where the whole window row is inside the input, single pixels elsewhere (with the taps
// inside the input).
template <int W, int NV>
__attribute__((always_inline)) inline void row_block(const Job& j, int64_t r, float* yrow,
                                                     int64_t m0) {
  constexpr int T = pixels_per_tile(W, NV);
  const InputConvShape& s = j.s;
  const int64_t n = r / s.out_h, oy = r % s.out_h;
  const int64_t iy0 = oy * s.stride_h - s.pad_top;
  const int64_t ky0 = std::max<int64_t>(0, -iy0);
  const int64_t ky1 = std::max(ky0, std::min(j.kh, s.in_h - iy0));
  // Pixels ox in [first, last) read input columns [ox * stride_w - pad_left, + kw) only.
  const int64_t first = (s.pad_left + s.stride_w - 1) / s.stride_w;
  const int64_t span = s.in_w - j.kw + s.pad_left;
  const int64_t last = std::min(s.out_w, span < 0 ? 0 : span / s.stride_w + 1);
  int64_t ox = 0;
  while (ox < s.out_w) {
    if (ox >= first && ox < last && last - first >= T) {
      // The interior's last tile ends at `last`, overlapping the one before: recomputing a
      // few pixels (to the same bits) is cheaper than single pixels, whose few accumulators
      // leave the multiply-add latency exposed.
      const int64_t at = std::min(ox, last - T);
      tile<W, NV, T>(j, n, oy, yrow, at, ky0, ky1, 0, j.kw, m0);
      ox = at + T;
    } else {
      const int64_t ix0 = ox * s.stride_w - s.pad_left;
      const int64_t kx0 = std::max<int64_t>(0, -ix0);
      const int64_t kx1 = std::max(kx0, std::min(j.kw, s.in_w - ix0));
      tile<W, NV, 1>(j, n, oy, yrow, ox, ky0, ky1, kx0, kx1, m0);
      ox += 1;
    }
  }
}

// Every channel block of output row r, into yrow.
template <int W>
__attribute__((always_inline)) inline void row(const Job& j, int64_t r, float* yrow) {
  for (int64_t m0 = 0; m0 < j.m; m0 += kMaxVectors<W> * W) {
    const int64_t vectors = std::min<int64_t>(kMaxVectors<W>, (j.m - m0 + W - 1) / W);
    switch (vectors) {
      case 1:
        row_block<W, 1>(j, r, yrow, m0);
        break;
      case 2:
        row_block<W, 2>(j, r, yrow, m0);
        break;
      case 3:
        row_block<W, 3>(j, r, yrow, m0);
        break;
      default:
        row_block<W, 4>(j, r, yrow, m0);
        break;
    }
  }
}

using RowsFn = void (*)(const Job&, int64_t, int64_t);
using RowFn = void (*)(const Job&, int64_t, float*);

// name_rows: output rows [r0, r1) into j.y; name_row: output row r into y_row.
#define PARALLAX_INPUT_CONV_ISA(name, target, W)                               \
  target void name##_rows(const Job& j, int64_t r0, int64_t r1) {              \
    for (int64_t r = r0; r < r1; ++r) row<W>(j, r, j.y + r * j.s.out_w * j.m); \
  }                                                                            \
  target void name##_row(const Job& j, int64_t r, float* y_row) { row<W>(j, r, y_row); }

PARALLAX_INPUT_CONV_ISA(portable, , 4)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_INPUT_CONV_X86 1
PARALLAX_INPUT_CONV_ISA(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), 16)
PARALLAX_INPUT_CONV_ISA(avx2, __attribute__((target("avx2,fma"))), 8)
#endif
#undef PARALLAX_INPUT_CONV_ISA

// One SIMD level's entry points, picked once from the CPU's features.
struct Isa {
  RowsFn rows;
  RowFn row;
};

const Isa& isa() {
  static const Isa k = [] {
#ifdef PARALLAX_INPUT_CONV_X86
    if (simd_level() >= SimdLevel::kAvx512) return Isa{&avx512_rows, &avx512_row};
    if (simd_level() >= SimdLevel::kAvx2) return Isa{&avx2_rows, &avx2_row};
#endif
    return Isa{&portable_rows, &portable_row};
  }();
  return k;
}

// Output channels padded to a whole widest vector, so every lane width loads inside w_.
constexpr int64_t kPad = 16;

}  // namespace

void InputConv::pack(const float* w, const float* bias, int64_t m, int64_t c, int64_t kh,
                     int64_t kw) {
  m_ = m;
  mp_ = (m + kPad - 1) / kPad * kPad;
  c_ = c;
  kh_ = kh;
  kw_ = kw;
  w_.assign(static_cast<size_t>((c * kh * kw + 1) * mp_), 0.0f);
  for (int64_t o = 0; o < m; ++o) {
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          w_[((ci * kh + ky) * kw + kx) * mp_ + o] = w[((o * kh + ky) * kw + kx) * c + ci];
    if (bias != nullptr) w_[c * kh * kw * mp_ + o] = bias[o];
  }
}

void InputConv::set_input_width(int64_t in_w) {
  off_w_ = -1;
  off_.clear();
  if (kh_ * in_w >= (int64_t{1} << 31)) return;  // 32-bit offsets: the per-row loops instead
  off_.resize(static_cast<size_t>(kh_ * kw_));
  for (int64_t ky = 0; ky < kh_; ++ky)
    for (int64_t kx = 0; kx < kw_; ++kx) off_[ky * kw_ + kx] = static_cast<int32_t>(ky * in_w + kx);
  off_w_ = in_w;
}

const int32_t* InputConv::offsets(int64_t in_w) const {
  return off_w_ == in_w && !off_.empty() ? off_.data() : nullptr;
}

void InputConv::run(const InputConvShape& s, const float* x, float* y, float out_min, float out_max,
                    bool silu, ::pthreadpool* pool) const {
  const int64_t rows = s.n * s.out_h;
  if (rows <= 0 || s.out_w <= 0 || m_ <= 0) return;
  const float* bias = w_.data() + c_ * kh_ * kw_ * mp_;
  const Job job{x,   y,   w_.data(), bias,    m_,      mp_,  c_,
                kh_, kw_, s,         out_min, out_max, silu, offsets(s.in_w)};
  run_rows(isa().rows, job, rows, pool);
}

void InputConv::run_row(const InputConvShape& s, const float* x, int64_t n, int64_t oy,
                        float* y_row, float out_min, float out_max, bool silu) const {
  if (s.out_w <= 0 || m_ <= 0) return;
  const float* bias = w_.data() + c_ * kh_ * kw_ * mp_;
  const Job job{x,   nullptr, w_.data(), bias,    m_,      mp_,  c_,
                kh_, kw_,     s,         out_min, out_max, silu, offsets(s.in_w)};
  isa().row(job, n * s.out_h + oy, y_row);
}

}  // namespace parallax::rt::kernels::nn
