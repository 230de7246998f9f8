// InputConvMaxPoolNhwc (com.parallax, version 1): a CNN's first convolution, read from the NCHW
// image (ConvNhwc with nchw_input = 1, nn::InputConv), and the max pool that follows it, made
// by the fuse-conv-maxpool pass (passes/fuse_conv_maxpool.h) from those two nodes.
//   X [N, C, H, W] (NCHW)   W [M, kH, kW, C] constant (OHWI)   B [M] constant, optional
//   Y [N, pH, pW, M] = MaxPool(act(Conv(X, W, B))) in NHWC
// Attributes: the convolution's (kernel_shape, strides, pads, dilations 1, group 1, activation
// none / Relu / Clip / SiLU, what nn::InputConv applies in registers) and the pool's as
// pool_kernel_shape, pool_strides, pool_pads (begin h, begin w, end h, end w) and
// pool_ceil_mode, undilated. float32 only.
//
// Why: the stem of resnet18, densenet121, googlenet and squeezenet1_1 writes a 112 x 112 x 64
// (or 111 x 111 x 64) tensor, 3.2 MB, that only the pool reads, which keeps a quarter of it.
// Here the output rows of the pool are split into one band per thread; a band keeps a ring of
// pool_kH convolution rows (out_w x M floats each) in the step's scratch, computes each
// convolution row it needs once (InputConv::run_row) and takes the maximum over the windows
// from the ring. Where two bands meet, pool_kH - pool_stride rows are computed by both.
// Results equal ConvNhwc followed by MaxPoolNhwc bit for bit (a maximum does not round) and do
// not depend on the thread count.
#include <pthreadpool.h>

#include <algorithm>

#include "../common.h"
#include "../nn/activation.h"
#include "../nn/input_conv.h"
#include "../nn/row_tasks.h"
#include "../nn/window.h"

