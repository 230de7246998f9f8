// Acosh (opset 9-17): y = arcosh(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Acosh(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::acosh(x); });
}

}  // namespace parallax::rt::kernels
