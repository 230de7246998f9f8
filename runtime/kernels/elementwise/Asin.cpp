// Asin (opset 7-17): y = arcsin(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Asin(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::asin(x); });
}

}  // namespace parallax::rt::kernels
