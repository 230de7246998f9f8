// Ceil (opset 1-17): y = ceil(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Ceil(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::ceil(x); });
}

}  // namespace parallax::rt::kernels
