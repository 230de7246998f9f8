// Softplus (opset 1-17): y = ln(e^x + 1). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Softplus(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) {
    using C = decltype(x);
    // ln(e^x + 1) = x + ln(1 + e^-x): the second form keeps e^x from overflowing for large x.
    return x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  });
}

}  // namespace parallax::rt::kernels
