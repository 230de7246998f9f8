// See winograd.h. Compiled with -ffp-contract=fast (nn/CMakeLists.txt) so that the tile's
// multiply-adds become FMA instructions where the target has them.
#include "winograd.h"

#include <pthreadpool.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "simd_level.h"

namespace parallax::rt::kernels::nn {

namespace {

constexpr int kAlpha = 6;                 // input tile edge: 4 outputs + 3 taps - 1
constexpr int kPoints = kAlpha * kAlpha;  // independent products per tile
constexpr int kOut = 4;                   // output tile edge

// Transformed inputs and products of one block should stay in L2 (1 MiB on the cores we tune
// for) next to the weight panel being streamed.
constexpr int64_t kBlockBytes = 512 * 1024;
// Terms per partial sum in the products (gemm_tile).
constexpr int64_t kSumBlock = 16;
// Scratch slots at most (bits of Job::busy); more threads wait for a free one.
constexpr int64_t kMaxSlots = 32;
// Products below this many flops run on the calling thread.
constexpr double kSerialFlops = 1e6;

// V: W floats; VU: the same at any float alignment. Loads and stores go through these types
// so that tile values stay in registers.
template <int W>
struct Vec {
  typedef float type __attribute__((vector_size(W * sizeof(float))));
  typedef float unaligned __attribute__((vector_size(W * sizeof(float)), aligned(4)));
};

struct Job;

// A block: tiles [first, first + count) of the batch, V [count][36][cin_pad] and
// M [count][36][cout_pad], tiles tile_stride() floats apart.
struct Block {
  int64_t first, count;
  float* v;
  float* m;
};

// A tile's 36 points are written (V) and read (M) together, so they are contiguous; the GEMM
// reads one point of consecutive tiles, which a multiple of 4 KiB apart would all fall into
// one L1 set: one extra cache line per tile spreads them.
int64_t tile_stride(int64_t channels) { return kPoints * channels + 16; }

// The three phases on part of a block: tiles [t0, t1) of it, or point xi and weight panels
// [p0, p1).
using TransformFn = void (*)(const Job& j, const Block& b, int64_t t0, int64_t t1);
using ProductFn = void (*)(const Job& j, const Block& b, int xi, int64_t p0, int64_t p1);

struct Isa {
  int w;   // vector width (floats)
  int mr;  // GEMM tile rows
  int nr;  // GEMM tile columns = weight panel width
  TransformFn input;
  ProductFn products;
  TransformFn output;
};

struct Job {
  const WinogradShape* s;
  const float* x;
  float* y;
  const float* u;
  const float* bias;
  int64_t cin, cout, cin_pad, cout_pad;
  int64_t ldy;  // floats between output pixels
  int64_t tiles_w, tiles_per_image, tiles;
  int64_t tb, blocks;  // tiles per block (at most), blocks
  float lo, hi;
  float* scratch;
  int64_t slot_floats;  // per scratch slot
  int slots;
  std::atomic<uint32_t>* busy;  // bit i: slot i is in use
  int64_t panels;               // cout_pad / nr
  Block whole;                  // the phased schedule's one block
  Isa isa;
};

// Loads n (< W: the rest zero) or W floats.
template <int W>
__attribute__((always_inline)) inline void load(typename Vec<W>::type& out, const float* p,
                                                int64_t n) {
  using V = typename Vec<W>::type;
  if (n >= W) {
    out = *reinterpret_cast<const typename Vec<W>::unaligned*>(p);
    return;
  }
  alignas(64) float tmp[W] = {};
  for (int64_t i = 0; i < n; ++i) tmp[i] = p[i];
  out = *reinterpret_cast<const V*>(tmp);
}

template <int W>
__attribute__((always_inline)) inline void store(float* p, const typename Vec<W>::type& v,
                                                 int64_t n) {
  if (n >= W) {
    *reinterpret_cast<typename Vec<W>::unaligned*>(p) = v;
    return;
  }
  alignas(64) float tmp[W];
  *reinterpret_cast<typename Vec<W>::type*>(tmp) = v;
  for (int64_t i = 0; i < n; ++i) p[i] = tmp[i];
}

// The transforms interpolate at 0, 1, -1, 2, -1/2 and infinity: every coefficient is exact in
// float, and -1/2 instead of the usual -2 halves the rounding error (the largest entry of B^T
// is 2.5 instead of 5, of the 2-D input transform 6.25 instead of 25).
//
// t = B^T d over six values `ds` apart, into six values `ts` apart.
template <typename V>
__attribute__((always_inline)) inline void input_1d(const V* d, int ds, V* t, int ts) {
  const V d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
  t[0] = d0 + d4 + 1.5f * (d1 - d3) - 2.0f * d2;
  t[ts] = d4 - d1 - 2.5f * d2 - 0.5f * d3;
  t[2 * ts] = d4 + d1 + 0.5f * d2 - 2.5f * d3;
  t[3 * ts] = d4 - d2 + 0.5f * (d3 - d1);
  t[4 * ts] = d4 - d2 + 2.0f * (d1 - d3);
  t[5 * ts] = d1 + d5 + 1.5f * (d2 - d4) - 2.0f * d3;
}

// o = A^T m over six values `ms` apart, into four values `os` apart.
template <typename V>
__attribute__((always_inline)) inline void output_1d(const V* m, int ms, V* o, int os) {
  const V s = m[ms] + m[2 * ms], d = m[ms] - m[2 * ms], m3 = m[3 * ms], m4 = m[4 * ms];
  o[0] = m[0] + s + m3 + m4;
  o[os] = d + 2.0f * m3 - 0.5f * m4;
  o[2 * os] = s + 4.0f * m3 + 0.25f * m4;
  o[3 * os] = d + 8.0f * m3 - 0.125f * m4 + m[5 * ms];
}

// V[t][xi][c] = (B^T d B)[xi] for tiles [t0, t1) of the block and every channel (zero past
// cin).
template <int W>
__attribute__((always_inline)) inline void input_transform(const Job& j, const Block& b, int64_t t0,
                                                           int64_t t1) {
  using V = typename Vec<W>::type;
  const WinogradShape& s = *j.s;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t g = b.first + t;
    const int64_t n = g / j.tiles_per_image, r = g % j.tiles_per_image;
    const int64_t iy0 = (r / j.tiles_w) * kOut - s.pad_top;
    const int64_t ix0 = (r % j.tiles_w) * kOut - s.pad_left;
    const float* rows[kAlpha];  // null: a padding row
    bool col_in[kAlpha];
    for (int i = 0; i < kAlpha; ++i) {
      const int64_t iy = iy0 + i, ix = ix0 + i;
      rows[i] = iy >= 0 && iy < s.in_h ? j.x + (n * s.in_h + iy) * s.in_w * j.cin : nullptr;
      col_in[i] = ix >= 0 && ix < s.in_w;
    }
    float* out = b.v + t * tile_stride(j.cin_pad);
    for (int64_t c = 0; c < j.cin_pad; c += W) {
      const int64_t nc = j.cin - c;  // channels from c: fewer than W only in the last chunk
      V e[kPoints];
      for (int i = 0; i < kAlpha; ++i) {  // along each row, into e
        V d[kAlpha];
        for (int k = 0; k < kAlpha; ++k) {
          if (rows[i] != nullptr && col_in[k]) {
            load<W>(d[k], rows[i] + (ix0 + k) * j.cin + c, nc);
          } else {
            d[k] = V{};
          }
        }
        input_1d(d, 1, e + i * kAlpha, 1);
      }
      for (int k = 0; k < kAlpha; ++k) {  // down each column of e, into V
        V col[kAlpha];
        input_1d(e + k, kAlpha, col, 1);
        for (int i = 0; i < kAlpha; ++i) {
          *reinterpret_cast<typename Vec<W>::unaligned*>(out + (i * kAlpha + k) * j.cin_pad + c) =
              col[i];
        }
      }
    }
  }
}

// C[mr x NR] = A rows [mr x k] x a panel (k rows of NR floats). Rows past mr repeat the last
// valid row (cheaper than a branch) and are not stored. The sums run in two levels, kSumBlock
// terms into a partial sum and partial sums into the total: the transformed operands are
// larger than the result they sum to, and a single running sum over all of k was the largest
// source of rounding error (half of it with 128 channels).
template <int W, int MR, int NV>
__attribute__((always_inline)) inline void gemm_tile(int64_t k, const float* a, int64_t lda, int mr,
                                                     const float* panel, float* c, int64_t ldc) {
  using V = typename Vec<W>::type;
  const float* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + static_cast<int64_t>(r < mr ? r : mr - 1) * lda;
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int q = 0; q < NV; ++q) acc[r][q] = V{};
  for (int64_t p = 0; p < k; p += kSumBlock) {
    V part[MR][NV];
    for (int r = 0; r < MR; ++r)
      for (int q = 0; q < NV; ++q) part[r][q] = V{};
    const int64_t n = std::min(kSumBlock, k - p);
    for (int64_t i = 0; i < n; ++i, panel += W * NV) {
      V bv[NV];
      for (int q = 0; q < NV; ++q) bv[q] = reinterpret_cast<const V*>(panel)[q];
      for (int r = 0; r < MR; ++r) {
        const float av = ar[r][p + i];
        for (int q = 0; q < NV; ++q) part[r][q] += av * bv[q];
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int q = 0; q < NV; ++q) acc[r][q] += part[r][q];
  }
  for (int r = 0; r < mr; ++r)
    for (int q = 0; q < NV; ++q) reinterpret_cast<V*>(c + r * ldc)[q] = acc[r][q];
}

// M[xi] = V[xi] x U[xi], output columns of panels [p0, p1); a weight panel stays in cache
// across the block's rows.
template <int W, int MR, int NV>
__attribute__((always_inline)) inline void products(const Job& j, const Block& b, int xi,
                                                    int64_t p0, int64_t p1) {
  constexpr int NR = W * NV;
  const float* a = b.v + xi * j.cin_pad;
  float* c = b.m + xi * j.cout_pad;
  const int64_t lda = tile_stride(j.cin_pad), ldc = tile_stride(j.cout_pad);
  for (int64_t p = p0; p < p1; ++p) {
    const float* panel = j.u + (xi * j.panels + p) * j.cin_pad * NR;
    for (int64_t i = 0; i < b.count; i += MR) {
      const int mr = static_cast<int>(std::min<int64_t>(MR, b.count - i));
      gemm_tile<W, MR, NV>(j.cin_pad, a + i * lda, lda, mr, panel, c + i * ldc + p * NR, ldc);
    }
  }
}

// y = clamp(A^T M A + bias) for tiles [t0, t1) of the block, clipped at the output's edges.
template <int W>
__attribute__((always_inline)) inline void output_transform(const Job& j, const Block& b,
                                                            int64_t t0, int64_t t1) {
  using V = typename Vec<W>::type;
  const WinogradShape& s = *j.s;
  const V lo = V{} + j.lo, hi = V{} + j.hi;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t g = b.first + t;
    const int64_t n = g / j.tiles_per_image, r = g % j.tiles_per_image;
    const int64_t oy0 = (r / j.tiles_w) * kOut, ox0 = (r % j.tiles_w) * kOut;
    const int rows = static_cast<int>(std::min<int64_t>(kOut, s.out_h - oy0));
    const int cols = static_cast<int>(std::min<int64_t>(kOut, s.out_w - ox0));
    float* y0 = j.y + ((n * s.out_h + oy0) * s.out_w + ox0) * j.ldy;
    const float* in = b.m + t * tile_stride(j.cout_pad);
    const int64_t xstride = j.cout_pad;
    for (int64_t c = 0; c < j.cout; c += W) {
      V e[kPoints], f[kAlpha * kOut], o[kOut * kOut];
      for (int xi = 0; xi < kPoints; ++xi) {
        e[xi] = *reinterpret_cast<const V*>(in + xi * xstride + c);
      }
      for (int k = 0; k < kAlpha; ++k) output_1d(e + k, kAlpha, f + k, kAlpha);      // down columns
      for (int i = 0; i < kOut; ++i) output_1d(f + i * kAlpha, 1, o + i * kOut, 1);  // rows
      const V bias = *reinterpret_cast<const V*>(j.bias + c);
      for (int i = 0; i < rows; ++i) {
        for (int q = 0; q < cols; ++q) {
          V val = o[i * kOut + q] + bias;
          val = val < lo ? lo : val;
          val = val > hi ? hi : val;
          store<W>(y0 + (i * s.out_w + q) * j.ldy + c, val, j.cout - c);
        }
      }
    }
  }
}

