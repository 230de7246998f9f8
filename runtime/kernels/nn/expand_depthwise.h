// A 1x1 convolution (the "expansion" of an inverted-residual block: Cin -> Ce channels, bias,
// clamp and SiLU) whose output only feeds a depthwise convolution (nn/depthwise.h), computed
// together a few rows at a time so that the expanded tensor never exists. NHWC float32.
//
//   ExpandDepthwise ed;
//   ed.pack(w1, b1, cin, ce, w2, b2, kh, kw);                   // once, in prepare
//   DepthwiseShape s{n, h, w, out_h, out_w, stride_h, stride_w, pad_top, pad_left};
//   void* scratch = ctx.scratch(ed.scratch_bytes(s, threads));
//   ed.run(s, x, y, expand_epilogue, depthwise_epilogue, scratch, ctx.threadpool(), threads);
//
// Why: in MobileNet / EfficientNet blocks the expansion multiplies the channels by 4-6, so its
// output is the largest tensor of the block (112 x 112 x 96 floats, 4.8 MB, in mobilenet_v2's
// second block), written once by the 1x1 convolution and read back by the depthwise one. With
// a short inner dimension (16-40 input channels) the 1x1 product is bound by that write, and
// on a shared machine by whoever else uses the memory bus. Here the output rows are split into
// one band per thread; each band keeps a ring of kh expanded rows (in_w x Ce floats each, in the
// step's scratch), computes each input row it needs once with nn::sgemm (the weights packed
// once, bias and activation in the tile) and then the depthwise output rows that read them
// (DepthwiseConv::run_row). Only the kh - stride rows where two bands meet are computed twice.
//
// Determinism: an expanded value is sgemm's dot product over Cin in order and a depthwise
// output bias + taps in (ky, kx) order, whatever the band, so results do not depend on the
// thread count, and equal the unfused 1x1 convolution on sgemm followed by DepthwiseConv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "activation.h"
#include "depthwise.h"

struct pthreadpool;

namespace parallax::rt::kernels::nn {

class ExpandDepthwise {
 public:
  // w1: the 1x1 weights [ce][cin], b1: [ce] or null; w2: the depthwise weights [ce][kh][kw],
  // b2: [ce] or null. kh and kw as depthwise_fits() allows.
  void pack(const float* w1, const float* b1, int64_t cin, int64_t ce, const float* w2,
            const float* b2, int64_t kh, int64_t kw);
  bool packed() const { return !w1_.empty(); }
  int64_t in_channels() const { return cin_; }
  int64_t channels() const { return ce_; }

  // Scratch bytes for run() over shape s (the depthwise convolution's geometry: in_h x in_w is
  // the 1x1 convolution's input and output size) with `threads` threads.
  size_t scratch_bytes(const DepthwiseShape& s, int threads) const;

  // y [n, out_h, out_w, ce] = depthwise(act1(conv1x1(x [n, in_h, in_w, cin]))) with act2.
  // `scratch`: scratch_bytes(s, threads) bytes, 64-byte aligned. `pool` may be null.
  void run(const DepthwiseShape& s, const float* x, float* y, const ClampSilu& act1,
           const ClampSilu& act2, void* scratch, ::pthreadpool* pool, int threads) const;

 private:
  int64_t cin_ = 0, ce_ = 0, kh_ = 0, kw_ = 0;
  std::vector<float> w1_;  // sgemm panels (sgemm_pack_b)
  std::vector<float> b1_;  // [ce] (zeros without a bias)
  DepthwiseConv dw_;
};

}  // namespace parallax::rt::kernels::nn
