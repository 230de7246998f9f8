// Atan (opset 7-17): y = arctan(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Atan(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::atan(x); });
}

}  // namespace parallax::rt::kernels
