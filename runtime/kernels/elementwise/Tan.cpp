// Tan (opset 7-17): y = tan(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Tan(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::tan(x); });
}

}  // namespace parallax::rt::kernels
