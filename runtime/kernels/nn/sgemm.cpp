// See sgemm.h. This file is compiled with -ffp-contract=fast (nn/CMakeLists.txt) so that the
// tile's multiply-adds become FMA instructions where the target has them.
#include "sgemm.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "simd_level.h"
#include "vector_exp.h"
#include "vector_math.h"

namespace parallax::rt::kernels::nn {

namespace {

// How a tile's accumulators start and what happens to them before the store.
struct TileEnds {
  const float* bias = nullptr;  // NR floats the accumulators start from, or null for zeros
  bool load_c = false;          // start from C instead (a later block of k; bias ignored)
  bool clamp = false;           // clamp to [lo, hi] (max with lo first, as Clip)
  float lo = 0.0f, hi = 0.0f;
  bool silu = false;  // then x * sigmoid(alpha * x)
  float alpha = 1.0f;
};

// A run of `len` columns of an implicit im2col (SgemmConv): for each row of a group, a pointer
// to its first value (into the input for one filter tap, or to zeros for the padding).
constexpr int kMaxRows = 24;  // a group of rows (Kernel::group: at most 24, AVX2)
struct Segment {
  int64_t len;
  const float* rows[kMaxRows];
};
constexpr int kMaxSegments = 8;  // more makes the stack frame large enough to cost

// Where a tile reads its rows of A: `len` columns from a, rows lda apart (a plain product), or
// rows [row0, row0 + mr) of nseg segments (an im2col).
struct TileA {
  const float* a;
  int64_t lda, len;
  const Segment* seg;
  int nseg, row0;
};

// A tile: C[mr x nr] (mr <= MR, nr <= NR of its kernel) = A rows [mr x columns] x a panel of B:
// one row of NR floats per column of A, `prs` floats apart (NR when packed, B's row stride when
// read in place).
using TileFn = void (*)(const TileA& src, int mr, const float* panel, int64_t prs, float* c,
                        int64_t ldc, int nr, const TileEnds& e);

// The tiles of one instruction set, each for plain A and for an im2col. tiles[.][0][s]: MR and
// two shorter heights (heights[0]) by NR columns (two vectors); tiles[.][1][s]: twice those
// rows by one vector, for a last panel of at most NR / 2 columns (a 16-column layer would
// otherwise waste half of every multiply-add). The shorter tiles take the rows left at the
// bottom of C: 49 rows (a 7x7 feature map) would otherwise cost 56.
struct Kernel {
  int mr;  // rows of tiles[0][0]
  int nr;  // columns per tile = panel width (at most kMaxNr)
  int kc;     // columns of A per block of k (0: all of k at once)
  int group;  // rows per group (compute_block), at most kMaxRows
  int heights[2][3];      // rows of tiles[.][narrow][shorter]
  TileFn tiles[2][2][3];  // [im2col][narrow][shorter]
};
constexpr int kMaxNr = 32;

// MR rows x NV vectors of W floats held in registers while k streams by: every loaded B
// vector feeds MR rows, every A value NV vectors. Rows past `mr` repeat the last valid row
// (cheaper than a branch) and are not stored. Loads and stores go through vector types
// (Vec<W>::U at any float alignment), never memcpy, and every loop over the accumulators has
// constant bounds: an accumulator indexed by a run-time value or whose address is taken would
// live on the stack instead of in registers. Always inlined into the per-ISA wrappers below,
// which is what gives it their instruction set.
template <int W, int MR, int NV>
__attribute__((always_inline)) inline void accumulate(const float* const* ar, int64_t len,
                                                      const float*& panel, int64_t prs,
                                                      typename Vec<W>::F (&acc)[MR][NV]) {
  using V = typename Vec<W>::F;
  using VU = typename Vec<W>::U;
  for (int64_t p = 0; p < len; ++p, panel += prs) {
    V bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = reinterpret_cast<const VU*>(panel)[v];
    for (int r = 0; r < MR; ++r) {
      const float av = ar[r][p];
      for (int v = 0; v < NV; ++v) acc[r][v] += av * bv[v];
    }
  }
}

template <int W, int MR, int NV, bool kConv>
__attribute__((always_inline)) inline void tile(const TileA& src, int mr, const float* panel,
                                                int64_t prs, float* c, int64_t ldc, int nr,
                                                const TileEnds& e) {
  using V = typename Vec<W>::F;
  using VU = typename Vec<W>::U;
  constexpr int NR = W * NV;
  V acc[MR][NV];
  // Every loop over the accumulators is unrolled in full: GCC stops short of it for the longer
  // bodies, which would leave the accumulators indexed by a variable, on the stack.
  if (e.load_c) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const float* cr = c + (r < mr ? r : 0) * ldc;
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        const int left = nr - v * W;  // valid columns from this vector on
        if (left >= W) {
          acc[r][v] = reinterpret_cast<const VU*>(cr)[v];
        } else {
          float part[W] = {};
          for (int j = 0; j < left; ++j) part[j] = cr[v * W + j];
          acc[r][v] = *reinterpret_cast<const VU*>(part);
        }
      }
    }
  } else {
    V start[NV];
    for (int v = 0; v < NV; ++v) start[v] = e.bias ? reinterpret_cast<const VU*>(e.bias)[v] : V{};
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      for (int v = 0; v < NV; ++v) acc[r][v] = start[v];
    }
  }
  if constexpr (kConv) {
    for (int s = 0; s < src.nseg; ++s) {
      const float* ar[MR];
      for (int r = 0; r < MR; ++r) ar[r] = src.seg[s].rows[src.row0 + (r < mr ? r : mr - 1)];
      accumulate<W, MR, NV>(ar, src.seg[s].len, panel, prs, acc);
    }
  } else {
    const float* ar[MR];
    ar[0] = src.a;
    for (int r = 1; r < MR; ++r) ar[r] = r < mr ? ar[r - 1] + src.lda : ar[r - 1];
    accumulate<W, MR, NV>(ar, src.len, panel, prs, acc);
  }
  if (e.clamp) {
    const V lo = V{} + e.lo, hi = V{} + e.hi;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        V x = acc[r][v] < lo ? lo : acc[r][v];
        acc[r][v] = x > hi ? hi : x;
      }
    }
  }
  if (e.silu) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) silu_lanes<V, typename Vec<W>::I>(acc[r][v], e.alpha);
    }
  }
  if (mr == MR && nr == NR) {  // the common case, without a test per store
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) *reinterpret_cast<VU*>(c + r * ldc + v * W) = acc[r][v];
    }
    return;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (r >= mr) break;
    float* cr = c + r * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const int left = nr - v * W;  // valid columns from this vector on
      if (left >= W) {
        *reinterpret_cast<VU*>(cr + v * W) = acc[r][v];
      } else if (left > 0) {
        float part[W];
        *reinterpret_cast<VU*>(part) = acc[r][v];
        for (int j = 0; j < left; ++j) cr[v * W + j] = part[j];
      }
    }
  }
}

