// Direct depthwise convolution of NHWC float32 tensors (one filter per channel, channel
// multiplier 1): any kernel up to 7x7, strides 1 and 2, dilation 1, any zero padding, optional
// bias, with the output clamp and SiLU applied in registers. ConvNhwc (xnnpack/conv_nhwc.cpp)
// uses it instead of XNNPACK's depthwise convolution wherever depthwise_fits().
//
//   DepthwiseConv dw;
//   dw.pack(w_ohwi, bias, channels, kh, kw);                 // once, in prepare
//   DepthwiseShape s{n, h, w, out_h, out_w, stride_h, stride_w, pad_top, pad_left};
//   dw.run(s, x, y, out_min, out_max, silu, ctx.threadpool());
//
// Method. The weights are packed tap-major ([kh * kw][C], then the bias), so that one vector
// load gives a tap's weights for a block of channels. An output row is computed in tiles of a
// few output pixels by a channel block: for each tap, one weight vector is loaded and
// multiply-added into each pixel's accumulator with the input vector read straight from the
// input row (no indirection buffer). Pixels whose window crosses the left or right padding are
// computed alone with the taps that fall inside the input. Rows are the thread pool's tasks.
//
// Determinism: every output element is bias + its taps in (ky, kx) order, the same for every
// tile size and thread count, so results do not depend on the pool. The vector code is
// compiled for AVX-512 (16 lanes), AVX2+FMA (8) and a portable baseline (4), picked once from
// the CPU's features.
#pragma once

#include <cstdint>
#include <vector>

#include "row_tasks.h"

struct pthreadpool;

namespace parallax::rt::kernels::nn {

// The geometry of one run (row_tasks.h): input [n, in_h, in_w, C], output [n, out_h, out_w, C].
using DepthwiseShape = RowGeometry;

// Whether this kernel handles the convolution: kernel at most 7x7, strides 1 or 2. It beat
// XNNPACK's depthwise convolution on every such layer of the torchvision CNNs measured (see
// docs/kernels.md), so there is no size threshold.
bool depthwise_fits(int64_t kh, int64_t kw, int64_t stride_h, int64_t stride_w);

class DepthwiseConv {
 public:
  // Packs w (OHWI with one input channel per group: [channels][kh][kw][1]) and bias
  // ([channels] or null).
  void pack(const float* w, const float* bias, int64_t channels, int64_t kh, int64_t kw);
  bool packed() const { return !w_.empty(); }
  int64_t channels() const { return c_; }

  // y = silu?(clamp(depthwise(x) + bias, out_min, out_max)); both tensors NHWC, y dense, x with
  // pixel stride s.in_stride (dense when 0: the first C channels of a wider tensor otherwise).
  // `pool` may be null.
  void run(const DepthwiseShape& s, const float* x, float* y, float out_min, float out_max,
           bool silu, ::pthreadpool* pool) const;

  // Output row oy of one image into y_row (out_w x C floats) on the calling thread, reading
  // input row oy * stride_h - pad_top + ky (in_w x C floats) at x_rows[ky] for the ky whose row
  // is inside [0, in_h); the other entries are not read. For a producer that makes the input a
  // few rows at a time (xnnpack/expand_depthwise_nhwc.cpp). s.n is not read.
  void run_row(const DepthwiseShape& s, int64_t oy, const float* const* x_rows, float* y_row,
               float out_min, float out_max, bool silu) const;

 private:
  int64_t c_ = 0, kh_ = 0, kw_ = 0;
  std::vector<float> w_;  // [kh * kw][c], then the bias [c] (zero without one)
};

}  // namespace parallax::rt::kernels::nn
