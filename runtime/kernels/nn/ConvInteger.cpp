// ConvInteger (opset 10-17): int32 Y = Conv(X - x_zero_point, W - w_zero_point) with Conv's
// attributes; x_zero_point is a scalar, w_zero_point a scalar or one per output channel.
// Padding reads as the zero point. Types: X, W int8 or uint8.
#include "../common.h"
#include "quant_gemm.h"

namespace parallax::rt::kernels {

Status ConvInteger(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &w));
  nn::ConvShape cs;
  PARALLAX_RETURN_IF_ERROR(nn::read_conv(ctx, x->shape, w->shape, &cs));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt32, cs.out, &y));
  nn::ScratchLayout layout;
  nn::IntConvPlan plan;
  nn::plan_int_conv(cs, *w, &layout, &plan);
  char* base = layout.allocate(ctx);
  return nn::int_conv(cs, plan, base, *x, ctx.input(2), *w, ctx.input(3), y->data_as<int32_t>());
}

}  // namespace parallax::rt::kernels
