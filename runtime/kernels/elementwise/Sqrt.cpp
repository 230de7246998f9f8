// Sqrt (opset 1-17): y = sqrt(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Sqrt(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::sqrt(x); });
}

}  // namespace parallax::rt::kernels
