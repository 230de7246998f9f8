// Cos (opset 7-17): y = cos(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Cos(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::cos(x); });
}

}  // namespace parallax::rt::kernels