// The phases compiled for one instruction set: W-float vectors, MR x NV-vector GEMM tiles.
#define PARALLAX_WINOGRAD_ISA(name, target, W, MR, NV)                                        \
  target void name##_input(const Job& j, const Block& b, int64_t t0, int64_t t1) {            \
    input_transform<W>(j, b, t0, t1);                                                         \
  }                                                                                           \
  target void name##_products(const Job& j, const Block& b, int xi, int64_t p0, int64_t p1) { \
    products<W, MR, NV>(j, b, xi, p0, p1);                                                    \
  }                                                                                           \
  target void name##_output(const Job& j, const Block& b, int64_t t0, int64_t t1) {           \
    output_transform<W>(j, b, t0, t1);                                                        \
  }

PARALLAX_WINOGRAD_ISA(portable, , 4, 4, 2)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_WINOGRAD_X86 1
// 32 vector registers: 4 x 2 totals and as many partial sums, two weight vectors, a broadcast.
PARALLAX_WINOGRAD_ISA(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), 16, 4, 2)
// 16 vector registers: 3 x 2 totals and as many partial sums, two weight vectors, a broadcast.
PARALLAX_WINOGRAD_ISA(avx2, __attribute__((target("avx2,fma"))), 8, 3, 2)
#endif
#undef PARALLAX_WINOGRAD_ISA

