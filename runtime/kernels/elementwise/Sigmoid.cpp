// Sigmoid (opset 1-17): y = 1 / (1 + e^-x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Sigmoid(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) {
    using C = decltype(x);
    // Exponentiate only non-positive values so large |x| never overflows to inf / inf.
    if (x >= C(0)) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  });
}

}  // namespace parallax::rt::kernels
