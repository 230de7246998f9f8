// Winograd F(4x4, 3x3) convolution of NHWC float32 tensors: 3x3 kernel, stride 1, dilation 1,
// one group, any zero padding. It does 36 multiplies per 4x4 output tile and channel pair where
// a direct convolution does 144, so its products are a quarter of the direct ones; the input
// and output transforms take a quarter to a third of its time. ConvNhwc (xnnpack/conv_nhwc.cpp)
// uses it where winograd_pays_off() says it is faster than XNNPACK's direct convolution.
//
//   WinogradConv wc;
//   wc.pack(w_ohwi, bias, cout, cin);                       // once, in prepare
//   WinogradShape s{n, h, w, out_h, out_w, pad_top, pad_left};
//   void* tmp = ctx.scratch(wc.scratch_bytes(s, ctx.threads()));
//   wc.run(s, x, y, out_min, out_max, tmp, ctx.threadpool(), ctx.threads());
//
// Method. Output tiles of 4x4 read overlapping 6x6 input tiles (zero outside the input). A
// block of tiles, sized so that its transformed inputs V and products M stay in L2, goes
// through three phases: V = B^T d B per tile and channel; for each of the 36 tile positions
// xi, M[xi] (tiles x Cout) = V[xi] (tiles x Cin) x U[xi] (Cin x Cout), with U = G g G^T, the
// weights transformed and packed into register-tile panels at pack(); y = A^T M A + bias,
// clamped, written to the output. Blocks are the thread pool's tasks, or, when there
// are too few tiles for that, each phase is split (transforms by tile, products by panel).
//
// Accuracy: the transforms interpolate at 0, 1, -1, 2, -1/2 (coefficients exact in float) and
// the products sum in two levels; the error stays within 6.2e-7 of an output's sum of |terms|
// in the tests, 2-3 times that of a direct float convolution.
//
// Determinism: each output element is computed by one tile kernel, with the same operation
// order whatever the block size or thread count, so results do not depend on threads().
// The vector code is compiled for AVX-512, AVX2+FMA and a portable baseline, picked once from
// the CPU's features.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

struct pthreadpool;

namespace parallax::rt::kernels::nn {

// The geometry of one run: input [n, in_h, in_w, cin], output [n, out_h, out_w, cout], input
// coordinate of output (oy, ox) and tap (ky, kx) = (oy + ky - pad_top, ox + kx - pad_left).
// out_stride: floats from one output pixel to the next, 0 = cout (dense); a wider stride writes
// the cout channels into a channel range of a wider tensor (ConvNhwc's output_channels).
struct WinogradShape {
  int64_t n = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0, pad_top = 0, pad_left = 0;
  int64_t out_stride = 0;
};

// Whether Winograd beats XNNPACK's convolution for this 3x3 stride-1 single-group shape
// (measured on the torchvision CNNs' layers, see docs/kernels.md).
bool winograd_pays_off(int64_t cin, int64_t cout, int64_t out_h, int64_t out_w);

// Whether Winograd beats nn::sgemm's implicit im2col (SgemmConv) for this shape, on the CPUs
// where ConvNhwc takes that instead of XNNPACK (AVX2 without AVX-512). With at most 2 x 2 output
// tiles the transformed weights (36 * cin * cout floats, 4x the direct ones) are streamed for
// few products: measured on a Zen 3 core, Winograd loses from about 256 x 512 channels up
// (docs/kernels.md).
bool winograd_beats_sgemm(int64_t cin, int64_t cout, int64_t out_h, int64_t out_w);

class WinogradConv {
 public:
  // Transforms and packs the weights w (OHWI: [cout][3][3][cin]) and bias ([cout] or null);
  // false when out of memory (then packed() is false).
  bool pack(const float* w, const float* bias, int64_t cout, int64_t cin);
  bool packed() const { return u_ != nullptr; }
  int64_t cin() const { return cin_; }
  int64_t cout() const { return cout_; }

  // Scratch that run() needs for shape `s` and the same `threads` (64-byte aligned).
  size_t scratch_bytes(const WinogradShape& s, int threads) const;
  // y = clamp(conv(x, w) + bias, out_min, out_max); both tensors NHWC, x dense, y with pixel
  // stride s.out_stride (dense when 0). `pool` may be
  // null (then the work `threads` would share runs on the calling thread).
  void run(const WinogradShape& s, const float* x, float* y, float out_min, float out_max,
           void* scratch, ::pthreadpool* pool, int threads) const;

 private:
  struct Free {
    void operator()(float* p) const;
  };
  int64_t cin_ = 0, cout_ = 0;
  int64_t cin_pad_ = 0, cout_pad_ = 0;   // rounded up to the vector width / panel width
  std::unique_ptr<float[], Free> u_;     // [36][cout_pad / nr][cin_pad][nr]
  std::unique_ptr<float[], Free> bias_;  // [cout_pad], zero past cout
};

}  // namespace parallax::rt::kernels::nn