const Isa& isa() {
  static const Isa k = [] {
#ifdef PARALLAX_WINOGRAD_X86
    if (simd_level() >= SimdLevel::kAvx512) {
      return Isa{16, 4, 32, &avx512_input, &avx512_products, &avx512_output};
    }
    if (simd_level() >= SimdLevel::kAvx2) {
      return Isa{8, 3, 16, &avx2_input, &avx2_products, &avx2_output};
    }
#endif
    return Isa{4, 4, 8, &portable_input, &portable_products, &portable_output};
  }();
  return k;
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Zeroed, 64-byte aligned; null when out of memory.
float* alloc_floats(int64_t count) {
  const size_t bytes = static_cast<size_t>(round_up(std::max<int64_t>(count, 1) * 4, 64));
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (p != nullptr) std::memset(p, 0, bytes);
  return p;
}

// How run() splits the work: blocks of as many tiles as fit kBlockBytes, each block one task
// of the pool that takes a free scratch slot of the `threads` for its duration (tiled); or,
// when there are too few blocks to go round, so that every thread would stream all the weights
// for a few tiles, one block of every tile with each phase split across the pool (phased: the
// threads share the weights' panels instead). Either way only the grouping of tiles changes,
// never the arithmetic. Small tasks let the pool's caller take over the work of a thread that
// the OS has descheduled.
struct Plan {
  int64_t tiles = 0;   // in the batch
  int64_t tb = 0;      // tiles per block (at most)
  int64_t blocks = 0;  // tiled: ceil(tiles / tb)
  int64_t slots = 1;   // tiled: scratch slots (threads); phased: 1
  bool phased = false;
};

Plan plan_run(const WinogradShape& s, int64_t cin_pad, int64_t cout_pad, int threads) {
  Plan p;
  p.tiles = s.n * ((s.out_h + kOut - 1) / kOut) * ((s.out_w + kOut - 1) / kOut);
  if (p.tiles <= 0) return p;
  // Work one thread finishes in about 10 us is not worth waking the pool for.
  if (2.0 * kPoints * static_cast<double>(p.tiles * cin_pad * cout_pad) < kSerialFlops) threads = 1;
  const int64_t per_tile = kPoints * (cin_pad + cout_pad) * static_cast<int64_t>(sizeof(float));
  const int64_t mr = isa().mr;
  const int64_t want = std::max<int64_t>(mr, kBlockBytes / per_tile);
  int64_t nb = (p.tiles + want - 1) / want;
  if (threads > 1 && nb <= threads) {
    p.phased = true;
    p.tb = p.tiles;
    return p;
  }
  // At least four blocks per thread, so that a thread that falls behind hands some over and the
  // last round of blocks leaves the other threads little to wait for (with two, squeezenet1_1's
  // 55 x 55 layers ran 5 blocks on 2 threads, a 3 : 2 split), and whole GEMM tiles of rows in
  // every block but the last (a ragged tile costs a full one).
  if (threads > 1) nb = std::max<int64_t>(nb, std::min<int64_t>(4 * threads, p.tiles / mr));
  p.tb = std::min(p.tiles, round_up((p.tiles + nb - 1) / nb, mr));
  p.blocks = (p.tiles + p.tb - 1) / p.tb;
  p.slots = std::max<int64_t>(1, std::min<int64_t>({threads, p.blocks, kMaxSlots}));
  return p;
}

// Scratch floats of one slot: V and M of a block of tb tiles.
int64_t slot_floats(int64_t tb, int64_t cin_pad, int64_t cout_pad) {
  return tb * (tile_stride(cin_pad) + tile_stride(cout_pad));
}

// Tiled: block `block` start to finish, in a scratch slot no other running task holds (at most
// `slots` tasks run at once, one per thread, so one is always free or about to be).
void run_block(void* context, size_t block) {
  const Job& j = *static_cast<const Job*>(context);
  uint32_t taken = j.busy->load(std::memory_order_relaxed);
  int slot = 0;
  for (;;) {
    while (slot < j.slots && (taken >> slot & 1u) != 0) ++slot;
    if (slot == j.slots) {
      slot = 0;
      taken = j.busy->load(std::memory_order_relaxed);
      continue;
    }
    if (j.busy->compare_exchange_weak(taken, taken | 1u << slot, std::memory_order_acquire)) break;
    slot = 0;
  }
  Block b{static_cast<int64_t>(block) * j.tb, 0, j.scratch + slot * j.slot_floats, nullptr};
  b.count = std::min(j.tb, j.tiles - b.first);
  b.m = b.v + j.tb * tile_stride(j.cin_pad);
  j.isa.input(j, b, 0, b.count);
  for (int xi = 0; xi < kPoints; ++xi) j.isa.products(j, b, xi, 0, j.panels);
  j.isa.output(j, b, 0, b.count);
  j.busy->fetch_and(~(1u << slot), std::memory_order_release);
}

// Phased: one call per phase over the pool.
void phase_input(void* context, size_t t0, size_t count) {
  const Job& j = *static_cast<const Job*>(context);
  j.isa.input(j, j.whole, static_cast<int64_t>(t0), static_cast<int64_t>(t0 + count));
}
void phase_products(void* context, size_t xi, size_t p0, size_t count) {
  const Job& j = *static_cast<const Job*>(context);
  j.isa.products(j, j.whole, static_cast<int>(xi), static_cast<int64_t>(p0),
                 static_cast<int64_t>(p0 + count));
}
void phase_output(void* context, size_t t0, size_t count) {
  const Job& j = *static_cast<const Job*>(context);
  j.isa.output(j, j.whole, static_cast<int64_t>(t0), static_cast<int64_t>(t0 + count));
}

}  // namespace

