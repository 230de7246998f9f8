// Exp (opset 1-17): y = e^x. Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Exp(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::exp(x); });
}

}  // namespace parallax::rt::kernels
