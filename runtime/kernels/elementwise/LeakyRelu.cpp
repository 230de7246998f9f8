// LeakyRelu (opset 1-17): y = x for x >= 0, alpha * x otherwise; alpha defaults to 0.01.
// Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status LeakyRelu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 0.01f);
  return elementwise::unary_same<kFloatTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    return x < C(0) ? static_cast<C>(alpha) * x : x;
  });
}

}  // namespace parallax::rt::kernels