bool winograd_pays_off(int64_t cin, int64_t cout, int64_t out_h, int64_t out_w) {
  // Every 3x3 stride-1 layer of resnet18, googlenet, inception_v3, densenet121 and
  // squeezenet1_1 ran faster this way on one Zen 4 core, in 0.32-0.80 of XNNPACK's time (7x7
  // outputs, four tiles of which a quarter is padding, included). Smaller images waste most of
  // their tiles and read 4x the weights per output. The rule must not look at the thread
  // count: the two paths round differently.
  return cin >= 8 && cout >= 8 && out_h >= 7 && out_w >= 7;
}

bool winograd_beats_sgemm(int64_t cin, int64_t cout, int64_t out_h, int64_t out_w) {
  // One Zen 3 core, Winograd / sgemm time: 7x7 outputs 128x128 channels 0.65, 256x256 0.74,
  // 256x512 1.61, 512x512 1.54; 8x8 outputs 256x256 0.60, 384x384 1.63, 448x384 1.06; from
  // 10x10 outputs (3 x 3 tiles) on, 0.59 at 256x256 and less below.
  const int64_t tiles = ((out_h + 3) / 4) * ((out_w + 3) / 4);
  return tiles > 4 || cin * cout <= 256 * 320;
}

void WinogradConv::Free::operator()(float* p) const { std::free(p); }

