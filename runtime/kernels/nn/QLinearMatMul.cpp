// QLinearMatMul (opset 10-17): quantized MatMul,
//   y = saturate(round((A - a_zp) * (B - b_zp) * a_scale * b_scale / y_scale) + y_zp)
// with a_scale / a_zp scalar or per row of A, b_scale / b_zp scalar or per column of B, and
// y_scale / y_zp scalars. Types: int8 or uint8 operands; y has y_zero_point's type.
#include "../common.h"
#include "quant_gemm.h"

namespace parallax::rt::kernels {

Status QLinearMatMul(KernelContext& ctx) {
  const Tensor* in[8] = {};
  for (int i = 0; i < 8; ++i) PARALLAX_RETURN_IF_ERROR(require_input(ctx, i, &in[i]));
  const Tensor& a = *in[0];
  const Tensor& b = *in[3];
  nn::MatMulShape s;
  PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(a.shape, b.shape, &s));
  const DType out_type = in[7]->dtype;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, out_type, s.out, &y));
  nn::ScratchLayout layout;
  nn::IntMatMulPlan plan;
  nn::plan_int_matmul(s, a, b, &layout, &plan);
  const size_t acc_off = layout.add<int32_t>(s.out.numel());
  const size_t as_off = layout.add<float>(s.m);
  const size_t bs_off = layout.add<float>(s.n);
  char* base = layout.allocate(ctx);
  int32_t* acc = nn::ScratchLayout::at<int32_t>(base, acc_off);
  float* as = nn::ScratchLayout::at<float>(base, as_off);
  float* bs = nn::ScratchLayout::at<float>(base, bs_off);
  float ys = 0.0f;
  int32_t yz = 0;
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[1], s.m, "a_scale", as));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[4], s.n, "b_scale", bs));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[6], 1, "y_scale", &ys));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[7], 1, "y_zero_point", &yz));
  PARALLAX_RETURN_IF_ERROR(nn::int_matmul(s, plan, base, a, in[2], b, in[5], acc));
  return PARALLAX_DISPATCH(out_type, nn::kQuant8Types, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    Q* yp = y->data_as<Q>();
    const int64_t total = s.out.numel();
    for (int64_t i = 0; i < total; ++i) {
      const int64_t row = (i / s.n) % s.m, col = i % s.n;
      const double scale = static_cast<double>(as[row]) * bs[col] / ys;
      yp[i] = nn::saturate_round<Q>(static_cast<double>(acc[i]) * scale + yz);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
