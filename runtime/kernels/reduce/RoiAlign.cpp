// RoiAlign (opsets 10, 16): pools each region of interest of X [N, C, H, W] into a fixed
// [output_height, output_width] grid by averaging (or taking the max of) bilinear samples.
//
// rois [R, 4] are (x1, y1, x2, y2) in input coordinates times spatial_scale; batch_indices
// [R] pick the image. Each bin takes sampling_ratio^2 samples (ceil(bin size) per axis when
// 0). coordinate_transformation_mode (16) "half_pixel" shifts rois by -0.5 pixel and keeps
// tiny rois as they are; "output_half_pixel" (the only behaviour of version 10) does not
// shift and stretches rois to at least one pixel. mode "max" keeps the largest weighted corner
// value of any sample, the behaviour of the ONNX reference and onnxruntime.
#include <algorithm>
#include <cmath>
#include <string>

#include "read_values.h"

namespace parallax::rt::kernels {
namespace {

struct Corners {
  int64_t pos[4];
  double w[4];
  bool valid;
};

// Bilinear corners of sample (y, x) in an h x w plane; invalid when far outside.
Corners bilinear(double y, double x, int64_t h, int64_t w) {
  Corners c{};
  if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return c;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1 = y0 + 1, x1 = x0 + 1;
  if (y0 >= h - 1) {
    y0 = y1 = h - 1;
    y = static_cast<double>(y0);
  }
  if (x0 >= w - 1) {
    x0 = x1 = w - 1;
    x = static_cast<double>(x0);
  }
  const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
  const double hy = 1 - ly, hx = 1 - lx;
  c.pos[0] = y0 * w + x0;
  c.pos[1] = y0 * w + x1;
  c.pos[2] = y1 * w + x0;
  c.pos[3] = y1 * w + x1;
  c.w[0] = hy * hx;
  c.w[1] = hy * lx;
  c.w[2] = ly * hx;
  c.w[3] = ly * lx;
  c.valid = true;
  return c;
}

}  // namespace

Status RoiAlign(KernelContext& ctx) {
  const Tensor *x = nullptr, *rois = nullptr, *batch = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &rois));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &batch));
  if (x->shape.rank != 4) return Status::invalid("X must be 4-D, got " + x->shape.to_string());
  if (rois->shape.rank != 2 || rois->shape[1] != 4) {
    return Status::invalid("rois must have shape [num_rois, 4], got " + rois->shape.to_string());
  }
  const int64_t n_rois = rois->shape[0];
  if (batch->shape.rank != 1 || batch->shape[0] != n_rois || !is_int_tensor(*batch)) {
    return Status::invalid("batch_indices must be an integer tensor of shape [" +
                           std::to_string(n_rois) + "]");
  }
  if (!dtype_is_float(rois->dtype)) return Status::invalid("rois must be a float tensor");
  const std::string mode = ctx.attr_string("mode", "avg");
  if (mode != "avg" && mode != "max") return Status::invalid("unknown mode '" + mode + "'");
  const std::string coord = ctx.opset() >= 16
      ? ctx.attr_string("coordinate_transformation_mode", "half_pixel") : "output_half_pixel";
  if (coord != "half_pixel" && coord != "output_half_pixel") {
    return Status::invalid("unknown coordinate_transformation_mode '" + coord + "'");
  }
  const bool half_pixel = coord == "half_pixel";
  const int64_t oh = ctx.attr_int("output_height", 1), ow = ctx.attr_int("output_width", 1);
  const int64_t ratio = ctx.attr_int("sampling_ratio", 0);
  const double scale = ctx.attr_float("spatial_scale", 1.0f);
  if (oh <= 0 || ow <= 0 || ratio < 0) return Status::invalid("output sizes must be positive");
  const int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, Shape{n_rois, c, oh, ow}, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    const double shift = half_pixel ? 0.5 : 0.0;
    for (int64_t r = 0; r < n_rois; ++r) {
      const int64_t b = int_at(*batch, r);
      if (b < 0 || b >= n) return Status::out_of_range("batch index " + std::to_string(b) + " is out of range");
      const double x1 = float_at(*rois, r * 4) * scale - shift;
      const double y1 = float_at(*rois, r * 4 + 1) * scale - shift;
      double rw = float_at(*rois, r * 4 + 2) * scale - shift - x1;
      double rh = float_at(*rois, r * 4 + 3) * scale - shift - y1;
      if (!half_pixel) {
        rw = std::max(rw, 1.0);
        rh = std::max(rh, 1.0);
      }
      const double bin_h = rh / static_cast<double>(oh), bin_w = rw / static_cast<double>(ow);
      const int64_t gh = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rh / static_cast<double>(oh)));
      const int64_t gw = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rw / static_cast<double>(ow)));
      const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* plane = in + (b * c + ch) * h * w;
        T* dst = out + ((r * c + ch) * oh) * ow;
        for (int64_t ph = 0; ph < oh; ++ph) {
          for (int64_t pw = 0; pw < ow; ++pw) {
            double sum = 0, best = 0;
            bool any = false;
            for (int64_t iy = 0; iy < gh; ++iy) {
              const double yy = y1 + static_cast<double>(ph) * bin_h +
                                (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(gh);
              for (int64_t ix = 0; ix < gw; ++ix) {
                const double xx = x1 + static_cast<double>(pw) * bin_w +
                                  (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(gw);
                const Corners k = bilinear(yy, xx, h, w);
                double v = 0, vmax = 0;
                for (int q = 0; q < 4 && k.valid; ++q) {
                  const double wv = k.w[q] * static_cast<double>(plane[k.pos[q]]);
                  v += wv;
                  vmax = q == 0 ? wv : std::max(vmax, wv);
                }
                sum += v;
                best = any ? std::max(best, vmax) : vmax;
                any = true;
              }
            }
            dst[ph * ow + pw] = static_cast<T>(mode == "avg" ? sum / count : best);
          }
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
