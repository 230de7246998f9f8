// The resampling engine shared by Resize (opsets 10, 11, 13) and Upsample (7, 9).
//
// The kernels only turn their inputs and attributes into a ResampleParams; this file does the
// rest:
//   ResampleParams p;
//   p.mode = ResampleParams::kLinear;
//   ... p.out, p.scale[d] (and p.roi_start/roi_end for tf_crop_and_resize) ...
//   return resample(ctx, *x, p);
//
// Every output axis is interpolated independently (separably): for each output coordinate of
// each axis we precompute at most four (input index, weight) taps, and an output element is the
// weighted sum over the cartesian product of its axes' taps. Axes that are not resized have a
// single tap of weight 1, so a 2-D bicubic resize of an NCHW tensor costs 16 reads per output.
//
// Coordinate mapping and neighbour selection follow the ONNX reference implementation: the
// resized length used in the mapping is in_len * scale (not floored) when scales were given,
// neighbours outside the input read the edge value, and nearest picks between floor(x) and
// floor(x) + 1 by nearest_mode.
#pragma once

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../common.h"
#include "read_values.h"

namespace parallax::rt::kernels {

struct ResampleParams {
  enum Mode { kNearest, kLinear, kCubic };
  enum Coord { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn,
               kTfCropAndResize };
  enum Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

  Mode mode = kNearest;
  Coord coord = kHalfPixel;
  Nearest nearest = kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
  Shape out;
  double scale[kMaxRank] = {};         // out / in, as given or as implied by sizes
  double resized_len[kMaxRank] = {};   // the length_resized of the coordinate formulas
  double roi_start[kMaxRank] = {};     // tf_crop_and_resize only, normalised coordinates
  double roi_end[kMaxRank] = {};
};

namespace resample_detail {

// The taps of one output coordinate along one axis.
struct Taps {
  int64_t offset[4];  // input index * the axis' stride
  double weight[4];
  int count;
  bool outside;  // tf_crop_and_resize sampled outside the input: the output is extrapolated
};

inline double source_coordinate(const ResampleParams& p, int d, int64_t in_len, int64_t x) {
  const double xr = static_cast<double>(x);
  const double out_len = p.resized_len[d];
  const double s = p.scale[d];
  switch (p.coord) {
    case ResampleParams::kHalfPixel: return (xr + 0.5) / s - 0.5;
    case ResampleParams::kPytorchHalfPixel: return out_len > 1 ? (xr + 0.5) / s - 0.5 : -0.5;
    case ResampleParams::kAlignCorners:
      return out_len == 1 ? 0.0 : xr * static_cast<double>(in_len - 1) / (out_len - 1);
    case ResampleParams::kAsymmetric: return xr / s;
    case ResampleParams::kTfHalfPixelForNn: return (xr + 0.5) / s;
    case ResampleParams::kTfCropAndResize: {
      const double span = (p.roi_end[d] - p.roi_start[d]) * static_cast<double>(in_len - 1);
      const double start = p.roi_start[d] * static_cast<double>(in_len - 1);
      return out_len > 1 ? start + xr * span / (out_len - 1) : start + span / 2;
    }
  }
  return 0.0;
}

inline void cubic_weights(double t, double a, double* w) {
  const double t1 = t + 1, u = 1 - t, u1 = 2 - t;
  w[0] = ((a * t1 - 5 * a) * t1 + 8 * a) * t1 - 4 * a;
  w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  w[2] = ((a + 2) * u - (a + 3)) * u * u + 1;
  w[3] = ((a * u1 - 5 * a) * u1 + 8 * a) * u1 - 4 * a;
}

inline Taps make_taps(const ResampleParams& p, int d, int64_t in_len, int64_t stride, int64_t x) {
  Taps t{};
  const double xo = source_coordinate(p, d, in_len, x);
  if (p.coord == ResampleParams::kTfCropAndResize &&
      (xo < 0 || xo > static_cast<double>(in_len - 1))) {
    t.outside = true;
    return t;
  }
  const double fl = std::floor(xo);
  const int64_t i0 = static_cast<int64_t>(fl);
  const double frac = xo - fl;
  int64_t idx[4];
  if (p.mode == ResampleParams::kNearest) {
    bool up = frac > 0;  // an integral coordinate is its own nearest neighbour
    if (up) {
      switch (p.nearest) {
        case ResampleParams::kRoundPreferFloor: up = frac > 0.5; break;
        case ResampleParams::kRoundPreferCeil: up = frac >= 0.5; break;
        case ResampleParams::kFloor: up = false; break;
        case ResampleParams::kCeil: up = true; break;
      }
    }
    idx[0] = up ? i0 + 1 : i0;
    t.weight[0] = 1;
    t.count = 1;
  } else if (p.mode == ResampleParams::kLinear) {
    idx[0] = i0;
    idx[1] = i0 + 1;
    t.weight[0] = 1 - frac;
    t.weight[1] = frac;
    t.count = 2;
  } else {
    for (int k = 0; k < 4; ++k) idx[k] = i0 - 1 + k;
    cubic_weights(frac, p.cubic_a, t.weight);
    t.count = 4;
    if (p.exclude_outside) {
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        if (idx[k] < 0 || idx[k] >= in_len) t.weight[k] = 0;
        sum += t.weight[k];
      }
      if (sum != 0)
        for (int k = 0; k < 4; ++k) t.weight[k] /= sum;
    }
  }
  // Drop zero-weight taps (an unresized axis keeps one) and read the edge for the rest.
  int kept = 0;
  for (int k = 0; k < t.count; ++k) {
    if (t.weight[k] == 0) continue;
    const int64_t i = idx[k] < 0 ? 0 : (idx[k] >= in_len ? in_len - 1 : idx[k]);
    t.offset[kept] = i * stride;
    t.weight[kept] = t.weight[k];
    ++kept;
  }
  t.count = kept;
  return t;
}

// Weighted sum over the taps of axes d..rank-1 at input offset `base`.
template <typename C, typename T>
C gather(const T* in, const Taps* const* taps, int rank, int d, int64_t base) {
  if (d == rank) return static_cast<C>(in[base]);
  const Taps& t = *taps[d];
  if (t.count == 1) return gather<C>(in, taps, rank, d + 1, base + t.offset[0]);
  C acc = 0;
  for (int k = 0; k < t.count; ++k) {
    acc += static_cast<C>(t.weight[k]) * gather<C>(in, taps, rank, d + 1, base + t.offset[k]);
  }
  return acc;
}

}  // namespace resample_detail

