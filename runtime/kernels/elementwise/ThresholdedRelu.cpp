// ThresholdedRelu (opset 10-17): y = x for x > alpha, 0 otherwise; alpha defaults to 1.
// Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status ThresholdedRelu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  return elementwise::unary_same<kFloatTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    return x > static_cast<C>(alpha) ? x : C(0);
  });
}

}  // namespace parallax::rt::kernels
