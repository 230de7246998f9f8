// Direct convolution of an NCHW float32 input with few channels (the image a CNN starts from)
// into an NHWC output: any kernel size, any stride, dilation 1, any zero padding, optional bias,
// the output clamp and SiLU applied in registers. ConvNhwc (xnnpack/conv_nhwc.cpp) runs it when
// the layout pass lets the convolution read its input in NCHW (attribute nchw_input), which
// it does for single-group, undilated convolutions of an input with few channels made outside
// the NHWC region (passes/layout.cpp, reads_nchw).
//
//   InputConv conv;
//   conv.pack(w_ohwi, bias, m, c, kh, kw);                     // once, in prepare
//   InputConvShape s{n, h, w, out_h, out_w, stride_h, stride_w, pad_top, pad_left};
//   conv.run(s, x_nchw, y_nhwc, out_min, out_max, silu, ctx.threadpool());
//
// Why: unfused, such a convolution costs a transpose of the whole input to NHWC plus an
// im2col-style product whose inner dimension is only C * kh * kw (27 for a 3x3 RGB layer),
// too short for a GEMM tile to run at speed. Here the weights are packed tap-major
// ([c][ky][kx][M], M padded to a whole vector), and a tile of T output pixels by up to four
// vectors of output channels is accumulated in registers: per tap, one weight vector per
// channel block and one broadcast input value per pixel, read straight from the NCHW rows
// (no transpose, no indirection). Pixels whose window crosses the left or right padding are
// computed one at a time with the taps inside the input; rows above or below the input are
// skipped for the whole row. Output rows are the thread pool's tasks.
//
// Determinism: every output element is bias + its taps in (c, ky, kx) order whatever the tile
// and the thread count. The vector code is compiled for AVX-512 (16 lanes), AVX2+FMA (8) and
// a portable baseline (4), picked once from the CPU's features.
#pragma once

#include <cstdint>
#include <vector>

#include "row_tasks.h"

struct pthreadpool;

namespace parallax::rt::kernels::nn {

// The geometry of one run (row_tasks.h): input [n, C, in_h, in_w] (NCHW), output
// [n, out_h, out_w, M] (NHWC).
using InputConvShape = RowGeometry;

class InputConv {
 public:
  // Packs w (OHWI: [m][kh][kw][c]) and bias ([m] or null).
  void pack(const float* w, const float* bias, int64_t m, int64_t c, int64_t kh, int64_t kw);
  bool packed() const { return !w_.empty(); }
  // Makes the taps' input offsets (ky * in_w + kx) for images in_w wide, once per spatial size
  // (prepare): a tile then walks a channel's taps in one loop. Runs on images of another width
  // (or rows too long for 32-bit offsets) take the per-row loops instead, with the same results.
  void set_input_width(int64_t in_w);

  // y = silu?(clamp(conv(x) + bias, out_min, out_max)). `pool` may be null.
  void run(const InputConvShape& s, const float* x, float* y, float out_min, float out_max,
           bool silu, ::pthreadpool* pool) const;

  // Output row oy of image n only, into y_row (out_w x m floats), on the calling thread: for a
  // consumer that takes the output a few rows at a time (fused/InputConvMaxPoolNhwc.cpp).
  void run_row(const InputConvShape& s, const float* x, int64_t n, int64_t oy, float* y_row,
               float out_min, float out_max, bool silu) const;

 private:
  int64_t m_ = 0, mp_ = 0, c_ = 0, kh_ = 0, kw_ = 0;
  std::vector<float> w_;      // [c][kh][kw][mp], then the bias [mp] (zeros past m)
  std::vector<int32_t> off_;  // set_input_width's table, for images off_w_ wide
  int64_t off_w_ = -1;
  const int32_t* offsets(int64_t in_w) const;
};

}  // namespace parallax::rt::kernels::nn
