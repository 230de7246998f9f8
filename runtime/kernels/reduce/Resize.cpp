// Resize: nearest / linear / cubic resampling of an N-D tensor (see resample.h).
//
// Versions: 10 takes (X, scales) and only nearest/linear with the asymmetric mapping and
// floor rounding (the behaviour of Upsample it replaced). 11 adds roi, sizes and the
// coordinate_transformation_mode / nearest_mode / cubic attributes; scales must then be empty
// when sizes is given. 13 makes roi and scales optional.
#include "resize_args.h"

namespace parallax::rt::kernels {
namespace {

Status read_scales(const Tensor& x, const Tensor& scales, ResampleParams* p) {
  if (!dtype_is_float(scales.dtype)) return Status::invalid("scales must be a float tensor");
  double s[kMaxRank];
  const int64_t n = scales.numel();
  if (n > kMaxRank) return Status::invalid("scales has too many values");
  for (int64_t i = 0; i < n; ++i) s[i] = float_at(scales, i);
  return set_scales(x, s, static_cast<int>(n), p);
}

Status read_roi(const Tensor& x, const Tensor* roi, ResampleParams* p) {
  const int rank = x.shape.rank;
  if (roi == nullptr || roi->numel() == 0) {
    return Status::invalid("tf_crop_and_resize needs a roi input");
  }
  if (!dtype_is_float(roi->dtype)) return Status::invalid("roi must be a float tensor");
  if (roi->numel() != 2 * rank) {
    return Status::invalid("roi has " + std::to_string(roi->numel()) + " values, expected " +
                           std::to_string(2 * rank));
  }
  for (int d = 0; d < rank; ++d) {
    p->roi_start[d] = float_at(*roi, d);
    p->roi_end[d] = float_at(*roi, rank + d);
  }
  return Status::ok();
}

}  // namespace

Status Resize(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  ResampleParams p;
  const bool v10 = ctx.opset() < 11;
  PARALLAX_RETURN_IF_ERROR(parse_resample_mode(ctx.attr_string("mode", "nearest"), !v10, &p));
  if (v10) {
    p.coord = ResampleParams::kAsymmetric;
    p.nearest = ResampleParams::kFloor;
    const Tensor* scales = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scales));
    PARALLAX_RETURN_IF_ERROR(read_scales(*x, *scales, &p));
    return resample(ctx, *x, p);
  }
  PARALLAX_RETURN_IF_ERROR(
      parse_coordinate_mode(ctx.attr_string("coordinate_transformation_mode", "half_pixel"), &p));
  PARALLAX_RETURN_IF_ERROR(
      parse_nearest_mode(ctx.attr_string("nearest_mode", "round_prefer_floor"), &p));
  p.cubic_a = ctx.attr_float("cubic_coeff_a", -0.75f);
  p.exclude_outside = ctx.attr_int("exclude_outside", 0) != 0;
  p.extrapolation_value = ctx.attr_float("extrapolation_value", 0.0f);
  if (p.coord == ResampleParams::kTfCropAndResize) {
    PARALLAX_RETURN_IF_ERROR(read_roi(*x, ctx.input(1), &p));
  }
  const Tensor* scales = ctx.input(2);
  const Tensor* sizes = ctx.input(3);
  const bool has_scales = scales != nullptr && scales->numel() > 0;
  const bool has_sizes = sizes != nullptr && sizes->numel() > 0;
  if (has_scales == has_sizes) {
    return Status::invalid("exactly one of scales and sizes must be given");
  }
  if (has_sizes) {
    PARALLAX_RETURN_IF_ERROR(set_sizes(*x, *sizes, &p));
  } else {
    PARALLAX_RETURN_IF_ERROR(read_scales(*x, *scales, &p));
  }
  return resample(ctx, *x, p);
}

}  // namespace parallax::rt::kernels
