// Neg (opset 1-17): y = -x. Types: float16, bfloat16, float, double, int8-int64.
#include "unary.h"

namespace parallax::rt::kernels {

Status Neg(KernelContext& ctx) {
  return elementwise::unary_same<kSignedTypes>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (std::is_integral_v<C>) {
      // Negate in unsigned arithmetic so the most negative value wraps instead of overflowing.
      return static_cast<C>(std::make_unsigned_t<C>(0) - static_cast<std::make_unsigned_t<C>>(x));
    } else {
      return -x;
    }
  });
}

}  // namespace parallax::rt::kernels
