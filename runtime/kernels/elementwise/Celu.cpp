// Celu (opset 12-17): y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1)); alpha defaults to 1.
// Types: float16, bfloat16, float, double (the schema lists float only).
#include "unary.h"

namespace parallax::rt::kernels {

Status Celu(KernelContext& ctx) {
  const float alpha = ctx.attr_float("alpha", 1.0f);
  if (alpha == 0.0f) return Status::invalid("alpha must not be 0");
  return elementwise::unary_same<kFloatTypes>(ctx, [&](auto x) {
    using C = decltype(x);
    const C a = static_cast<C>(alpha);
    return x > C(0) ? x : a * std::expm1(x / a);
  });
}

}  // namespace parallax::rt::kernels
