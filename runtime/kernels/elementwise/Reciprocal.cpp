// Reciprocal (opset 1-17): y = 1 / x. Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Reciprocal(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return decltype(x)(1) / x; });
}

}  // namespace parallax::rt::kernels
