// Selu (opset 1-17): y = gamma * x for x > 0, gamma * alpha * (e^x - 1) otherwise.
// Defaults: alpha = 1.67326319..., gamma = 1.05070102... Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Selu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.67326319217681884765625f);
  const float gamma = ctx.attr_float("gamma", 1.05070102214813232421875f);
  return elementwise::unary_same<kFloatTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    const C g = static_cast<C>(gamma);
    return x > C(0) ? g * x : g * static_cast<C>(alpha) * std::expm1(x);
  });
}

}  // namespace parallax::rt::kernels
