// GridSample (opset 16): samples X [N, C, H, W] at the normalised locations of
// grid [N, Ho, Wo, 2] (x then y, in [-1, 1]) into Y [N, C, Ho, Wo].
//
// Follows torch.nn.functional.grid_sample, which the ONNX tests are generated with:
//   align_corners=1: -1 and 1 are the centres of the corner pixels; 0: their outer edges.
//   padding_mode zeros: outside reads 0; border: clamp; reflection: mirror at the borders.
//   mode bilinear / nearest (round half to even) / bicubic (A = -0.75, padding per tap).
#include <cmath>
#include <string>
#include <type_traits>

#include "read_values.h"

namespace parallax::rt::kernels {
namespace {

enum class Padding { kZeros, kBorder, kReflection };

struct Sampler {
  int64_t h, w;
  bool align_corners;
  Padding padding;

  double unnormalize(double v, int64_t size) const {
    return align_corners ? (v + 1) / 2 * static_cast<double>(size - 1)
                         : ((v + 1) * static_cast<double>(size) - 1) / 2;
  }
  static double reflect(double v, double twice_low, double twice_high) {
    if (twice_low == twice_high) return 0;
    const double low = twice_low / 2, span = (twice_high - twice_low) / 2;
    v = std::fabs(v - low);
    const double extra = std::fmod(v, span);
    const int64_t flips = static_cast<int64_t>(std::floor(v / span));
    return flips % 2 == 0 ? extra + low : span - extra + low;
  }
  // Applies border / reflection padding to a pixel coordinate along an axis of `size`.
  double pad(double v, int64_t size) const {
    const double hi = static_cast<double>(size - 1);
    if (padding == Padding::kReflection) {
      v = align_corners ? reflect(v, 0, 2 * hi) : reflect(v, -1, 2 * hi + 1);
    }
    if (padding != Padding::kZeros) v = std::fmin(std::fmax(v, 0.0), hi);
    return v;
  }
  // Pixel (x, y) of one channel plane; 0 outside.
  template <typename T> double at(const T* plane, int64_t x, int64_t y) const {
    if (x < 0 || y < 0 || x >= w || y >= h) return 0;
    return static_cast<double>(plane[y * w + x]);
  }
};

void cubic_coeffs(double t, double* c) {
  constexpr double a = -0.75;
  auto near = [](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

template <typename T>
double sample(const Sampler& s, int mode, const T* plane, double gx, double gy) {
  double x = s.unnormalize(gx, s.w), y = s.unnormalize(gy, s.h);
  if (mode == 2) {  // bicubic: pad each tap, not the sampling point
    const double x0 = std::floor(x), y0 = std::floor(y);
    double cx[4], cy[4];
    cubic_coeffs(x - x0, cx);
    cubic_coeffs(y - y0, cy);
    double acc = 0;
    for (int j = 0; j < 4; ++j) {
      const int64_t yy = static_cast<int64_t>(s.pad(y0 - 1 + j, s.h));
      double row = 0;
      for (int i = 0; i < 4; ++i) {
        row += cx[i] * s.at(plane, static_cast<int64_t>(s.pad(x0 - 1 + i, s.w)), yy);
      }
      acc += cy[j] * row;
    }
    return acc;
  }
  x = s.pad(x, s.w);
  y = s.pad(y, s.h);
  if (mode == 1) {  // nearest
    return s.at(plane, static_cast<int64_t>(std::nearbyint(x)), static_cast<int64_t>(std::nearbyint(y)));
  }
  const double x0 = std::floor(x), y0 = std::floor(y);
  const double tx = x - x0, ty = y - y0;
  const int64_t ix = static_cast<int64_t>(x0), iy = static_cast<int64_t>(y0);
  return (1 - ty) * ((1 - tx) * s.at(plane, ix, iy) + tx * s.at(plane, ix + 1, iy)) +
         ty * ((1 - tx) * s.at(plane, ix, iy + 1) + tx * s.at(plane, ix + 1, iy + 1));
}

}  // namespace

Status GridSample(KernelContext& ctx) {
  const Tensor *x = nullptr, *grid = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &grid));
  if (x->shape.rank != 4) return Status::unsupported("only 4-D inputs are supported, got " + x->shape.to_string());
  const int64_t n = x->shape[0], c = x->shape[1];
  if (grid->shape.rank != 4 || grid->shape[0] != n || grid->shape[3] != 2) {
    return Status::invalid("grid must have shape [" + std::to_string(n) + ", H_out, W_out, 2], got " +
                           grid->shape.to_string());
  }
  if (!dtype_is_float(grid->dtype)) return Status::invalid("grid must be a float tensor");
  const std::string mode_name = ctx.attr_string("mode", "bilinear");
  int mode = 0;
  if (mode_name == "nearest") mode = 1;
  else if (mode_name == "bicubic") mode = 2;
  else if (mode_name != "bilinear") return Status::invalid("unknown mode '" + mode_name + "'");
  const std::string pad_name = ctx.attr_string("padding_mode", "zeros");
  Padding padding = Padding::kZeros;
  if (pad_name == "border") padding = Padding::kBorder;
  else if (pad_name == "reflection") padding = Padding::kReflection;
  else if (pad_name != "zeros") return Status::invalid("unknown padding_mode '" + pad_name + "'");
  const Sampler s{x->shape[2], x->shape[3], ctx.attr_int("align_corners", 0) != 0, padding};
  const int64_t ho = grid->shape[1], wo = grid->shape[2];
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, Shape{n, c, ho, wo}, &y));
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    const int64_t plane = s.h * s.w, out_plane = ho * wo;
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t p = 0; p < out_plane; ++p) {
        const double gx = float_at(*grid, (b * out_plane + p) * 2);
        const double gy = float_at(*grid, (b * out_plane + p) * 2 + 1);
        for (int64_t ch = 0; ch < c; ++ch) {
          const double v = sample(s, mode, in + (b * c + ch) * plane, gx, gy);
          if constexpr (is_float_v<T>) {
            out[(b * c + ch) * out_plane + p] = static_cast<T>(v);
          } else {
            out[(b * c + ch) * out_plane + p] = static_cast<T>(std::nearbyint(v));
          }
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
