// Shrink (opset 9-17): y = x + bias for x < -lambd, x - bias for x > lambd, 0 otherwise.
// Defaults: bias = 0, lambd = 0.5. Types: every numeric type (integers compare and shift in
// double, then convert back).
#include "unary.h"

namespace parallax::rt::kernels {

Status Shrink(KernelContext& ctx) {
  const double bias = ctx.attr_float("bias", 0.0f);
  const double lambd = ctx.attr_float("lambd", 0.5f);
  return elementwise::unary_same<kNumericTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    using M = std::conditional_t<std::is_same_v<C, float>, float, double>;
    const M v = static_cast<M>(x);
    if (v < static_cast<M>(-lambd)) return static_cast<C>(v + static_cast<M>(bias));
    if (v > static_cast<M>(lambd)) return static_cast<C>(v - static_cast<M>(bias));
    return C(0);
  });
}

}  // namespace parallax::rt::kernels