namespace parallax::rt::kernels {

namespace {

struct Pool2d {
  int64_t k[2] = {1, 1}, stride[2] = {1, 1}, pad_begin[2] = {0, 0}, pad_end[2] = {0, 0};
  bool ceil_mode = false;
  // Output extent of dimension d for an input extent `in` (ONNX MaxPool, dilation 1): a last
  // window that would start in the end padding is dropped in ceil mode.
  int64_t out(int d, int64_t in) const {
    const int64_t span = in + pad_begin[d] + pad_end[d] - k[d];
    if (span < 0) return 0;
    int64_t o = (ceil_mode ? (span + stride[d] - 1) / stride[d] : span / stride[d]) + 1;
    if (ceil_mode && (o - 1) * stride[d] >= in + pad_begin[d]) --o;
    return o;
  }
};

struct State {
  nn::InputConv conv;
  nn::Window win;  // the convolution's
  Pool2d pool;
  nn::ClampSilu act;             // the convolution's (silu_alpha 1)
  int64_t in_h = -1, in_w = -1;  // the spatial size win was computed for
};

Status read_pool(const KernelContext& ctx, Pool2d* p) {
  const std::vector<int64_t>* k = ctx.attr_ints("pool_kernel_shape");
  const std::vector<int64_t>* s = ctx.attr_ints("pool_strides");
  const std::vector<int64_t>* pads = ctx.attr_ints("pool_pads");
  if (k == nullptr || k->size() != 2 || (*k)[0] < 1 || (*k)[1] < 1) {
    return Status::invalid("pool_kernel_shape must be 2 positive values");
  }
  if (s != nullptr && (s->size() != 2 || (*s)[0] < 1 || (*s)[1] < 1)) {
    return Status::invalid("pool_strides must be 2 positive values");
  }
  if (pads != nullptr && pads->size() != 4) return Status::invalid("pool_pads must be 4 values");
  for (int d = 0; d < 2; ++d) {
    p->k[d] = (*k)[d];
    p->stride[d] = s != nullptr ? (*s)[d] : 1;
    p->pad_begin[d] = pads != nullptr ? (*pads)[d] : 0;
    p->pad_end[d] = pads != nullptr ? (*pads)[d + 2] : 0;
    if (p->pad_begin[d] < 0 || p->pad_end[d] < 0 || p->pad_begin[d] >= p->k[d] ||
        p->pad_end[d] >= p->k[d]) {
      return Status::invalid("pool_pads must be >= 0 and smaller than pool_kernel_shape");
    }
  }
  p->ceil_mode = ctx.attr_int("pool_ceil_mode", 0) != 0;
  return Status::ok();
}

// Checks W and B against X [N, C, H, W] (NCHW) and computes the window for that size.
Status setup(KernelContext& ctx, State* st, const Shape& x) {
  const Tensor* w = ctx.input(1);
  const Tensor* b = ctx.input_info(2) != nullptr ? ctx.input(2) : nullptr;
  if (w == nullptr || w->dtype != DType::kFloat32 || w->shape.rank != 4 || w->shape[3] != x[1]) {
    return Status::invalid("W must be a constant float32 tensor [M, kH, kW, " +
                           std::to_string(x[1]) + "] (OHWI)");
  }
  if (ctx.input_info(2) != nullptr &&
      (b == nullptr || b->dtype != DType::kFloat32 || b->numel() != w->shape[0])) {
    return Status::invalid("B must be a constant float32 tensor of " + std::to_string(w->shape[0]) +
                           " values");
  }
  if (ctx.attr_int("group", 1) != 1) return Status::invalid("group must be 1");
  const int64_t kernel[2] = {w->shape[1], w->shape[2]};
  PARALLAX_RETURN_IF_ERROR(nn::read_window(ctx, x, kernel, /*ceil_mode=*/false, &st->win));
  if (st->win.dilation[0] != 1 || st->win.dilation[1] != 1) {
    return Status::invalid("the convolution must be undilated");
  }
  if (!st->conv.packed()) {
    st->conv.pack(w->data_as<float>(), b ? b->data_as<float>() : nullptr, w->shape[0], x[1],
                  kernel[0], kernel[1]);
  }
  st->conv.set_input_width(x[3]);
  st->in_h = x[2];
  st->in_w = x[3];
  return Status::ok();
}

struct Job {
  const State* st;
  const float* x;
  float* y;
  float* scratch;
  nn::InputConvShape cs;  // the convolution
  int64_t m, ph, pw, bands, ring_row;
};

// Band b of the pool's output rows, for every image.
void run_band(const Job& j, int64_t b) {
  const Pool2d& p = j.st->pool;
  const nn::InputConvShape& cs = j.cs;
  const int64_t py0 = j.ph * b / j.bands, py1 = j.ph * (b + 1) / j.bands;
  float* ring = j.scratch + b * p.k[0] * j.ring_row;
  for (int64_t n = 0; n < cs.n; ++n) {
    int64_t done = 0;  // convolution rows below this one are in the ring (or no longer needed)
    for (int64_t py = py0; py < py1; ++py) {
      const int64_t r0 = py * p.stride[0] - p.pad_begin[0];
      const int64_t lo = std::max<int64_t>(0, r0), hi = std::min(cs.out_h, r0 + p.k[0]);
      for (int64_t r = std::max(lo, done); r < hi; ++r) {
        j.st->conv.run_row(cs, j.x, n, r, ring + (r % p.k[0]) * j.ring_row, j.st->act.out_min,
                           j.st->act.out_max, j.st->act.silu);
      }
      done = std::max(done, hi);
      float* y = j.y + (n * j.ph + py) * j.pw * j.m;
      for (int64_t px = 0; px < j.pw; ++px, y += j.m) {
        const int64_t c0 = px * p.stride[1] - p.pad_begin[1];
        const int64_t cl = std::max<int64_t>(0, c0), ch = std::min(cs.out_w, c0 + p.k[1]);
        // Every window holds at least one convolution output (pads < kernel, ONNX's output
        // size), so the first one starts the maximum.
        const float* first = ring + (lo % p.k[0]) * j.ring_row + cl * j.m;
        std::copy(first, first + j.m, y);
        for (int64_t r = lo; r < hi; ++r) {
          const float* row = ring + (r % p.k[0]) * j.ring_row;
          for (int64_t c = cl; c < ch; ++c) {
            const float* v = row + c * j.m;
            for (int64_t k = 0; k < j.m; ++k) y[k] = std::max(y[k], v[k]);
          }
        }
      }
    }
  }
}

void run_bands(const Job& j, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) run_band(j, b);
}

}  // namespace

