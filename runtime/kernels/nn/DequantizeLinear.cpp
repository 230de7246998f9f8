// DequantizeLinear (opset 10-17): y = (x - x_zero_point) * x_scale as float, per tensor or
// (from opset 13) per slice along 'axis'. Types: x int8, uint8 or int32 (whose zero point
// must be 0); y float.
#include "../common.h"
#include "quant.h"
#include "scratch.h"

namespace parallax::rt::kernels {

Status DequantizeLinear(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* scale = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scale));
  const Tensor* zp = ctx.input(2);
  PARALLAX_RETURN_IF_ERROR(nn::check_zero_point(zp, x->dtype, "x_zero_point"));
  nn::AxisSplit split;
  PARALLAX_RETURN_IF_ERROR(nn::split_at_axis(ctx, x->shape, *scale, &split));
  nn::ScratchLayout layout;
  const size_t s_off = layout.add<float>(split.n);
  const size_t z_off = layout.add<int32_t>(split.n);
  char* base = layout.allocate(ctx);
  float* s = nn::ScratchLayout::at<float>(base, s_off);
  int32_t* z = nn::ScratchLayout::at<int32_t>(base, z_off);
  PARALLAX_RETURN_IF_ERROR(nn::read_params(scale, split.n, "x_scale", s));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(zp, split.n, "x_zero_point", z));
  if (x->dtype == DType::kInt32) {
    for (int64_t a = 0; a < split.n; ++a) {
      if (z[a] != 0) return Status::invalid("an int32 input requires a zero point of 0");
    }
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, x->shape, &y));
  return PARALLAX_DISPATCH(x->dtype, nn::kQuant8Types | type_bit(DType::kInt32), [&](auto tag) {
    using Q = typename decltype(tag)::type;
    const Q* xp = x->data_as<Q>();
    float* yp = y->data_as<float>();
    for (int64_t o = 0, i = 0; o < split.outer; ++o) {
      for (int64_t a = 0; a < split.n; ++a) {
        for (int64_t k = 0; k < split.inner; ++k, ++i) {
          yp[i] = static_cast<float>(static_cast<int64_t>(xp[i]) - z[a]) * s[a];
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
