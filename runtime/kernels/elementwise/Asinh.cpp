// Asinh (opset 9-17): y = arsinh(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Asinh(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::asinh(x); });
}

}  // namespace parallax::rt::kernels
