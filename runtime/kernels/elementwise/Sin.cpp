// Sin (opset 7-17): y = sin(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Sin(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::sin(x); });
}

}  // namespace parallax::rt::kernels
