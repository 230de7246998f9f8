// Floor (opset 1-17): y = floor(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Floor(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::floor(x); });
}

}  // namespace parallax::rt::kernels
