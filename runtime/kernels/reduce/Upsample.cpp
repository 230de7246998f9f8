// Upsample (opsets 7 and 9; deprecated by Resize-10): nearest or n-linear upsampling with the
// asymmetric mapping, x_original = x_resized / scale. Version 7 takes scales as an attribute,
// 9 as input 1. Implemented by the Resize engine (resample.h).
#include "resize_args.h"

namespace parallax::rt::kernels {

Status Upsample(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  ResampleParams p;
  PARALLAX_RETURN_IF_ERROR(parse_resample_mode(ctx.attr_string("mode", "nearest"), false, &p));
  p.coord = ResampleParams::kAsymmetric;
  p.nearest = ResampleParams::kFloor;
  double s[kMaxRank];
  int n = 0;
  if (ctx.opset() >= 9) {
    const Tensor* scales = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scales));
    if (!dtype_is_float(scales->dtype)) return Status::invalid("scales must be a float tensor");
    if (scales->numel() > kMaxRank) return Status::invalid("scales has too many values");
    n = static_cast<int>(scales->numel());
    for (int i = 0; i < n; ++i) s[i] = float_at(*scales, i);
  } else {
    const std::vector<float>* scales = ctx.attr_floats("scales");
    if (scales == nullptr) return Status::invalid("attribute scales is required");
    if (scales->size() > static_cast<size_t>(kMaxRank)) return Status::invalid("scales has too many values");
    n = static_cast<int>(scales->size());
    for (int i = 0; i < n; ++i) s[i] = (*scales)[i];
  }
  for (int i = 0; i < n; ++i) {
    if (s[i] < 1) return Status::invalid("Upsample scales must be at least 1");
  }
  PARALLAX_RETURN_IF_ERROR(set_scales(*x, s, n, &p));
  return resample(ctx, *x, p);
}

}  // namespace parallax::rt::kernels
