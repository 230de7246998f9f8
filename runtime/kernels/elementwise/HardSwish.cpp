// HardSwish (opset 14-17): y = x * clamp(x / 6 + 1/2, 0, 1). Types: float16, bfloat16, float,
// double.
#include "unary.h"

namespace parallax::rt::kernels {

Status HardSwish(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) {
    using C = decltype(x);
    const C v = x / C(6) + C(0.5);
    return x * (v < C(0) ? C(0) : (v > C(1) ? C(1) : v));
  });
}

}  // namespace parallax::rt::kernels
