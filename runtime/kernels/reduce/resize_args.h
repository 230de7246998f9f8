// Reading Resize/Upsample's scales, sizes and string attributes into ResampleParams.
#pragma once

#include <string>

#include "resample.h"

namespace parallax::rt::kernels {

// Sets p->scale, p->resized_len and p->out from `scales` (rank values, all > 0). The output
// length is floor(in * scale), times the roi extent for tf_crop_and_resize.
inline Status set_scales(const Tensor& x, const double* scales, int n, ResampleParams* p) {
  const int rank = x.shape.rank;
  if (n != rank) {
    return Status::invalid("scales has " + std::to_string(n) + " values, the input has rank " +
                           std::to_string(rank));
  }
  p->out.rank = rank;
  for (int d = 0; d < rank; ++d) {
    if (!(scales[d] > 0)) return Status::invalid("scales must be positive");
    const double in = static_cast<double>(x.shape[d]);
    const double extent = p->coord == ResampleParams::kTfCropAndResize
                              ? p->roi_end[d] - p->roi_start[d] : 1.0;
    p->scale[d] = scales[d];
    p->resized_len[d] = in * scales[d];
    p->out.dims[d] = static_cast<int64_t>(std::floor(in * extent * scales[d]));
  }
  return Status::ok();
}

// Sets p->scale, p->resized_len and p->out from an int64 `sizes` tensor.
inline Status set_sizes(const Tensor& x, const Tensor& sizes, ResampleParams* p) {
  const int rank = x.shape.rank;
  if (sizes.dtype != DType::kInt64) return Status::invalid("sizes must be int64");
  if (sizes.numel() != rank) {
    return Status::invalid("sizes has " + std::to_string(sizes.numel()) +
                           " values, the input has rank " + std::to_string(rank));
  }
  p->out.rank = rank;
  for (int d = 0; d < rank; ++d) {
    const int64_t s = int_at(sizes, d);
    if (s < 0) return Status::invalid("sizes must not be negative");
    p->out.dims[d] = s;
    p->resized_len[d] = static_cast<double>(s);
    p->scale[d] = x.shape[d] > 0 ? static_cast<double>(s) / static_cast<double>(x.shape[d]) : 1.0;
  }
  return Status::ok();
}

inline Status parse_resample_mode(const std::string& s, bool cubic_allowed, ResampleParams* p) {
  if (s == "nearest") {
    p->mode = ResampleParams::kNearest;
  } else if (s == "linear" || s == "bilinear") {
    p->mode = ResampleParams::kLinear;
  } else if (s == "cubic" && cubic_allowed) {
    p->mode = ResampleParams::kCubic;
  } else {
    return Status::unsupported("mode '" + s + "' is not supported");
  }
  return Status::ok();
}

inline Status parse_coordinate_mode(const std::string& s, ResampleParams* p) {
  if (s == "half_pixel") p->coord = ResampleParams::kHalfPixel;
  else if (s == "pytorch_half_pixel") p->coord = ResampleParams::kPytorchHalfPixel;
  else if (s == "align_corners") p->coord = ResampleParams::kAlignCorners;
  else if (s == "asymmetric") p->coord = ResampleParams::kAsymmetric;
  else if (s == "tf_half_pixel_for_nn") p->coord = ResampleParams::kTfHalfPixelForNn;
  else if (s == "tf_crop_and_resize") p->coord = ResampleParams::kTfCropAndResize;
  else return Status::unsupported("coordinate_transformation_mode '" + s + "' is not supported");
  return Status::ok();
}

inline Status parse_nearest_mode(const std::string& s, ResampleParams* p) {
  if (s == "round_prefer_floor") p->nearest = ResampleParams::kRoundPreferFloor;
  else if (s == "round_prefer_ceil") p->nearest = ResampleParams::kRoundPreferCeil;
  else if (s == "floor") p->nearest = ResampleParams::kFloor;
  else if (s == "ceil") p->nearest = ResampleParams::kCeil;
  else return Status::unsupported("nearest_mode '" + s + "' is not supported");
  return Status::ok();
}

}  // namespace parallax::rt::kernels
