// BatchNormalization (opset 1-17): y = scale * (x - mean) / sqrt(var + epsilon) + B per channel.
// Inference uses the given mean / var. Training mode (training_mode=1 from opset 14; before
// that, extra outputs with is_test=0) normalises with the batch statistics and outputs the
// running statistics updated with 'momentum' (plus, before opset 14, the batch statistics).
// spatial=0 (opset < 9) takes parameters of shape [C, spatial...], one per element.
// Types: float16, bfloat16, float, double; parameters may use another float type (opset 15).
#include <string>

#include "../common.h"
#include "norm.h"
#include "scratch.h"

namespace parallax::rt::kernels {

Status BatchNormalization(KernelContext& ctx) {
  const Tensor* in[5] = {};
  for (int i = 0; i < 5; ++i) PARALLAX_RETURN_IF_ERROR(require_input(ctx, i, &in[i]));
  const Tensor& x = *in[0];
  if (x.shape.rank < 2) return Status::invalid("X must have rank >= 2, got " + x.shape.to_string());
  const int64_t batch = x.shape[0], channels = x.shape[1];
  const int64_t planes = batch * channels;
  const int64_t plane = planes != 0 ? x.numel() / planes : 0;
  // Per channel normally; per (channel, position) for spatial=0 parameters.
  const int64_t params = in[1]->numel();
  const bool per_element = params != channels && params == channels * plane;
  if (params != channels && !per_element) {
    return Status::invalid("scale has " + std::to_string(params) + " elements, expected " +
                           std::to_string(channels));
  }
  for (int i = 2; i < 5; ++i) {
    if (in[i]->numel() != params) return Status::invalid("B, mean and var must match scale's size");
  }
  const bool training = ctx.opset() >= 14
                            ? ctx.attr_int("training_mode", 0) != 0
                            : ctx.output_count() > 1 && ctx.attr_int("is_test", 0) == 0;
  if (training && per_element) return Status::unsupported("training mode with spatial=0");
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const double momentum = ctx.attr_float("momentum", 0.9f);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x.dtype, x.shape, &y));

  nn::ScratchLayout layout;
  size_t off[7];
  for (size_t& o : off) o = layout.add<double>(params);
  char* base = layout.allocate(ctx);
  double* p[7];
  for (int i = 0; i < 7; ++i) p[i] = nn::ScratchLayout::at<double>(base, off[i]);
  for (int i = 1; i < 5; ++i) PARALLAX_RETURN_IF_ERROR(nn::load_values(*in[i], p[i - 1]));
  double* scale = p[0];
  double* bias = p[1];
  double* mean = p[2];
  double* var = p[3];
  double* batch_mean = p[4];
  double* batch_var = p[5];
  double* factor = p[6];

  const int64_t count = batch * plane;
  if (training) {
    PARALLAX_RETURN_IF_ERROR(PARALLAX_DISPATCH(x.dtype, kFloatTypes, [&](auto tag) {
      using T = typename decltype(tag)::type;
      for (int64_t c = 0; c < channels; ++c) {
        double sum = 0.0, sq = 0.0;
        for (int64_t n = 0; n < batch; ++n) {
          const T* xp = x.data_as<T>() + (n * channels + c) * plane;
          for (int64_t i = 0; i < plane; ++i)
            sum += static_cast<double>(static_cast<compute_t<T>>(xp[i]));
        }
        const double m = count ? sum / static_cast<double>(count) : 0.0;
        for (int64_t n = 0; n < batch; ++n) {
          const T* xp = x.data_as<T>() + (n * channels + c) * plane;
          for (int64_t i = 0; i < plane; ++i) {
            const double d = static_cast<double>(static_cast<compute_t<T>>(xp[i])) - m;
            sq += d * d;
          }
        }
        batch_mean[c] = m;
        batch_var[c] = count ? sq / static_cast<double>(count) : 0.0;
      }
      return Status::ok();
    }));
  }
  const double* use_mean = training ? batch_mean : mean;
  const double* use_var = training ? batch_var : var;
  for (int64_t i = 0; i < params; ++i) factor[i] = scale[i] / std::sqrt(use_var[i] + eps);
  PARALLAX_RETURN_IF_ERROR(PARALLAX_DISPATCH(x.dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        const T* xp = x.data_as<T>() + (n * channels + c) * plane;
        T* yp = y->data_as<T>() + (n * channels + c) * plane;
        for (int64_t i = 0; i < plane; ++i) {
          const int64_t k = per_element ? c * plane + i : c;
          const C v = static_cast<C>(xp[i]);
          yp[i] = static_cast<T>(
              static_cast<C>(factor[k] * (static_cast<double>(v) - use_mean[k]) + bias[k]));
        }
      }
    }
    return Status::ok();
  }));
  if (!training) {
    // Optional outputs of an inference node still need buffers.
    for (int i = 1; i < ctx.output_count(); ++i) {
      Tensor* t = nullptr;
      PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(i, in[3]->dtype, in[3]->shape, &t));
      PARALLAX_RETURN_IF_ERROR(nn::store_values(i % 2 == 1 ? mean : var, t));
    }
    return Status::ok();
  }
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = mean[c] * momentum + batch_mean[c] * (1.0 - momentum);
    var[c] = var[c] * momentum + batch_var[c] * (1.0 - momentum);
  }
  const double* results[4] = {mean, var, batch_mean, batch_var};
  for (int i = 1; i < ctx.output_count() && i < 5; ++i) {
    Tensor* t = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(i, in[3]->dtype, in[3]->shape, &t));
    PARALLAX_RETURN_IF_ERROR(nn::store_values(results[i - 1], t));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
