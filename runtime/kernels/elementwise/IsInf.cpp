// IsInf (opset 10-17): y = (x is +inf and detect_positive) or (x is -inf and detect_negative),
// as bool. Both attributes default to 1. Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status IsInf(KernelContext& ctx) {
  const bool positive = ctx.attr_int("detect_positive", 1) != 0;
  const bool negative = ctx.attr_int("detect_negative", 1) != 0;
  return elementwise::unary_to_bool<kFloatTypes>(
      ctx, [&](auto x) { return std::isinf(x) && (x > 0 ? positive : negative); });
}

}  // namespace parallax::rt::kernels
