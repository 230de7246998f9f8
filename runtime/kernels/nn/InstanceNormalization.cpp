// InstanceNormalization (opset 1-17): y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c],
// mean and variance taken over the spatial positions of each (image, channel).
// Types: float16, bfloat16, float, double.
#include <string>

#include "../common.h"
#include "norm.h"
#include "scratch.h"

namespace parallax::rt::kernels {

Status InstanceNormalization(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* scale = nullptr;
  const Tensor* bias = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scale));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &bias));
  if (x->shape.rank < 3)
    return Status::invalid("input must have rank >= 3, got " + x->shape.to_string());
  const int64_t channels = x->shape[1];
  if (scale->numel() != channels || bias->numel() != channels) {
    return Status::invalid("scale and B must have " + std::to_string(channels) + " elements");
  }
  const int64_t planes = x->shape[0] * channels;
  const int64_t plane = planes ? x->numel() / planes : 0;
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  nn::ScratchLayout layout;
  const size_t s_off = layout.add<double>(channels);
  const size_t b_off = layout.add<double>(channels);
  char* base = layout.allocate(ctx);
  double* s = nn::ScratchLayout::at<double>(base, s_off);
  double* b = nn::ScratchLayout::at<double>(base, b_off);
  PARALLAX_RETURN_IF_ERROR(nn::load_values(*scale, s));
  PARALLAX_RETURN_IF_ERROR(nn::load_values(*bias, b));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    for (int64_t i = 0; i < planes; ++i) {
      const T* xp = x->data_as<T>() + i * plane;
      T* yp = y->data_as<T>() + i * plane;
      double mean = 0.0, var = 0.0;
      nn::mean_variance(xp, plane, 1, &mean, &var);
      const int64_t c = i % channels;
      const double f = s[c] / std::sqrt(var + eps);
      for (int64_t k = 0; k < plane; ++k) {
        yp[k] = static_cast<T>(
            static_cast<C>(f * (static_cast<double>(static_cast<C>(xp[k])) - mean) + b[c]));
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
