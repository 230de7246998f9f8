// Cosh (opset 9-17): y = cosh(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Cosh(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::cosh(x); });
}

}  // namespace parallax::rt::kernels
