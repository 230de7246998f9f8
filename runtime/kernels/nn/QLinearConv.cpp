// QLinearConv (opset 10-17): quantized Conv,
//   y = saturate(round((conv(X - x_zp, W - w_zp) + B) * x_scale * w_scale / y_scale) + y_zp)
// with w_scale / w_zp scalar or per output channel, B an optional int32 bias per output
// channel, and Conv's attributes. Types: int8 or uint8; y has y_zero_point's type.
#include "../common.h"
#include "quant_gemm.h"

namespace parallax::rt::kernels {

Status QLinearConv(KernelContext& ctx) {
  const Tensor* in[8] = {};
  for (int i = 0; i < 8; ++i) PARALLAX_RETURN_IF_ERROR(require_input(ctx, i, &in[i]));
  const Tensor* bias = ctx.input(8);
  const Tensor& x = *in[0];
  const Tensor& w = *in[3];
  nn::ConvShape cs;
  PARALLAX_RETURN_IF_ERROR(nn::read_conv(ctx, x.shape, w.shape, &cs));
  if (bias && (bias->dtype != DType::kInt32 || bias->numel() != cs.out_channels)) {
    return Status::invalid("B must be an int32 tensor of " + std::to_string(cs.out_channels) +
                           " elements");
  }
  const DType out_type = in[7]->dtype;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, out_type, cs.out, &y));
  nn::ScratchLayout layout;
  nn::IntConvPlan plan;
  nn::plan_int_conv(cs, w, &layout, &plan);
  const size_t acc_off = layout.add<int32_t>(cs.out.numel());
  const size_t ws_off = layout.add<float>(cs.out_channels);
  char* base = layout.allocate(ctx);
  int32_t* acc = nn::ScratchLayout::at<int32_t>(base, acc_off);
  float* ws = nn::ScratchLayout::at<float>(base, ws_off);
  float xs = 0.0f, ys = 0.0f;
  int32_t yz = 0;
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[1], 1, "x_scale", &xs));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[4], cs.out_channels, "w_scale", ws));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[6], 1, "y_scale", &ys));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(in[7], 1, "y_zero_point", &yz));
  PARALLAX_RETURN_IF_ERROR(nn::int_conv(cs, plan, base, x, in[2], w, in[5], acc));
  const int64_t positions = cs.win.out_size();
  return PARALLAX_DISPATCH(out_type, nn::kQuant8Types, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    Q* yp = y->data_as<Q>();
    for (int64_t n = 0, i = 0; n < cs.batch; ++n) {
      for (int64_t m = 0; m < cs.out_channels; ++m) {
        const double scale = static_cast<double>(xs) * ws[m] / ys;
        const int32_t b = bias ? bias->data_as<int32_t>()[m] : 0;
        for (int64_t p = 0; p < positions; ++p, ++i) {
          yp[i] = nn::saturate_round<Q>(static_cast<double>(acc[i] + b) * scale + yz);
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
