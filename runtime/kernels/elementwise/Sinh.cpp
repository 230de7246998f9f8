// Sinh (opset 9-17): y = sinh(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Sinh(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::sinh(x); });
}

}  // namespace parallax::rt::kernels
