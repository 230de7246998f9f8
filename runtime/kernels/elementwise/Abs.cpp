// Abs (opset 1-17): y = |x|. Types: every numeric type.
#include "unary.h"

namespace parallax::rt::kernels {

Status Abs(KernelContext& ctx) {
  return elementwise::unary_same<kNumericTypes>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (std::is_unsigned_v<C>) {
      return x;
    } else {
      return x < C(0) ? static_cast<C>(-x) : x;
    }
  });
}

}  // namespace parallax::rt::kernels