Status InputConvMaxPoolNhwc_prepare(KernelContext& ctx) {
  const TensorInfo* x = ctx.input_info(0);
  if (x == nullptr || x->dtype != DType::kFloat32 || !x->rank_known || x->shape.size() != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NCHW)");
  }
  auto* st = new State;
  ctx.state() = st;  // released by the executor even if what follows fails
  PARALLAX_RETURN_IF_ERROR(read_pool(ctx, &st->pool));
  nn::Activation act;
  PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act));
  if (!act.as_clamp_silu(/*swish_ok=*/false, &st->act)) {
    return Status::invalid("activation must be none, Relu, Clip (min <= max) or SiLU");
  }
  bool known = true;
  for (int64_t d : x->shape) known = known && d >= 0;
  if (known) {
    Shape s;
    Shape::from(x->shape.data(), 4, &s);
    PARALLAX_RETURN_IF_ERROR(setup(ctx, st, s));
    ctx.input_packed(1);  // the packed copy is all W and B are read as from now on
    if (ctx.input_info(2) != nullptr) ctx.input_packed(2);
  }
  return Status::ok();
}

void InputConvMaxPoolNhwc_release(void* state) { delete static_cast<State*>(state); }

Status InputConvMaxPoolNhwc(KernelContext& ctx) {
  auto* st = static_cast<State*>(ctx.state());
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (st == nullptr) return Status::internal("InputConvMaxPoolNhwc ran without prepare");
  if (x->dtype != DType::kFloat32 || x->shape.rank != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NCHW), got " + x->shape.to_string());
  }
  if (!st->conv.packed() || st->in_h != x->shape[2] || st->in_w != x->shape[3]) {
    PARALLAX_RETURN_IF_ERROR(setup(ctx, st, x->shape));
  }
  const int64_t m = ctx.input(1)->shape[0];
  if (x->shape[1] != ctx.input(1)->shape[3]) {
    return Status::invalid("X " + x->shape.to_string() + " does not have the channels W expects");
  }
  Job j{};
  j.st = st;
  j.x = x->data_as<float>();
  j.cs.n = x->shape[0];
  j.cs.in_h = x->shape[2];
  j.cs.in_w = x->shape[3];
  j.cs.out_h = st->win.out[0];
  j.cs.out_w = st->win.out[1];
  j.cs.stride_h = st->win.stride[0];
  j.cs.stride_w = st->win.stride[1];
  j.cs.pad_top = st->win.pad_begin[0];
  j.cs.pad_left = st->win.pad_begin[1];
  j.m = m;
  j.ph = st->pool.out(0, j.cs.out_h);
  j.pw = st->pool.out(1, j.cs.out_w);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(
      ctx.allocate_output(0, DType::kFloat32, Shape{j.cs.n, j.ph, j.pw, m}, &y));
  if (y->numel() == 0) return Status::ok();
  j.y = y->data_as<float>();
  ::pthreadpool* pool = ctx.threadpool();
  j.bands = std::max<int64_t>(1, std::min<int64_t>(pool != nullptr ? ctx.threads() : 1, j.ph));
  j.ring_row = (j.cs.out_w * m + 15) / 16 * 16;  // whole 64-byte lines per row
  j.scratch = static_cast<float*>(
      ctx.scratch(static_cast<size_t>(j.bands * st->pool.k[0] * j.ring_row) * sizeof(float)));
  nn::run_rows<Job>(&run_bands, j, j.bands, pool);  // one task per band
  return Status::ok();
}

}  // namespace parallax::rt::kernels