#define PARALLAX_SGEMM_TILE(name, target, W, MR, NV)                                      \
  target void name(const TileA& src, int mr, const float* panel, int64_t prs, float* c,    \
                   int64_t ldc, int nr, const TileEnds& e) {                               \
    tile<W, MR, NV, false>(src, mr, panel, prs, c, ldc, nr, e);                            \
  }                                                                                        \
  target void name##_conv(const TileA& src, int mr, const float* panel, int64_t prs,       \
                          float* c, int64_t ldc, int nr, const TileEnds& e) {              \
    tile<W, MR, NV, true>(src, mr, panel, prs, c, ldc, nr, e);                             \
  }
#define PARALLAX_SGEMM_ISA(name, target, W, MR, H1, H2, G, KC)                               \
  PARALLAX_SGEMM_TILE(name##_2v, target, W, MR, 2)                                           \
  PARALLAX_SGEMM_TILE(name##_2v_half, target, W, H1, 2)                                      \
  PARALLAX_SGEMM_TILE(name##_2v_quarter, target, W, H2, 2)                                   \
  PARALLAX_SGEMM_TILE(name##_1v, target, W, 2 * MR, 1)                                       \
  PARALLAX_SGEMM_TILE(name##_1v_half, target, W, 2 * H1, 1)                                  \
  PARALLAX_SGEMM_TILE(name##_1v_quarter, target, W, 2 * H2, 1)                               \
  constexpr Kernel name##_kernel{                                                            \
      MR,                                                                                    \
      2 * W,                                                                                 \
      KC,                                                                                    \
      G,                                                                                     \
      {{MR, H1, H2}, {2 * MR, 2 * H1, 2 * H2}},                                              \
      {{{&name##_2v, &name##_2v_half, &name##_2v_quarter},                                   \
        {&name##_1v, &name##_1v_half, &name##_1v_quarter}},                                  \
       {{&name##_2v_conv, &name##_2v_half_conv, &name##_2v_quarter_conv},                    \
        {&name##_1v_conv, &name##_1v_half_conv, &name##_1v_quarter_conv}}}};

PARALLAX_SGEMM_ISA(portable, , 4, 4, 2, 1, 8, 0)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_SGEMM_X86 1
// 32 vector registers: 8 x 2 (or 16 x 1) accumulators, the B vectors, one broadcast.
PARALLAX_SGEMM_ISA(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), 16, 8, 4, 2, 16, 0)
// 16 vector registers: 6 x 2 (or 12 x 1) accumulators, the B vectors, one broadcast. Shorter
// tiles of 4 and 2 rows (8 and 4 narrow): 16 rows (a decoder's tokens) are 6 + 6 + 4, where
// halves of 6 made them 6 + 6 + 3 + 1, the last tile two multiply-adds per two B loads. Groups
// of 24 rows (a whole block of rows-outer blocks): with groups of 12, 16 rows were a group of 12
// and one of 4, each reading all of B. No blocks of k (kc 0): blocks of 256 were no faster
// on a Zen 3 core (k = 768 to 3072, medians within the noise), once a large B is read once
// (sgemm() below).
PARALLAX_SGEMM_ISA(avx2, __attribute__((target("avx2,fma"))), 8, 6, 4, 2, 24, 0)
#endif
#undef PARALLAX_SGEMM_ISA
#undef PARALLAX_SGEMM_TILE

const Kernel& kernel() {
  static const Kernel k = [] {
#ifdef PARALLAX_SGEMM_X86
    if (simd_level() >= SimdLevel::kAvx512) return avx512_kernel;
    if (simd_level() >= SimdLevel::kAvx2) return avx2_kernel;
#endif
    return portable_kernel;
  }();
  return k;
}

// Which panels of each B matrix are packed: [first_packed, panels). Short A (one block of
// rows) with row-major B reads B in place, since packing would cost as much as the product;
// only a ragged last panel is packed then, so tiles never read past a row of B.
struct PanelPlan {
  int64_t panels = 0;        // per B matrix
  int64_t first_packed = 0;  // panels before this one are read in place
  int64_t packed() const { return panels - first_packed; }
};

PanelPlan plan_panels(const SgemmArgs& g, const Kernel& kern) {
  PanelPlan pp;
  pp.panels = (g.n + kern.nr - 1) / kern.nr;
  if (g.b_packed == nullptr && g.b_cs == 1 && g.m <= 4 * kern.mr) pp.first_packed = g.n / kern.nr;
  return pp;
}

struct Job {
  const SgemmArgs* g;
  Kernel kern;
  PanelPlan pp;
  int64_t panel_elems;  // k * nr
  float* packed;        // where pack_panel writes
  const float* panels;  // where compute_block reads them: `packed`, or SgemmArgs::b_packed
  TileEnds ends;        // the epilogue (bias set per panel)
  int64_t kc = 0;       // block_columns()
};

// Packs the `slot`-th packed panel of B matrix `bi`: k rows of nr floats, zero past column n.
void pack_panel(void* context, size_t bi, size_t slot) {
  const Job& job = *static_cast<const Job*>(context);
  const SgemmArgs& g = *job.g;
  const int nr = job.kern.nr;
  const int64_t j0 = (job.pp.first_packed + static_cast<int64_t>(slot)) * nr;
  const int64_t w = std::min<int64_t>(nr, g.n - j0);
  const float* b = g.b + static_cast<int64_t>(bi) * g.b_stride + j0 * g.b_cs;
  float* dst =
      job.packed +
      (static_cast<int64_t>(bi) * job.pp.packed() + static_cast<int64_t>(slot)) * job.panel_elems;
  if (w < nr) std::memset(dst, 0, static_cast<size_t>(job.panel_elems) * sizeof(float));
  if (g.b_cs == 1) {
    for (int64_t q = 0; q < g.k; ++q) std::memcpy(dst + q * nr, b + q * g.b_rs, w * sizeof(float));
  } else {
    // Transposed B: read each column contiguously.
    for (int64_t j = 0; j < w; ++j) {
      const float* col = b + j * g.b_cs;
      for (int64_t q = 0; q < g.k; ++q) dst[q * nr + j] = col[q * g.b_rs];
    }
  }
}

// Zeros that an im2col segment reads for the rows whose tap falls outside the image.
constexpr int64_t kZeroFloats = 1024;
alignas(64) const float kZeros[kZeroFloats] = {};

// The columns of A per block of k: the kernel's kc, or all of k. An im2col's segments read at
// most kZeroFloats values.
int64_t block_columns(const SgemmArgs& g, const Kernel& kern) {
  const int64_t kc = kern.kc > 0 ? kern.kc : g.k;
  return g.conv != nullptr ? std::min(kc, kZeroFloats) : kc;
}

// The end of the block of k that starts at k0. A plain product's blocks are kc columns; an
// im2col's are whole taps while kc holds at least one (at most kMaxSegments taps), otherwise
// kc-column pieces of one tap. Blocks do not depend on rows, panels or threads.
int64_t block_end(const SgemmArgs& g, int64_t kc, int64_t k0) {
  if (g.conv == nullptr) return std::min(g.k, k0 + kc);
  const int64_t c = g.conv->c;
  if (c >= kc) return std::min((k0 / c + 1) * c, k0 + kc);
  return std::min(g.k, k0 + std::min<int64_t>(kc / c, kMaxSegments) * c);
}

// Where the rows of a block of C read an im2col's input: the image and the input coordinate of
// tap (0, 0) per output pixel.
struct ConvRows {
  const float* image[kMaxRows];
  int64_t iy0[kMaxRows], ix0[kMaxRows];
};

// The im2col segments for rows [i, i + rows) over columns [k0, k1); returns how many.
int build_segments(const SgemmArgs& g, int64_t i, int rows, int64_t k0, int64_t k1,
                   Segment* seg) {
  const SgemmConv& cv = *g.conv;
  ConvRows at;
  const int64_t pixels = cv.out_h * cv.out_w;
  for (int r = 0; r < rows; ++r) {
    const int64_t row = i + r;
    const int64_t n = row / pixels, rest = row - n * pixels;
    const int64_t oy = rest / cv.out_w, ox = rest - oy * cv.out_w;
    at.image[r] = cv.x + n * cv.in_h * cv.in_w * cv.c;
    at.iy0[r] = oy * cv.stride_h - cv.pad_top;
    at.ix0[r] = ox * cv.stride_w - cv.pad_left;
  }
  int nseg = 0;
  for (int64_t k = k0; k < k1; ++nseg) {
    const int64_t tap = k / cv.c, ch = k - tap * cv.c;
    const int64_t ky = tap / cv.kw, kx = tap - ky * cv.kw;
    Segment& sg = seg[nseg];
    sg.len = std::min(cv.c - ch, k1 - k);
    for (int r = 0; r < rows; ++r) {
      const int64_t iy = at.iy0[r] + ky * cv.dil_h, ix = at.ix0[r] + kx * cv.dil_w;
      const bool inside = iy >= 0 && iy < cv.in_h && ix >= 0 && ix < cv.in_w;
      sg.rows[r] = inside ? at.image[r] + (iy * cv.in_w + ix) * cv.c + ch : kZeros;
    }
    k += sg.len;
  }
  return nseg;
}

// Product t, rows [i0, i0 + mi), panels [p0, p0 + pn), one block of k at a time (the later
// blocks continue from C; the clamp and SiLU come with the last): groups of Kernel::group rows
// (2 * MR, the height of a narrow tile; 4 * MR for AVX2), each across all the panels, so that C
// is written a few whole rows at a time (the stores, not the multiply-adds, bound a long, thin
// C) and the group's rows of A stay in cache.
void compute_block(void* context, size_t t, size_t i0, size_t p0, size_t mi, size_t pn) {
  const Job& job = *static_cast<const Job*>(context);
  const SgemmArgs& g = *job.g;
  const Kernel& kern = job.kern;
  const float* a = g.a + (g.a_off ? g.a_off[t] : 0);
  float* c = g.c + (g.c_off ? g.c_off[t] : 0);
  const int64_t bi = g.b_packed == nullptr && g.b_index ? g.b_index[t] : 0;
  const float* packed = job.panels + bi * job.pp.packed() * job.panel_elems;
  const int64_t i_end = static_cast<int64_t>(i0 + mi);
  Segment seg[kMaxSegments];
  const int conv = g.conv != nullptr ? 1 : 0;
  TileA src{nullptr, g.lda, 0, seg, 0, 0};
  for (int64_t k0 = 0; k0 < g.k;) {
    const int64_t k1 = block_end(g, job.kc, k0);
    TileEnds ends = job.ends;
    ends.load_c = k0 > 0;
    if (k1 < g.k) ends.clamp = ends.silu = false;
    for (int64_t i = static_cast<int64_t>(i0); i < i_end; i += kern.group) {
      const int rows = static_cast<int>(std::min<int64_t>(kern.group, i_end - i));
      if (conv) src.nseg = build_segments(g, i, rows, k0, k1, seg);
      src.len = k1 - k0;
      for (int64_t p = static_cast<int64_t>(p0); p < static_cast<int64_t>(p0 + pn); ++p) {
        const int64_t j0 = p * kern.nr;
        const int nr = static_cast<int>(std::min<int64_t>(kern.nr, g.n - j0));
        const bool in_place = p < job.pp.first_packed;
        const int64_t prs = in_place ? g.b_rs : kern.nr;
        const float* panel = (in_place ? g.b + bi * g.b_stride + j0
                                       : packed + (p - job.pp.first_packed) * job.panel_elems) +
                             k0 * prs;
        // The tile reads NR bias values: a ragged last panel's come zero-padded.
        alignas(64) float padded[kMaxNr];
        TileEnds e = ends;
        e.bias = g.bias && !e.load_c ? g.bias + j0 : nullptr;
        if (e.bias && nr < kern.nr) {
          std::fill(padded, padded + kern.nr, 0.0f);
          std::copy(e.bias, e.bias + nr, padded);
          e.bias = padded;
        }
        const int narrow = 2 * nr <= kern.nr ? 1 : 0;
        const int* heights = kern.heights[narrow];
        for (int64_t r = 0; r < rows;) {
          const int64_t left = rows - r;
          int s = 0;  // the shortest tile that still covers `left` rows
          while (s < 2 && left <= heights[s + 1]) ++s;
          const int mr = static_cast<int>(std::min<int64_t>(heights[s], left));
          if (!conv) src.a = a + (i + r) * g.lda + k0;
          src.row0 = static_cast<int>(r);
          kern.tiles[conv][narrow][s](src, mr, panel, prs, c + (i + r) * g.ldc + j0, g.ldc, nr,
                                      e);
          r += mr;
        }
      }
    }
    k0 = k1;
  }
}

// compute_block with the panels as the slower-moving index of the thread pool's range.
void compute_block_panels_outer(void* context, size_t t, size_t p0, size_t i0, size_t pn,
                                size_t mi) {
  compute_block(context, t, i0, p0, mi, pn);
}

}  // namespace

int sgemm_tile_rows() { return kernel().mr; }

size_t sgemm_packed_b_floats(int64_t k, int64_t n) {
  const int nr = kernel().nr;
  return static_cast<size_t>((n + nr - 1) / nr * k * nr);
}

void sgemm_pack_b(const float* b, int64_t b_rs, int64_t b_cs, int64_t k, int64_t n, float* out) {
  SgemmArgs g;
  g.k = k;
  g.n = n;
  g.b = b;
  g.b_rs = b_rs;
  g.b_cs = b_cs;
  Job job{&g, kernel(), {}, k * kernel().nr, out, out, {}};
  job.pp.panels = (n + job.kern.nr - 1) / job.kern.nr;
  for (int64_t p = 0; p < job.pp.panels; ++p) pack_panel(&job, 0, static_cast<size_t>(p));
}

size_t sgemm_packed_floats(const SgemmArgs& g) {
  const Kernel& kern = kernel();
  if (g.b_packed != nullptr) return 0;
  return static_cast<size_t>(g.b_count * plan_panels(g, kern).packed() * g.k * kern.nr);
}

void sgemm(const SgemmArgs& g, float* packed, ::pthreadpool* pool) {
  if (g.m <= 0 || g.n <= 0 || g.batch <= 0) return;
  TileEnds ends;
  ends.clamp = g.out_min > -std::numeric_limits<float>::infinity() ||
               g.out_max < std::numeric_limits<float>::infinity();
  ends.lo = g.out_min;
  ends.hi = g.out_max;
  ends.silu = g.silu;
  ends.alpha = g.silu_alpha;
  if (g.k <= 0) {
    for (int64_t t = 0; t < g.batch; ++t) {
      float* c = g.c + (g.c_off ? g.c_off[t] : 0);
      for (int64_t i = 0; i < g.m; ++i) {
        float* row = c + i * g.ldc;
        if (g.bias) {
          std::copy(g.bias, g.bias + g.n, row);
        } else {
          std::fill(row, row + g.n, 0.0f);
        }
        if (ends.clamp) {
          for (float* x = row; x < row + g.n; ++x)
            *x = std::min(std::max(*x, g.out_min), g.out_max);
        }
        if (g.silu && g.silu_alpha == 1.0f) {
          silu_f32(row, static_cast<size_t>(g.n), nullptr);
        } else if (g.silu) {
          for (float* x = row; x < row + g.n; ++x)
            *x = *x / (1.0f + std::exp(-(*x * g.silu_alpha)));
        }
      }
    }
    return;
  }
  Job job{&g, kernel(), {}, 0, packed, g.b_packed != nullptr ? g.b_packed : packed, ends};
  job.pp = plan_panels(g, job.kern);
  job.panel_elems = g.k * job.kern.nr;
  job.kc = block_columns(g, job.kern);
  // Prepacked: every product reads the one matrix (b_index and b_stride do not apply).
  if (g.b_packed == nullptr && job.pp.packed() > 0) {
    pthreadpool_parallelize_2d(pool, &pack_panel, &job, static_cast<size_t>(g.b_count),
                               static_cast<size_t>(job.pp.packed()), 0);
  }
  // Blocks of rows x panels, one thread each. A block reads its rows of A and its panels of B;
  // the blocks of one row range re-read A's rows, those of one panel range B's panels.
  // - B large (4 MiB and up, past what stays in cache from one run of a layer to the next, or
  //   1 MiB and up when all of A fits in 512 KiB, a core's L2 on Zen 3) and A smaller than B
  //   (m <= n: fully connected layers over a few hundred rows, a small image's convolution): a
  //   block is every row by a few panels (about 256 KiB of B, in L2 while A's rows stream
  //   past), so B comes from memory once. With a 768 x 3072 B and 128 rows that took a Zen 3
  //   core from 21 to 31 GFMA/s (median); with a 2.4 MiB B and 1500 rows (A 2.3 MiB) it was no
  //   better. squeezenet1_1's classifier (169 x 512 x 1000, A 346 KiB, B 2 MiB) went from
  //   about 3.1 to 2.7 ms in the model on one Zen 3 core.
  // - Otherwise about 4 tiles of rows by 256 columns, so that a block's rows of A stay in L1
  //   across its panels.
  // At least about 4 blocks per thread, for balance.
  const size_t threads =
      pool != nullptr ? std::max<size_t>(1, pthreadpool_get_threads_count(pool)) : 1;
  const size_t panels = static_cast<size_t>(job.pp.panels);
  const int64_t a_bytes = g.m * g.k * static_cast<int64_t>(sizeof(float));
  const int64_t b_bytes = g.k * g.n * static_cast<int64_t>(sizeof(float));
  const bool large_b = b_bytes >= (int64_t{4} << 20) ||
                       (b_bytes >= (int64_t{1} << 20) && a_bytes <= (int64_t{512} << 10));
  if (large_b && g.m <= g.n) {
    const size_t panel_bytes = static_cast<size_t>(g.k) * job.kern.nr * sizeof(float);
    size_t tile_p = std::max<size_t>(1, (256 << 10) / std::max<size_t>(1, panel_bytes));
    tile_p = std::min(tile_p, std::max<size_t>(1, panels / (4 * threads)));
    pthreadpool_parallelize_3d_tile_2d(pool, &compute_block_panels_outer, &job,
                                       static_cast<size_t>(g.batch), panels,
                                       static_cast<size_t>(g.m), tile_p, static_cast<size_t>(g.m),
                                       0);
    return;
  }
  const size_t tile_m = static_cast<size_t>(job.kern.mr) * 4;
  const size_t tile_p = static_cast<size_t>(std::max(1, 256 / job.kern.nr));
  pthreadpool_parallelize_3d_tile_2d(pool, &compute_block, &job, static_cast<size_t>(g.batch),
                                     static_cast<size_t>(g.m), panels, tile_m, tile_p, 0);
}

}  // namespace parallax::rt::kernels::nn
