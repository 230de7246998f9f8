// See expand_depthwise.h.
#include "expand_depthwise.h"

#include <pthreadpool.h>

#include <algorithm>

#include "row_tasks.h"
#include "sgemm.h"

namespace parallax::rt::kernels::nn {

namespace {

// Largest kernel height (depthwise_fits): the ring's row count and the row-pointer array.
constexpr int64_t kMaxRows = 7;

// Floats of one band's ring: kh rows of in_w x ce, each row rounded up to 64 bytes.
int64_t ring_row_floats(int64_t in_w, int64_t ce) { return (in_w * ce + 15) / 16 * 16; }

int64_t bands_for(const DepthwiseShape& s, int threads) {
  return std::max<int64_t>(1, std::min<int64_t>(threads, s.out_h));
}

struct Job {
  const DepthwiseShape* s;
  const float* x;
  float* y;
  float* scratch;
  int64_t cin, ce, kh;
  const float* w1;  // sgemm panels
  const float* b1;
  const DepthwiseConv* dw;
  ClampSilu act1, act2;
  int64_t bands;
};

}  // namespace

void ExpandDepthwise::pack(const float* w1, const float* b1, int64_t cin, int64_t ce,
                           const float* w2, const float* b2, int64_t kh, int64_t kw) {
  cin_ = cin;
  ce_ = ce;
  kh_ = kh;
  kw_ = kw;
  // B(p, j) = w1[j][p]: k = cin, n = ce.
  w1_.resize(sgemm_packed_b_floats(cin, ce));
  sgemm_pack_b(w1, 1, cin, cin, ce, w1_.data());
  b1_.assign(static_cast<size_t>(ce), 0.0f);
  if (b1 != nullptr) std::copy(b1, b1 + ce, b1_.begin());
  dw_.pack(w2, b2, ce, kh, kw);
}

size_t ExpandDepthwise::scratch_bytes(const DepthwiseShape& s, int threads) const {
  return static_cast<size_t>(bands_for(s, threads) * kh_ * ring_row_floats(s.in_w, ce_)) *
         sizeof(float);
}

namespace {

// Band b of the output rows, for every image: each input row the band's windows need is
// expanded once into ring slot iy % kh, then the depthwise rows that read it are computed.
void run_band(const Job& j, int64_t b) {
  const DepthwiseShape& s = *j.s;
  const int64_t oy0 = s.out_h * b / j.bands, oy1 = s.out_h * (b + 1) / j.bands;
  const int64_t row_floats = ring_row_floats(s.in_w, j.ce);
  float* ring = j.scratch + b * j.kh * row_floats;
  SgemmArgs g;
  g.m = s.in_w;
  g.n = j.ce;
  g.k = j.cin;
  g.lda = j.cin;
  g.ldc = j.ce;
  g.b_packed = j.w1;
  g.bias = j.b1;
  g.out_min = j.act1.out_min;
  g.out_max = j.act1.out_max;
  g.silu = j.act1.silu;
  g.silu_alpha = j.act1.silu_alpha;
  const float* rows[kMaxRows];
  for (int64_t n = 0; n < s.n; ++n) {
    const float* x = j.x + n * s.in_h * s.in_w * j.cin;
    int64_t done = 0;  // input rows below this one are in the ring (or no longer needed)
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const int64_t iy0 = oy * s.stride_h - s.pad_top;
      const int64_t lo = std::max<int64_t>(0, iy0), hi = std::min(s.in_h, iy0 + j.kh);
      for (int64_t iy = std::max(lo, done); iy < hi; ++iy) {
        g.a = x + iy * s.in_w * j.cin;
        g.c = ring + (iy % j.kh) * row_floats;
        sgemm(g, nullptr, nullptr);
      }
      done = std::max(done, hi);
      for (int64_t ky = 0; ky < j.kh; ++ky) {
        const int64_t iy = iy0 + ky;
        rows[ky] = iy >= 0 && iy < s.in_h ? ring + (iy % j.kh) * row_floats : nullptr;
      }
      j.dw->run_row(s, oy, rows, j.y + ((n * s.out_h + oy) * s.out_w) * j.ce, j.act2.out_min,
                    j.act2.out_max, j.act2.silu);
    }
  }
}

void run_bands(const Job& j, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) run_band(j, b);
}

}  // namespace

void ExpandDepthwise::run(const DepthwiseShape& s, const float* x, float* y, const ClampSilu& act1,
                          const ClampSilu& act2, void* scratch, ::pthreadpool* pool,
                          int threads) const {
  if (s.n <= 0 || s.out_h <= 0 || s.out_w <= 0 || ce_ <= 0) return;
  const int64_t bands = bands_for(s, pool == nullptr ? 1 : threads);
  const Job job{
      &s,   x,    y,    static_cast<float*>(scratch), cin_, ce_, kh_, w1_.data(), b1_.data(), &dw_,
      act1, act2, bands};
  run_rows<Job>(&run_bands, job, bands, pool);  // one task per band
}

}  // namespace parallax::rt::kernels::nn
