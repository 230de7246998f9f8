// Integer matrix products and convolutions with zero points, shared by MatMulInteger /
// QLinearMatMul and ConvInteger / QLinearConv. Operands are widened to int32 with their zero
// points subtracted, then run through the family GEMM (gemm.h) or convolution (conv.h) in
// int32, which is exact for 8-bit inputs.
//
//   ScratchLayout layout;
//   IntMatMulPlan plan;
//   plan_int_matmul(shape, *a, *b, &layout, &plan);   // reserve the widened operands
//   char* base = layout.allocate(ctx);
//   PARALLAX_RETURN_IF_ERROR(int_matmul(shape, plan, base, *a, a_zp, *b, b_zp, acc));
#pragma once

#include <string>

#include "../common.h"
#include "conv.h"
#include "gemm.h"
#include "matmul.h"
#include "quant.h"
#include "scratch.h"

namespace parallax::rt::kernels::nn {

// Copies an int8 / uint8 tensor into int32 minus its zero point; zp[index(i)] applies to i.
template <typename F>
Status widen(const Tensor& t, const int32_t* zp, int32_t* dst, F&& index) {
  return PARALLAX_DISPATCH(t.dtype, kQuant8Types, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    const Q* p = t.data_as<Q>();
    const int64_t n = t.numel();
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int32_t>(p[i]) - zp[index(i)];
    return Status::ok();
  });
}

struct IntMatMulPlan {
  size_t a = 0, b = 0, a_zp = 0, b_zp = 0;
};

inline void plan_int_matmul(const MatMulShape& s, const Tensor& a, const Tensor& b,
                            ScratchLayout* layout, IntMatMulPlan* plan) {
  plan->a = layout->add<int32_t>(a.numel());
  plan->b = layout->add<int32_t>(b.numel());
  plan->a_zp = layout->add<int32_t>(s.m);
  plan->b_zp = layout->add<int32_t>(s.n);
}

// out[batch..., M, N] = (A - a_zp) * (B - b_zp); a_zp per row of A, b_zp per column of B.
inline Status int_matmul(const MatMulShape& s, const IntMatMulPlan& plan, char* base,
                         const Tensor& a, const Tensor* a_zp, const Tensor& b, const Tensor* b_zp,
                         int32_t* out) {
  int32_t* wa = ScratchLayout::at<int32_t>(base, plan.a);
  int32_t* wb = ScratchLayout::at<int32_t>(base, plan.b);
  int32_t* za = ScratchLayout::at<int32_t>(base, plan.a_zp);
  int32_t* zb = ScratchLayout::at<int32_t>(base, plan.b_zp);
  PARALLAX_RETURN_IF_ERROR(check_zero_point(a_zp, a.dtype, "a_zero_point"));
  PARALLAX_RETURN_IF_ERROR(check_zero_point(b_zp, b.dtype, "b_zero_point"));
  PARALLAX_RETURN_IF_ERROR(read_params(a_zp, s.m, "a_zero_point", za));
  PARALLAX_RETURN_IF_ERROR(read_params(b_zp, s.n, "b_zero_point", zb));
  const int64_t k = s.k, m = s.m, n = s.n;
  PARALLAX_RETURN_IF_ERROR(widen(a, za, wa, [&](int64_t i) { return (i / k) % m; }));
  PARALLAX_RETURN_IF_ERROR(widen(b, zb, wb, [&](int64_t i) { return i % n; }));
  for_each_matmul(s, [&](int64_t ao, int64_t bo, int64_t yo) {
    gemm<int32_t>(m, n, k, MatView<int32_t>{wa + ao, k, 1}, MatView<int32_t>{wb + bo, n, 1},
                  out + yo, n, false);
  });
  return Status::ok();
}

struct IntConvPlan {
  size_t cols = 0, w = 0, w_zp = 0;
};

inline void plan_int_conv(const ConvShape& cs, const Tensor& w, ScratchLayout* layout,
                          IntConvPlan* plan) {
  plan->cols = layout->add<int32_t>(cs.cols_elems());
  plan->w = layout->add<int32_t>(w.numel());
  plan->w_zp = layout->add<int32_t>(cs.out_channels);
}

// out[N, M, P] = conv(X - x_zp, W - w_zp); x_zp is a scalar, w_zp scalar or per output channel.
// Padding contributes 0, i.e. it reads as the zero point.
inline Status int_conv(const ConvShape& cs, const IntConvPlan& plan, char* base, const Tensor& x,
                       const Tensor* x_zp, const Tensor& w, const Tensor* w_zp, int32_t* out) {
  int32_t* ww = ScratchLayout::at<int32_t>(base, plan.w);
  int32_t* zw = ScratchLayout::at<int32_t>(base, plan.w_zp);
  int32_t* cols = ScratchLayout::at<int32_t>(base, plan.cols);
  PARALLAX_RETURN_IF_ERROR(check_zero_point(x_zp, x.dtype, "x_zero_point"));
  PARALLAX_RETURN_IF_ERROR(check_zero_point(w_zp, w.dtype, "w_zero_point"));
  int32_t zx = 0;
  PARALLAX_RETURN_IF_ERROR(read_params(x_zp, 1, "x_zero_point", &zx));
  PARALLAX_RETURN_IF_ERROR(read_params(w_zp, cs.out_channels, "w_zero_point", zw));
  const int64_t per_channel = cs.rows();
  PARALLAX_RETURN_IF_ERROR(widen(w, zw, ww, [&](int64_t i) { return i / per_channel; }));
  const int64_t x_image = cs.channels * cs.win.in_size();
  const int64_t y_image = cs.out_channels * cs.win.out_size();
  return PARALLAX_DISPATCH(x.dtype, kQuant8Types, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    for (int64_t n = 0; n < cs.batch; ++n) {
      conv_image<Q, int32_t>(cs, x.data_as<Q>() + n * x_image, zx, ww, out + n * y_image, cols);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels::nn