// Resamples x into output 0 with shape p.out.
inline Status resample(KernelContext& ctx, const Tensor& x, const ResampleParams& p) {
  using resample_detail::Taps;
  const int rank = x.shape.rank;
  if (p.out.rank != rank) return Status::internal("resample: output rank differs from input");
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x.dtype, p.out, &y));
  if (p.out.numel() == 0) return Status::ok();
  if (x.numel() == 0) return Status::invalid("cannot resize an empty tensor to a non-empty one");
  int64_t in_strides[kMaxRank];
  contiguous_strides(x.shape, in_strides);
  int64_t total_taps = 0;
  int64_t first[kMaxRank];
  for (int d = 0; d < rank; ++d) {
    first[d] = total_taps;
    total_taps += p.out[d];
  }
  Taps* taps = static_cast<Taps*>(ctx.scratch(static_cast<size_t>(total_taps) * sizeof(Taps)));
  for (int d = 0; d < rank; ++d) {
    for (int64_t j = 0; j < p.out[d]; ++j) {
      taps[first[d] + j] = resample_detail::make_taps(p, d, x.shape[d], in_strides[d], j);
    }
  }
  return PARALLAX_DISPATCH(x.dtype, kAllTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = std::conditional_t<is_float_v<T> && !std::is_same_v<T, double>, float, double>;
    const T* in = x.data_as<T>();
    T* out = y->data_as<T>();
    const Taps* cur[kMaxRank];
    int64_t idx[kMaxRank] = {};
    for (int d = 0; d < rank; ++d) cur[d] = &taps[first[d]];
    const int64_t n = p.out.numel();
    if constexpr (is_float_v<T>) {
      // One tap on every axis and nothing outside (nearest, YOLO's 2x upsample): the output is
      // a gather of input elements, copied exactly as the general loop would round-trip them.
      bool gather_only = rank > 0;
      for (int64_t t = 0; gather_only && t < total_taps; ++t)
        gather_only = taps[t].count == 1 && !taps[t].outside;
      if (gather_only) {
        const int last = rank - 1;
        const Taps* lt = &taps[first[last]];
        const int64_t inner = p.out[last];
        for (int64_t r = 0; r < n / inner; ++r) {
          int64_t base = 0;
          for (int d = 0; d < last; ++d) base += cur[d]->offset[0];
          T* dst = out + r * inner;
          for (int64_t j = 0; j < inner; ++j) dst[j] = in[base + lt[j].offset[0]];
          for (int d = last - 1; d >= 0; --d) {
            if (++idx[d] < p.out[d]) {
              ++cur[d];
              break;
            }
            idx[d] = 0;
            cur[d] = &taps[first[d]];
          }
        }
        return Status::ok();
      }
    }
    for (int64_t o = 0; o < n; ++o) {
      bool outside = false;
      for (int d = 0; d < rank; ++d) outside |= cur[d]->outside;
      const C v = outside ? static_cast<C>(p.extrapolation_value)
                          : resample_detail::gather<C>(in, cur, rank, 0, 0);
      if constexpr (std::is_same_v<T, bool>) {
        out[o] = v != 0;
      } else if constexpr (is_float_v<T>) {
        out[o] = static_cast<T>(v);
      } else {
        out[o] = static_cast<T>(std::nearbyint(v));
      }
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < p.out[d]) {
          ++cur[d];
          break;
        }
        idx[d] = 0;
        cur[d] = &taps[first[d]];
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
