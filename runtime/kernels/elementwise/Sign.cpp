// Sign (opset 9-17): y = -1, 0 or 1 by the sign of x (NaN stays NaN). Types: every numeric type.
#include "unary.h"

namespace parallax::rt::kernels {

Status Sign(KernelContext& ctx) {
  return elementwise::unary_same<kNumericTypes>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (std::is_unsigned_v<C>) {
      return static_cast<C>(x > 0 ? 1 : 0);
    } else {
      if (x > C(0)) return C(1);
      if (x < C(0)) return C(-1);
      return x;  // zero, or NaN
    }
  });
}

}  // namespace parallax::rt::kernels
