// HardSigmoid (opset 1-17): y = clamp(alpha * x + beta, 0, 1); alpha defaults to 0.2, beta to
// 0.5. Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status HardSigmoid(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 0.2f);
  const float beta = ctx.attr_float("beta", 0.5f);
  return elementwise::unary_same<kFloatTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    const C v = static_cast<C>(alpha) * x + static_cast<C>(beta);
    return v < C(0) ? C(0) : (v > C(1) ? C(1) : v);
  });
}

}  // namespace parallax::rt::kernels