bool WinogradConv::pack(const float* w, const float* bias, int64_t cout, int64_t cin) {
  const Isa& k = isa();
  cin_ = cin;
  cout_ = cout;
  cin_pad_ = round_up(cin, k.w);
  cout_pad_ = round_up(cout, k.nr);
  const int64_t panels = cout_pad_ / k.nr;
  u_.reset(alloc_floats(kPoints * cout_pad_ * cin_pad_));
  bias_.reset(alloc_floats(cout_pad_));
  if (u_ == nullptr || bias_ == nullptr) {
    u_.reset();
    return false;
  }
  // G g G^T in double, so that the float result is the correctly rounded transform. Row j of
  // G evaluates the kernel polynomial at point j, divided by prod_{l != j} (p_j - p_l); the
  // last row is the point at infinity (the leading coefficient).
  static const double kPoints5[kAlpha - 1] = {0, 1, -1, 2, -0.5};
  double G[kAlpha][3] = {};
  for (int a = 0; a < kAlpha - 1; ++a) {
    double den = 1;
    for (int l = 0; l < kAlpha - 1; ++l)
      if (l != a) den *= kPoints5[a] - kPoints5[l];
    for (int k = 0; k < 3; ++k)
      G[a][k] = (k == 0 ? 1.0 : k == 1 ? kPoints5[a] : kPoints5[a] * kPoints5[a]) / den;
  }
  G[kAlpha - 1][2] = 1;
  for (int64_t o = 0; o < cout; ++o) {
    float* dst_o = u_.get() + (o / k.nr) * cin_pad_ * k.nr + o % k.nr;
    for (int64_t i = 0; i < cin; ++i) {
      double g[3][3], gg[kAlpha][3];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) g[ky][kx] = w[((o * 3 + ky) * 3 + kx) * cin + i];
      for (int a = 0; a < kAlpha; ++a)
        for (int kx = 0; kx < 3; ++kx)
          gg[a][kx] = G[a][0] * g[0][kx] + G[a][1] * g[1][kx] + G[a][2] * g[2][kx];
      for (int a = 0; a < kAlpha; ++a) {
        for (int b = 0; b < kAlpha; ++b) {
          const double u = gg[a][0] * G[b][0] + gg[a][1] * G[b][1] + gg[a][2] * G[b][2];
          dst_o[((a * kAlpha + b) * panels * cin_pad_ + i) * k.nr] = static_cast<float>(u);
        }
      }
    }
    if (bias != nullptr) bias_[o] = bias[o];
  }
  return true;
}

