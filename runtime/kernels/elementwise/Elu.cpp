// Elu (opset 1-17): y = x for x >= 0, alpha * (e^x - 1) otherwise; alpha defaults to 1.
// Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Elu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  return elementwise::unary_same<kFloatTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    return x < C(0) ? static_cast<C>(alpha) * std::expm1(x) : x;
  });
}

}  // namespace parallax::rt::kernels
