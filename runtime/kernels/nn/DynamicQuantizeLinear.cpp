// DynamicQuantizeLinear (opset 11-17): quantizes float x to uint8 with a scale and zero point
// chosen from x's range extended to include 0:
//   scale = (max(0, max x) - min(0, min x)) / 255
//   zero_point = saturate(round(-min(0, min x) / scale))
//   y = saturate(round(x / scale) + zero_point)
// Outputs y (uint8, x's shape), y_scale (float scalar), y_zero_point (uint8 scalar).
#include <algorithm>
#include <cmath>

#include "../common.h"
#include "quant.h"

namespace parallax::rt::kernels {

Status DynamicQuantizeLinear(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->dtype != DType::kFloat32) return Status::unsupported("x must be float");
  Tensor* y = nullptr;
  Tensor* y_scale = nullptr;
  Tensor* y_zp = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kUInt8, x->shape, &y));
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, DType::kFloat32, Shape{}, &y_scale));
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(2, DType::kUInt8, Shape{}, &y_zp));
  const float* xp = x->data_as<float>();
  const int64_t n = x->numel();
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, xp[i]);
    hi = std::max(hi, xp[i]);
  }
  const float scale = (hi - lo) / 255.0f;
  // An all-zero input has no range: every value (and the zero point) quantizes to 0.
  const uint8_t zp = scale > 0.0f ? nn::saturate_round<uint8_t>(std::nearbyint(-lo / scale)) : 0;
  uint8_t* yp = y->data_as<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    yp[i] = scale > 0.0f ? nn::saturate_round<uint8_t>(std::nearbyint(xp[i] / scale) + zp) : 0;
  }
  *y_scale->data_as<float>() = scale;
  *y_zp->data_as<uint8_t>() = zp;
  return Status::ok();
}

}  // namespace parallax::rt::kernels