size_t WinogradConv::scratch_bytes(const WinogradShape& s, int threads) const {
  const Plan p = plan_run(s, cin_pad_, cout_pad_, threads);
  return static_cast<size_t>(p.slots * slot_floats(p.tb, cin_pad_, cout_pad_)) * sizeof(float);
}

void WinogradConv::run(const WinogradShape& s, const float* x, float* y, float out_min,
                       float out_max, void* scratch, ::pthreadpool* pool, int threads) const {
  const Plan p = plan_run(s, cin_pad_, cout_pad_, threads);
  if (p.tiles <= 0) return;
  Job j{};
  j.s = &s;
  j.x = x;
  j.y = y;
  j.u = u_.get();
  j.bias = bias_.get();
  j.cin = cin_;
  j.cout = cout_;
  j.ldy = s.out_stride > 0 ? s.out_stride : cout_;
  j.cin_pad = cin_pad_;
  j.cout_pad = cout_pad_;
  j.tiles_w = (s.out_w + kOut - 1) / kOut;
  j.tiles_per_image = j.tiles_w * ((s.out_h + kOut - 1) / kOut);
  j.tiles = p.tiles;
  j.tb = p.tb;
  j.blocks = p.blocks;
  j.slots = static_cast<int>(p.slots);
  std::atomic<uint32_t> busy{0};
  j.busy = &busy;
  j.lo = out_min;
  j.hi = out_max;
  j.scratch = static_cast<float*>(scratch);
  j.slot_floats = slot_floats(j.tb, cin_pad_, cout_pad_);
  j.isa = isa();
  j.panels = cout_pad_ / j.isa.nr;
  if (!p.phased) {
    if (j.slots == 1 || pool == nullptr) {
      for (int64_t b = 0; b < j.blocks; ++b) run_block(&j, static_cast<size_t>(b));
    } else {
      pthreadpool_parallelize_1d(pool, &run_block, &j, static_cast<size_t>(j.blocks), 0);
    }
    return;
  }
  j.whole = Block{0, p.tiles, j.scratch, j.scratch + p.tiles * tile_stride(cin_pad_)};
  const size_t tiles = static_cast<size_t>(p.tiles);
  const size_t tile_step = std::max<size_t>(1, tiles / (4 * static_cast<size_t>(threads)));
  pthreadpool_parallelize_1d_tile_1d(pool, &phase_input, &j, tiles, tile_step, 0);
  // Panels of up to 256 columns: enough tasks to balance, each weight panel read once.
  pthreadpool_parallelize_2d_tile_1d(pool, &phase_products, &j, kPoints,
                                     static_cast<size_t>(j.panels),
                                     static_cast<size_t>(std::max(1, 256 / j.isa.nr)), 0);
  pthreadpool_parallelize_1d_tile_1d(pool, &phase_output, &j, tiles, tile_step, 0);
}

}  // namespace parallax::rt::kernels::nn
