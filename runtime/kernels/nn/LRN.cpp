// LRN (opset 1-17): local response normalisation across channels,
//   y = x / (bias + alpha / size * sum of x^2 over channels [c - (size-1)/2, c + size/2]) ^ beta
// (the window's lower half rounds down, its upper half up). Types: float16, bfloat16, float,
// double.
#include <cmath>
#include <string>

#include "../common.h"

namespace parallax::rt::kernels {

Status LRN(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank < 2)
    return Status::invalid("X must have rank >= 2, got " + x->shape.to_string());
  const int64_t size = ctx.attr_int("size", 0);
  if (size <= 0) return Status::invalid("attribute 'size' must be a positive integer");
  const double alpha = ctx.attr_float("alpha", 1e-4f);
  const double beta = ctx.attr_float("beta", 0.75f);
  const double bias = ctx.attr_float("bias", 1.0f);
  const int64_t batch = x->shape[0], channels = x->shape[1];
  const int64_t planes = batch * channels;
  const int64_t plane = planes != 0 ? x->numel() / planes : 0;
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    for (int64_t n = 0; n < batch; ++n) {
      const T* xn = x->data_as<T>() + n * channels * plane;
      T* yn = y->data_as<T>() + n * channels * plane;
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t c0 = c - lo < 0 ? 0 : c - lo;
        const int64_t c1 = c + hi >= channels ? channels - 1 : c + hi;
        for (int64_t i = 0; i < plane; ++i) {
          double sq = 0.0;
          for (int64_t k = c0; k <= c1; ++k) {
            const double v = static_cast<double>(static_cast<C>(xn[k * plane + i]));
            sq += v * v;
          }
          const double v = static_cast<double>(static_cast<C>(xn[c * plane + i]));
          yn[c * plane + i] = static_cast<T>(
              static_cast<C>(v / std::pow(bias + alpha / static_cast<double>(size) * sq, beta)));
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
