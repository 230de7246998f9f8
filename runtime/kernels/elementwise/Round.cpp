// Round (opset 11-17): round to the nearest integer, halves to even. Types: float16, bfloat16,
// float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Round(KernelContext& ctx) {
  // nearbyint honours the current rounding mode, which is round-half-to-even unless a caller
  // changed it; the runtime never does.
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::nearbyint(x); });
}

}  // namespace parallax::rt::kernels
